// The field app in a real browser against a real server: offline start,
// offline capture, sync, a lost answer, a conflict, the map, and unsent
// work moved to another phone by file. The first page is served with the
// strict Content-Security-Policy the server is meant to send, and any
// violation fails the run.
// The steps build on each other (one phone, one day of work), so they run
// in order in one browser context.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  startServer, launchBrowser, Api, pngBytes, idbCount, outboxOps, ARTIFACTS, ADMIN_PASSWORD, VILLAGE, waitFor, captureBinOn, townDay, shown,
} from './lib.mjs';

// What the server is meant to send: no inline script or style anywhere.
const CSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
  + "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'";
const cspViolations = [];

const USER = { username: 'e2e.inspector', password: 'e2e-inspector-pw', name: '测试检查员', role: 'inspector', villages: [VILLAGE] };
const RUN = Date.now().toString(36); // names unique to this run

let server;
let browser;
let context;
let page;
let admin; // the town office, changing things meanwhile
let household; // the household toilet the phone works on
let binSpot; // {lon, lat} inside the village
const newStage = {}; // the stages the phone sets, by step


function nextStage(cur, avoid = []) {
  const stages = ['planned', 'building', 'done', 'accepted'];
  return stages.find((s) => s !== cur && !avoid.includes(s));
}

async function go(hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
}

// captureBin records a bin through the form, with the mocked GPS fix.
const captureBin = (name, withPhoto) => captureBinOn(page, name, withPhoto);

// recordStage finds the household on the list and records a stage change.
async function recordStage(stage, note) {
  await go('#/list');
  await page.selectOption('#village', VILLAGE);
  await page.selectOption('#kind-filter', 'household_toilet');
  await page.fill('#search', household.attrs.household_head || household.attrs.name || '');
  await page.click(`a.item[data-id="${household.id}"]`);
  await page.click('[data-event="stage_changed"]');
  await page.selectOption('#event-status', stage);
  await page.fill('#event-note', note);
  await page.click('#save');
  await page.waitForFunction((id) => location.hash === `#/f/${id}`, household.id);
}

// otherPhone opens a second phone, of the given screen, logged in as user;
// the caller closes its context.
async function otherPhone(user, viewport) {
  const other = await browser.newContext({ viewport, locale: 'zh-CN' });
  const p = await other.newPage();
  await p.goto(server.url);
  await p.fill('#username', user.username);
  await p.fill('#password', user.password);
  await p.click('#login');
  await p.waitForSelector('#kind-bin');
  return { other, page: p };
}

async function waitOutboxEmpty(timeout = 30000) {
  await waitFor(async () => (await idbCount(page, 'outbox')) === 0, 'an empty outbox', timeout);
}

before(async () => {
  server = await startServer();
  admin = await Api.login(server.url, 'admin', ADMIN_PASSWORD);
  await admin.call('POST', '/api/v1/users', USER);

  // A household whose stage the phone will change, and a spot for a new bin
  // next to it, checked to lie inside the village.
  const features = await admin.features(VILLAGE);
  household = features.find((f) => f.kind === 'household_toilet' && f.attrs.household_head && f.attrs.stage !== 'accepted');
  assert.ok(household, 'the demo village has a household toilet');
  for (const f of features) {
    const spot = { lon: f.location.lon + 0.00011, lat: f.location.lat + 0.00007 };
    const r = await admin.call('GET', `/api/v1/villages/locate?lon=${spot.lon}&lat=${spot.lat}`, undefined, { raw: true });
    if (r.ok && (await r.json()).code === VILLAGE) { binSpot = spot; break; }
  }
  assert.ok(binSpot, 'found a point inside the village');

  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN', serviceWorkers: 'allow' });
  await context.grantPermissions(['geolocation'], { origin: server.url });
  await context.setGeolocation({ longitude: binSpot.lon, latitude: binSpot.lat, accuracy: 5 });
  await context.route(`${server.url}/`, async (route) => {
    const res = await route.fetch();
    await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': CSP } });
  }, { times: 1 });
  page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  page.on('console', (msg) => { if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text()); });
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('1. first visit online, log in; offline reload opens the app from the service worker', async () => {
  const first = page.waitForResponse(`${server.url}/`);
  await page.goto(server.url);
  assert.equal((await first).headers()['content-security-policy'], CSP, 'the first page runs under the CSP');
  await page.fill('#username', USER.username);
  await page.fill('#password', USER.password);
  await page.click('#login');
  await page.waitForSelector('#kind-bin');
  // The pull brings the villages and their features into IndexedDB.
  await waitFor(async () => (await idbCount(page, 'features')) > 100 && (await idbCount(page, 'villages')) >= 16, 'the data pull');
  await page.waitForFunction(() => !document.querySelector('#progress.active'));
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => Boolean(navigator.serviceWorker.controller));

  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector('#kind-bin', { timeout: 10000 });
  assert.equal(await page.isVisible('#login'), false, 'opens logged in, not on the login form');
  assert.equal(await page.evaluate(() => navigator.onLine), false);
});

