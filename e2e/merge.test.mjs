// Two phones edit one household (issue 15, item 1). Phone A, offline,
// changes the subsidy and the note; phone B moves the stage 施工→完工.
// When A syncs, the server answers the conflict with the base A edited and
// A merges by itself: A's subsidy and note and B's stage are all kept.
// Then both change the note: only the note is asked about; A keeps hers,
// and B is told on the next sync that A replaced his note.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  startServer, launchBrowser, Api, idbCount, outboxOps, waitFor, ADMIN_PASSWORD, VILLAGE,
} from './lib.mjs';

const RUN = Date.now().toString(36);
const A = { username: 'e2e.phone.a', password: 'e2e-phone-a-pw', name: '甲检查员', role: 'inspector', villages: [VILLAGE] };
const B = { username: 'e2e.phone.b', password: 'e2e-phone-b-pw', name: '乙检查员', role: 'inspector', villages: [VILLAGE] };
const SHOTS = '/tmp/shots15';

let server;
let browser;
let admin;
let household;
const phones = {};

async function phone(user, spot) {
  const context = await browser.newContext({ viewport: { width: 390, height: 780 }, locale: 'zh-CN', serviceWorkers: 'allow' });
  await context.grantPermissions(['geolocation'], { origin: server.url });
  await context.setGeolocation({ longitude: spot.lon, latitude: spot.lat, accuracy: 5 });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`${user.username} page error:`, err.message));
  await page.goto(server.url);
  await page.fill('#username', user.username);
  await page.fill('#password', user.password);
  await page.click('#login');
  await page.waitForSelector('#kind-bin');
  await waitFor(async () => (await idbCount(page, 'features')) > 100, 'the data pull');
  return { context, page };
}

const go = (page, hash) => page.evaluate((x) => { location.hash = x; }, hash);

// editHousehold opens the household's edit form, fills fields, saves.
async function editHousehold(page, fill) {
  await go(page, `#/f/${household.id}`);
  await page.click('#edit');
  await page.waitForSelector('#save:not([disabled])');
  for (const [sel, v] of Object.entries(fill)) await page.fill(sel, v);
  await page.click('#save');
  await page.waitForFunction((id) => location.hash === `#/f/${id}`, household.id);
}

async function outboxEmpty(page) {
  await waitFor(async () => (await idbCount(page, 'outbox')) === 0, 'an empty outbox');
}

before(async () => {
  server = await startServer({ logName: 'merge-server.log' });
  admin = await Api.login(server.url, 'admin', ADMIN_PASSWORD);
  await admin.call('POST', '/api/v1/users', A);
  await admin.call('POST', '/api/v1/users', B);
  const features = await admin.features(VILLAGE);
  const cur = features.find((f) => f.kind === 'household_toilet' && f.attrs.household_head);
  assert.ok(cur, 'the demo village has a household toilet');
  // Put it at 施工 with no note, so both phones start from a known base.
  household = await admin.call('PUT', `/api/v1/features/${cur.id}`, {
    opId: randomUUID(), kind: cur.kind, location: cur.location, photos: cur.photos, baseVersion: cur.version,
    attrs: { stage: 'building', note: null, subsidy_yuan: null, completed_on: null }, reason: 'e2e 起点',
  });
  browser = await launchBrowser();
  const spot = household.location;
  phones.a = await phone(A, spot);
  phones.b = await phone(B, spot);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('A offline changes 补助 and the note, B moves the stage; A syncs: merged without asking, B\'s stage kept', async () => {
  const { page: a, context: ca } = phones.a;
  const { page: b } = phones.b;
  await ca.setOffline(true);
  await editHousehold(a, { '#attr-subsidy_yuan': '800', '#attr-note': `甲-${RUN}` });
  assert.equal((await outboxOps(a)).length, 1);

  // B moves the stage forward and it reaches the server.
  await go(b, `#/f/${household.id}`);
  await b.click('[data-event="stage_changed"]');
  await b.selectOption('#event-status', 'done');
  await b.click('#save');
  await b.waitForFunction((id) => location.hash === `#/f/${id}`, household.id);
  await outboxEmpty(b);
  assert.equal((await admin.call('GET', `/api/v1/features/${household.id}`)).attrs.stage, 'done');

  await go(a, '#/outbox');
  await ca.setOffline(false);
  await a.evaluate(() => window.dispatchEvent(new Event('online')));
  await outboxEmpty(a);
  assert.equal(await a.locator('.op[data-state="conflict"]').count(), 0, 'nothing was asked');
  const h = await admin.call('GET', `/api/v1/features/${household.id}`);
  assert.equal(h.attrs.stage, 'done', "B's stage is kept");
  assert.equal(h.attrs.subsidy_yuan, 800, "A's subsidy is kept");
  assert.equal(h.attrs.note, `甲-${RUN}`, "A's note is kept");
});

test('both change the note: only it is asked; A keeps hers and B is told on his next sync', async () => {
  const { page: a, context: ca } = phones.a;
  const { page: b, context: cb } = phones.b;
  // B has the merged version before he edits.
  await b.reload();
  await waitFor(async () => (await b.evaluate(async (id) => {
    const db = await new Promise((r) => { const q = indexedDB.open('cunjie'); q.onsuccess = () => r(q.result); });
    return new Promise((r) => { const q = db.transaction('features').objectStore('features').get(id); q.onsuccess = () => r(q.result?.attrs?.note); });
  }, household.id)) === `甲-${RUN}`, "B's copy has A's note");

  await ca.setOffline(true);
  await editHousehold(a, { '#attr-note': `甲改-${RUN}` });
  await editHousehold(b, { '#attr-note': `乙改-${RUN}` });
  await outboxEmpty(b);

  await go(a, '#/outbox');
  await ca.setOffline(false);
  await a.evaluate(() => window.dispatchEvent(new Event('online')));
  await a.waitForSelector('.op[data-state="conflict"] .merge-field', { timeout: 30000 });
  assert.equal(await a.locator('.merge-field').count(), 1, 'only the note is asked');
  const field = '.merge-field[data-field="note"]';
  assert.match(await a.textContent(field), new RegExp(`乙改-${RUN}`));
  assert.match(await a.textContent(field), new RegExp(`甲改-${RUN}`));
  // Saving without a choice is refused with a message.
  await a.click('.merge-save');
  await a.waitForSelector('.op[data-state="conflict"] p.err:not([hidden])');
  await a.screenshot({ path: `${SHOTS}/merge-ask-390.png`, fullPage: true });
  await a.check(`${field} .merge-mine input`);
  await a.click('.merge-save');
  await outboxEmpty(a);
  const h = await admin.call('GET', `/api/v1/features/${household.id}`);
  assert.equal(h.attrs.note, `甲改-${RUN}`);
  assert.equal(h.attrs.stage, 'done');

  // B's next sync (a start of the app) tells him his note was replaced.
  await cb.setOffline(false);
  await b.reload();
  await go(b, '#/outbox');
  await b.waitForSelector('#replaced .replaced-item[data-field="note"]', { timeout: 30000 });
  const text = await b.textContent('#replaced');
  assert.match(text, new RegExp(`乙改-${RUN}`));
  assert.match(text, new RegExp(`甲改-${RUN}`));
  assert.match(text, /e2e\.phone\.a|甲检查员/);
  await b.screenshot({ path: `${SHOTS}/merge-notice-390.png`, fullPage: true });
  await b.click('#replaced .dismiss');
  await b.waitForSelector('#replaced', { state: 'hidden' });
});