test('2. offline: capture a bin with a photo and record a stage change; both wait across a reload', async () => {
  await captureBin(`e2e-bin-1-${RUN}`, true);
  assert.equal(await page.textContent('#toast'), '已保存，联网后自动上传', 'offline, the saved record waits for the network');
  newStage.first = nextStage(household.attrs.stage);
  await recordStage(newStage.first, `e2e-stage-1-${RUN}`);

  const ops = await outboxOps(page);
  assert.deepEqual(ops.map((o) => o.type).sort(), ['addEvent', 'putFeature']);
  assert.ok(ops.every((o) => o.state === 'waiting'));
  const put = ops.find((o) => o.type === 'putFeature');
  assert.equal(put.feature.kind, 'bin');
  assert.equal(put.feature.photos.length, 1);
  assert.equal(put.feature.baseVersion, undefined, 'a create has no baseVersion');
  assert.deepEqual(put.feature.attrs, { capacity_l: 120, status: 'full', name: `e2e-bin-1-${RUN}` });
  assert.ok(Math.abs(put.feature.location.lon - binSpot.lon) < 1e-6);
  assert.equal(await idbCount(page, 'photos'), 1);

  await page.reload();
  await page.waitForSelector('nav.tabs');
  await go('#/outbox');
  await page.waitForSelector('.op[data-state="waiting"]');
  assert.equal(await page.locator('.op[data-state="waiting"]').count(), 2);
  assert.equal(await page.textContent('#outbox-count'), '2');
  // Nothing reached the server.
  const bins = (await admin.features(VILLAGE)).filter((f) => f.attrs.name === `e2e-bin-1-${RUN}`);
  assert.equal(bins.length, 0);
});

test('3. online: the outbox is sent; the server has one new bin with its photo and the new stage', async () => {
  await context.setOffline(false);
  await waitOutboxEmpty();
  await page.waitForFunction(() => document.querySelector('#outbox-count').hidden);

  const bins = (await admin.features(VILLAGE)).filter((f) => f.attrs.name === `e2e-bin-1-${RUN}`);
  assert.equal(bins.length, 1, 'exactly one new bin');
  const bin = await admin.call('GET', `/api/v1/features/${bins[0].id}`);
  assert.equal(bin.kind, 'bin');
  assert.equal(bin.attrs.status, 'full');
  assert.equal(bin.attrs.capacity_l, 120);
  assert.equal(bin.createdBy, USER.username);
  assert.equal(bin.photos.length, 1);
  assert.deepEqual(bin.flags.photosPending || [], [], 'the photo arrived before the feature');
  const photo = await admin.call('GET', `/api/v1/photos/${bin.photos[0]}`, undefined, { raw: true });
  assert.equal(photo.status, 200);
  assert.match(photo.headers.get('content-type'), /image\/jpeg/);
  const bytes = Buffer.from(await photo.arrayBuffer());
  assert.equal(bytes[0], 0xff, 'a JPEG, re-encoded on the phone');
  assert.equal(bytes[1], 0xd8);

  const h = await admin.call('GET', `/api/v1/features/${household.id}`);
  assert.equal(h.attrs.stage, newStage.first);
  const { events } = await admin.call('GET', `/api/v1/features/${household.id}/events`);
  assert.equal(events.filter((e) => e.note === `e2e-stage-1-${RUN}`).length, 1);
  assert.equal(await idbCount(page, 'photos'), 0, 'sent photos are dropped from the phone');
});

test('4. a lost answer: the app retries and the server still has exactly one of each', async () => {
  await context.setOffline(true);
  await captureBin(`e2e-bin-2-${RUN}`, false);
  newStage.second = nextStage(newStage.first, [household.attrs.stage]);
  await recordStage(newStage.second, `e2e-stage-2-${RUN}`);
  assert.equal(await idbCount(page, 'outbox'), 2);

  // The first answer is lost on the way back: the server has applied the
  // batch, the phone sees only a dropped connection.
  const seen = [];
  await page.route('**/api/v1/sync', async (route) => {
    if (seen.length === 0) {
      const res = await route.fetch();
      seen.push((await res.json()).results.map((r) => r.result));
      await route.abort('connectionreset');
      return;
    }
    const res = await route.fetch();
    const body = await res.json();
    seen.push(body.results.map((r) => r.result));
    await route.fulfill({ response: res, json: body });
  });
  await context.setOffline(false);
  await waitOutboxEmpty(40000);
  await page.unroute('**/api/v1/sync');

  assert.deepEqual(seen[0], ['applied', 'applied'], 'the server applied the first batch');
  assert.ok(seen.length >= 2, 'the app sent the batch again');
  assert.deepEqual(seen[seen.length - 1], ['duplicate', 'duplicate'], 'the replay was recognised');
  const bins = (await admin.features(VILLAGE)).filter((f) => f.attrs.name === `e2e-bin-2-${RUN}`);
  assert.equal(bins.length, 1, 'exactly one bin');
  const { events } = await admin.call('GET', `/api/v1/features/${household.id}/events`);
  assert.equal(events.filter((e) => e.note === `e2e-stage-2-${RUN}`).length, 1, 'exactly one stage change');
  assert.equal((await admin.call('GET', `/api/v1/features/${household.id}`)).attrs.stage, newStage.second);
});

test('4b. a busy village (other instances\' writes came first): the op stays in the outbox and goes again by itself', async () => {
  await context.setOffline(true);
  await captureBin(`e2e-bin-busy-${RUN}`, false);
  // The first answer is a shared store's under contention: busy, nothing
  // applied. Later ones are the server's own.
  let busy = 0;
  await page.route('**/api/v1/sync', async (route) => {
    if (busy === 0) {
      busy++;
      const { ops } = route.request().postDataJSON();
      await route.fulfill({ json: { results: ops.map((o) => ({ opId: o.opId, result: 'rejected',
        error: { code: 'busy', message: 'other writes to the village came first; send again shortly' } })) } });
      return;
    }
    await route.continue();
  });
  await context.setOffline(false);
  await waitFor(async () => busy > 0, 'the busy answer');
  assert.deepEqual((await outboxOps(page)).map((o) => o.state).filter((x) => x === 'rejected'), [], 'not put aside');
  await waitOutboxEmpty(30000);
  await page.unroute('**/api/v1/sync');
  const bins = (await admin.features(VILLAGE)).filter((f) => f.attrs.name === `e2e-bin-busy-${RUN}`);
  assert.equal(bins.length, 1, 'exactly one bin');
});

test('5. a conflict: the office changed the household\'s note meanwhile; choosing mine for it makes the phone win', async () => {
  await context.setOffline(true);
  await go(`#/f/${household.id}`);
  await page.click('#edit');
  await page.waitForSelector('#save:not([disabled])');
  await page.fill('#attr-subsidy_yuan', '4321');
  await page.fill('#attr-note', `phone-${RUN}`);
  await page.click('#save');
  await page.waitForFunction((id) => location.hash === `#/f/${id}`, household.id);
  const [op] = await outboxOps(page);
  assert.equal(op.type, 'putFeature');
  const base = op.feature.baseVersion;
  assert.ok(base > 0, 'an edit carries the version it edits');

  // Meanwhile the town office edits the same household.
  const cur = await admin.call('GET', `/api/v1/features/${household.id}`);
  assert.equal(cur.version, base);
  const office = await admin.call('PUT', `/api/v1/features/${household.id}`, {
    opId: randomUUID(), kind: cur.kind, location: cur.location, attrs: { ...cur.attrs, note: `office-${RUN}` },
    photos: cur.photos, baseVersion: cur.version,
  });
  assert.equal(office.version, base + 1);

  await go('#/outbox');
  await context.setOffline(false);
  await page.waitForSelector('.op[data-state="conflict"]', { timeout: 30000 });
  // Only the note was changed on both sides: only it is asked (issue 15).
  assert.equal(await page.locator('.op[data-state="conflict"] .merge-field').count(), 1);
  const note = '.op[data-state="conflict"] .merge-field[data-field="note"]';
  assert.match(await page.textContent(note), new RegExp(`office-${RUN}`));
  assert.match(await page.textContent(note), new RegExp(`phone-${RUN}`));
  await page.check(`${note} .merge-mine input`);
  await page.click('.op[data-state="conflict"] .merge-save');
  await waitOutboxEmpty();

  const h = await admin.call('GET', `/api/v1/features/${household.id}`);
  assert.equal(h.attrs.note, `phone-${RUN}`, "the phone's note won");
  assert.equal(h.attrs.subsidy_yuan, 4321);
  assert.equal(h.version, base + 2, 'applied on top of the office version');
});

test('6. the map without tiles shows the village boundary and the features', async () => {
  await go('#/map');
  await page.selectOption('#village', VILLAGE);
  await page.waitForSelector('path.cj-boundary.cj-selected');
  await page.waitForSelector('path.cj-feature');
  const boundaries = await page.locator('path.cj-boundary').count();
  const features = await page.locator('path.cj-feature').count();
  assert.ok(boundaries >= 16, `all village boundaries drawn (${boundaries})`);
  const inVillage = (await admin.features(VILLAGE)).length;
  assert.equal(features, inVillage, 'every feature of the village is drawn');
  assert.ok(await page.locator('path.cj-kind-bin').count() > 0);
  assert.equal(await page.isVisible('#map-side'), false, 'a phone shows the map alone (the side panel is a desktop\'s)');
  const d = await page.getAttribute('path.cj-boundary.cj-selected', 'd');
  assert.ok(d && d.length > 20, 'the boundary path has a shape');
  await fs.mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'map.png') });

  // A popup names the feature and links to its details.
  await page.locator('path.cj-kind-bin').first().click({ force: true });
  await page.waitForSelector('.leaflet-popup .popup');
  assert.deepEqual(cspViolations, [], 'no inline script or style under the CSP');
});

test('7. unsent work exported to a file and imported on another phone goes up once', async () => {
  await context.setOffline(true);
  await captureBin(`e2e-bin-3-${RUN}`, true);
  await go('#/outbox');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const file = path.join(ARTIFACTS, 'unsent.json');
  await download.saveAs(file);
  const data = JSON.parse(await fs.readFile(file, 'utf8'));
  assert.equal(data.format, 'cunjie-outbox');
  assert.equal(data.ops.length, 1);
  assert.equal(data.photos.length, 1);
  assert.equal(data.photos[0].id, data.ops[0].feature.photos[0]);
  assert.ok(Buffer.from(data.photos[0].data, 'base64').length > 100, 'the photo travels in the file');

  // Another phone, same person, online.
  const { other, page: p2 } = await otherPhone(USER, { width: 360, height: 740 });
  try {
    await p2.evaluate(() => { location.hash = '#/outbox'; });
    await p2.setInputFiles('#import-file', file);
    await waitFor(async () => {
      const bins = (await admin.features(VILLAGE)).filter((f) => f.attrs.name === `e2e-bin-3-${RUN}`);
      return bins.length === 1 && bins[0].photos.length === 1 && !(bins[0].flags.photosPending || []).length;
    }, 'the imported bin on the server');
    await waitFor(async () => (await idbCount(p2, 'outbox')) === 0, 'the other phone to send it');
  } finally {
    await other.close();
  }

  // The first phone sends its copy too: the server knows the op already.
  await context.setOffline(false);
  await waitOutboxEmpty();
  const bins = (await admin.features(VILLAGE)).filter((f) => f.attrs.name === `e2e-bin-3-${RUN}`);
  assert.equal(bins.length, 1, 'still exactly one bin');
});

// shoot screenshots a changed screen as the person sees it, on a common
// phone's 390×780 and the smallest one's 320×568, scrolled to what is
// shown (into e2e/artifacts, to be looked at), and goes back to 390×780.
async function shoot(p, name, what) {
  for (const [width, height] of [[320, 568], [390, 780]]) {
    await p.setViewportSize({ width, height });
    // Scrolled from the page: a view redrawn by a pull replaces its elements.
    if (what) await p.evaluate((sel) => document.querySelector(sel).scrollIntoView({ block: 'center' }), what);
    await p.screenshot({ path: path.join(ARTIFACTS, `${name}-${width}.png`) });
  }
}

const photoFile = (name) => ({ name, mimeType: 'image/png', buffer: pngBytes(320, 240) });

// sideBySide waits for two boxes to sit in one row, a before b (a page
// redrawn by a pull meanwhile has them again a moment later).
function sideBySide(p, a, b) {
  return waitFor(async () => {
    const [x, y] = await Promise.all([p.locator(a).boundingBox(), p.locator(b).boundingBox()]);
    return x && y && Math.abs(x.y - y.y) < 2 && y.x >= x.x + x.width;
  }, `${a} and ${b} side by side`, 5000);
}

test('8. seeing what was recorded: codes, no version, ±N 米 and 距你 N 米, a photo full size, an event photo on the page and the popup', async () => {
  await page.setViewportSize({ width: 390, height: 780 });
  const bin = (await admin.features(VILLAGE)).find((f) => f.attrs.name === `e2e-bin-1-${RUN}`);
  // A record without a name is numbered by its label code.
  await go('#/list');
  await page.selectOption('#village', VILLAGE);
  await page.selectOption('#kind-filter', 'bin');
  await page.fill('#search', '');
  await shown(page, 'a.item[data-kind="bin"]');
  const titles = await page.$$eval('a.item[data-kind="bin"] .title', (els) => els.map((e) => e.textContent));
  assert.ok(titles.some((x) => /^垃圾桶 \d{3}-\d{4}$/.test(x)), `untitled bins are told by their code: ${titles.slice(0, 5)}`);
  await shoot(page, 'list-codes');

  await go(`#/f/${bin.id}`);
  await shown(page, '#place');
  await page.waitForFunction(() => /距你/.test(document.querySelector('#place').textContent));
  assert.match(await page.textContent('#place'), /^位置: ±5 米 · 距你 \d+ 米$/);
  assert.doesNotMatch(await page.textContent('main'), /版本|\d+\.\d{5,}/, 'no internal version, no raw coordinates');

  // The thumbnail opens the photo full size, from the server.
  const full = page.waitForRequest((r) => r.url().endsWith(`/api/v1/photos/${bin.photos[0]}`));
  await page.click(`.detail .thumb[data-photo="${bin.photos[0]}"]`);
  await shown(page, '#viewer[data-full="true"]');
  await full;
  // Two fingers moving apart zoom in; a double tap zooms out and in again.
  await page.evaluate(() => {
    const stage = document.querySelector('.viewer-stage');
    const r = stage.getBoundingClientRect();
    const send = (type, id, dx) => stage.dispatchEvent(new PointerEvent(type, {
      pointerId: id, pointerType: 'touch', isPrimary: id === 1, bubbles: true, clientX: r.left + r.width / 2 + dx, clientY: r.top + r.height / 2,
    }));
    send('pointerdown', 1, -50);
    send('pointerdown', 2, 50);
    send('pointermove', 2, 150);
    send('pointerup', 2, 150);
    send('pointerup', 1, -50);
  });
  assert.equal(await page.getAttribute('#viewer', 'data-scale'), '2.00', 'pinched to twice the size');
  await page.dblclick('.viewer-stage');
  assert.equal(await page.getAttribute('#viewer', 'data-scale'), '1.00');
  await shoot(page, 'viewer');
  await page.dblclick('.viewer-stage');
  assert.equal(await page.getAttribute('#viewer', 'data-scale'), '2.50');
  // Back closes the photo, not the page under it; so does its button.
  await page.evaluate(() => history.back());
  await page.waitForSelector('#viewer', { state: 'detached' });
  assert.equal(await page.evaluate(() => location.hash), `#/f/${bin.id}`);
  await page.click(`.detail .thumb[data-photo="${bin.photos[0]}"]`);
  await page.click('#viewer-close');
  await page.waitForSelector('#viewer', { state: 'detached' });
  assert.equal(await page.evaluate(() => location.hash), `#/f/${bin.id}`);

  // An event's photo shows on the record's page, and online the toast
  // says it is being sent.
  await page.click('[data-event="emptied"]');
  await page.setInputFiles('#photo-input', photoFile('emptied.png'));
  await page.waitForSelector('.thumb img[src^="blob:"]');
  await page.click('#save');
  await page.waitForFunction((id) => location.hash === `#/f/${id}`, bin.id);
  assert.equal(await page.textContent('#toast'), '已记录，正在上传', 'online, a saved record is being sent');
  await shown(page, '.event[data-type="emptied"] .thumb');
  await waitOutboxEmpty();
  await shoot(page, 'detail-event-photo', '.event[data-type="emptied"]');
  // And in the map's popup.
  await go(`#/map/${bin.id}`);
  await shown(page, '.leaflet-popup .event[data-type="emptied"] .thumb img[src^="blob:"]');
  await page.screenshot({ path: path.join(ARTIFACTS, 'popup-event-photo-390.png') });
});

test('9. a demolition: before and after side by side; the stage fills its date; the after photo goes on the stage event', async () => {
  const dem = (await admin.features(VILLAGE)).find((f) => f.kind === 'demolition' && f.attrs.stage !== 'demolished' && !f.photos.length);
  assert.ok(dem, 'the demo village has a demolition not yet done');
  await page.setViewportSize({ width: 390, height: 780 });
  await go(`#/f/${dem.id}`);
  await shown(page, '#before-after .slot-after #take-after');

  await go(`#/edit/${dem.id}`);
  await shown(page, '#save:not([disabled])');
  assert.equal(await page.isVisible('.slot-after'), false, 'no "after" before the house is down');
  await page.setInputFiles('#photo-input', photoFile('before.png'));
  await page.selectOption('#attr-stage', 'demolished');
  assert.equal(await page.inputValue('#attr-demolished_on'), townDay(), '拆除日期 fills with today');
  await page.setInputFiles('#photo-after', photoFile('after.png'));
  await page.waitForSelector('.slot-after .thumb img[src^="blob:"]');
  await sideBySide(page, '.slot-before', '.slot-after');
  const photoTop = (await page.locator('.photo-take').first().boundingBox()).y;
  assert.ok(photoTop < (await page.locator('.place').boundingBox()).y, 'the photo button comes before the map');
  await shoot(page, 'demolition-edit');
  await page.click('#save');
  await page.waitForFunction((id) => location.hash === `#/f/${id}`, dem.id);
  await shown(page, '#before-after .slot-after .thumb');
  await waitOutboxEmpty();

  const stored = await admin.call('GET', `/api/v1/features/${dem.id}`);
  assert.equal(stored.attrs.stage, 'demolished');
  assert.equal(stored.attrs.demolished_on, townDay());
  assert.equal(stored.photos.length, 1, 'the before photo is the record\'s');
  const { events } = await admin.call('GET', `/api/v1/features/${dem.id}/events`);
  const razed = events.filter((e) => e.type === 'stage_changed' && e.status === 'demolished');
  assert.equal(razed.length, 1);
  assert.equal(razed[0].photos.length, 1, 'the after photo is on the stage event');

  await shown(page, '#before-after .slot-before .thumb');
  await sideBySide(page, '.slot-before', '.slot-after');
  await shoot(page, 'demolition-detail', '#before-after');
});

test('10. stages move forward: a cleaner is offered only those ahead; staff going back are asked why; people by name', async () => {
  const ht = (await admin.features(VILLAGE)).find((f) => f.kind === 'household_toilet' && f.attrs.stage === 'done' && f.id !== household.id);
  assert.ok(ht, 'the demo village has a finished household toilet');
  // Staff may set it back, and are asked why.
  await go(`#/f/${ht.id}/event/stage_changed`);
  await shown(page, '#event-status');
  const staffOptions = Object.fromEntries(await page.$$eval('#event-status option', (os) => os.map((o) => [o.value, o.textContent])));
  assert.match(staffOptions.building, /退回/);
  assert.match(staffOptions.done, /当前/);
  await page.selectOption('#event-status', 'building');
  const noteLabel = page.locator('.field', { has: page.locator('#event-note') }).locator('.label');
  assert.equal(await noteLabel.textContent(), '原因（必填）');
  const before = await idbCount(page, 'outbox');
  await page.click('#save');
  await shown(page, '.field.invalid #event-note');
  assert.equal(await idbCount(page, 'outbox'), before, 'not saved without a reason');
  await go(`#/edit/${ht.id}`);
  await shown(page, '#save:not([disabled])');
  assert.equal(await page.isVisible('#reason'), false, 'no reason asked for a change that needs none');
  await page.selectOption('#attr-stage', 'building');
  await shown(page, '#reason', { state: 'visible' });
  await go(`#/f/${ht.id}`);

  // A cleaner of the village, on the smallest phone.
  const CLEANER = { username: 'e2e.cleaner', password: 'e2e-cleaner-pw', name: '测试村保洁员 王五', role: 'cleaner', villages: [VILLAGE] };
  await admin.call('POST', '/api/v1/users', CLEANER);
  const { other, page: cp } = await otherPhone(CLEANER, { width: 320, height: 568 });
  try {
    await waitFor(async () => (await idbCount(cp, 'features')) > 100, 'the cleaner\'s pull');
    await cp.waitForFunction(() => !document.querySelector('#progress.active'));
    await cp.evaluate((h) => { location.hash = h; }, `#/f/${ht.id}/event/stage_changed`);
    await shown(cp, '#event-status');
    const values = await cp.$$eval('#event-status option', (os) => os.map((o) => o.value).filter(Boolean));
    assert.deepEqual(values, ['done'], 'a cleaner: no stage back, and no acceptance');
    await cp.screenshot({ path: path.join(ARTIFACTS, 'cleaner-stage-320.png'), fullPage: true });
    await cp.evaluate((h) => { location.hash = h; }, `#/edit/${ht.id}`);
    await shown(cp, '#attr-stage');
    assert.deepEqual(await cp.$$eval('#attr-stage option', (os) => os.map((o) => o.value).filter(Boolean)), ['done']);

    // The household's stage changes were recorded by the inspector: named.
    await cp.evaluate((h) => { location.hash = h; }, `#/f/${household.id}`);
    await shown(cp, '.event[data-type="stage_changed"]');
    const events = await cp.textContent('.events');
    assert.match(events, new RegExp(USER.name));
    assert.doesNotMatch(events, new RegExp(USER.username.replace('.', '\\.')), 'not the login');
    await cp.screenshot({ path: path.join(ARTIFACTS, 'cleaner-detail-320.png'), fullPage: true });
  } finally {
    await other.close();
  }
});
