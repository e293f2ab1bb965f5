// The town office's workbench on a desktop screen (1366×800): the side
// navigation, the overview table with what changed today and each
// village's recent scores, sorted by score, a village opened on the map
// from its row, the monthly notice downloaded as .docx, whose ranking
// table must equal the API's ranking; the town-wide map and the users
// page. Screenshots go to
// e2e/artifacts/ (not committed).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { DOMParser } from '@xmldom/xmldom';
import { startServer, launchBrowser, Api, townDay, waitFor, shown, ADMIN_PASSWORD, ARTIFACTS, VILLAGE } from './lib.mjs';

const MONTH = townDay().slice(0, 7);
const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';

let server;
let browser;
let admin;
let page;

before(async () => {
  server = await startServer({ logName: 'workbench-server.log' });
  admin = await Api.login(server.url, 'admin', ADMIN_PASSWORD);
  browser = await launchBrowser();
  await fs.mkdir(ARTIFACTS, { recursive: true });
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `workbench-${name}.png`) });

test('the workbench opens on a desktop with a side navigation', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 800 }, locale: 'zh-CN', acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(server.url);
  await page.fill('#username', 'admin');
  await page.fill('#password', ADMIN_PASSWORD);
  await page.click('#login');
  await page.waitForSelector('#tab-workbench');
  // The tabs stand on the left, not along the bottom.
  const nav = await page.locator('nav.tabs').boundingBox();
  assert.ok(nav.width < 300 && nav.height > 400, `side navigation: ${JSON.stringify(nav)}`);
  await page.click('#tab-workbench');
  await page.waitForSelector('#wb-overview tbody tr.wb-row');
  const ov = await admin.call('GET', `/api/v1/overview?month=${MONTH}`);
  assert.equal(await page.locator('#wb-overview tbody tr.wb-row').count(), ov.villages.length);
  await page.waitForSelector('#wb-devices tr[data-user="admin"]');
  // What changed today, as the API counts it (the demo town was loaded today).
  const d = ov.totals.today;
  assert.match(await page.textContent('#wb-today'), new RegExp(`新登记 ${d.newFeatures} 处，事件 ${d.events} 条，发现问题 ${d.problemsOpened} 个，整改 ${d.problemsRectified} 个`));
  // A small chart of recent scores in the row of every village that has one.
  const trend = await admin.call('GET', `/api/v1/assessments/trend?months=6&to=${MONTH}`);
  const scored = trend.villages.filter((v) => v.scores.some((x) => x !== null)).map((v) => v.village).sort();
  await page.waitForFunction((n) => document.querySelectorAll('#wb-overview svg.sparkline').length === n, scored.length);
  const drawn = await page.locator('#wb-overview tr.wb-row:has(svg.sparkline)').evaluateAll((trs) => trs.map((tr) => tr.dataset.village).sort());
  assert.deepEqual(drawn, scored);
  await shot('overview');
});

test('sorting by score puts the best village first', async () => {
  await page.click('#wb-overview th[data-key="score"]');
  const idx = await page.locator('#wb-overview thead th').evaluateAll((ths) => ths.findIndex((th) => th.dataset.key === 'score'));
  const scores = await page.locator('#wb-overview tbody tr').evaluateAll((trs, i) => trs.map((tr) => tr.children[i].textContent), idx);
  const nums = scores.filter((s) => s !== '—').map(Number);
  assert.deepEqual(nums, [...nums].sort((a, b) => b - a), `scores in order: ${scores}`);
  assert.ok(scores.indexOf('—') === -1 || scores.slice(scores.indexOf('—')).every((s) => s === '—'), 'unscored last');
  const ov = await admin.call('GET', `/api/v1/overview?month=${MONTH}`);
  const best = ov.villages.filter((v) => v.score !== null).sort((a, b) => b.score - a.score || (a.village < b.village ? -1 : 1))[0];
  if (best) assert.equal(await page.locator('#wb-overview tbody tr').first().getAttribute('data-village'), best.village);
});

test('a row opens its village on the map', async () => {
  const row = page.locator('#wb-overview tbody tr').nth(1);
  const code = await row.getAttribute('data-village');
  await row.click();
  await page.waitForFunction(() => location.hash === '#/map');
  await page.waitForSelector('#map');
  const chosen = await page.evaluate(() => Object.entries(localStorage).map(([, v]) => v).join(' '));
  const selects = await page.locator('select').evaluateAll((ss) => ss.map((s) => s.value));
  assert.ok(selects.includes(code) || chosen.includes(code), `village ${code} chosen (${selects})`);
  // Beside the map, not over it: the panel lists what the map shows, and a
  // row puts that record in the middle with its popup.
  await page.waitForFunction(() => document.querySelector('#map').dataset.villages && document.querySelectorAll('#map-side-rows button.item').length > 0);
  const map = await page.locator('#map').boundingBox();
  const side = await page.locator('#map-side').boundingBox();
  assert.ok(side.x >= map.x + map.width - 1 && side.width >= 300, `panel beside the map: ${JSON.stringify({ map, side })}`);
  const shown = Number(await page.getAttribute('#map', 'data-features'));
  assert.match(await page.textContent('#map-side-title'), new RegExp(`图上 ${shown} 处`));
  await page.locator('#map-side-rows button.item').first().click();
  await page.waitForSelector('.leaflet-popup .popup');
  await shot('map');
});

test('the notice downloads as .docx whose ranking equals the API', async () => {
  await page.click('#tab-workbench');
  await page.waitForSelector('#wb-notice');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#wb-notice')]);
  const file = await dl.path();
  const bytes = new Uint8Array(await fs.readFile(file));
  await page.waitForFunction(() => /已下载/.test(document.querySelector('#wb-progress').textContent));
  const files = unzipSync(bytes);
  assert.ok(files['word/document.xml'], 'document.xml in the .docx');
  const doc = new DOMParser().parseFromString(strFromU8(files['word/document.xml']), 'text/xml');
  const tbl = doc.getElementsByTagNameNS(W, 'tbl')[0];
  assert.ok(tbl, 'a table');
  const rows = Array.from(tbl.getElementsByTagNameNS(W, 'tr')).map((tr) => Array.from(tr.getElementsByTagNameNS(W, 'tc'))
    .map((tc) => Array.from(tc.getElementsByTagNameNS(W, 't')).map((x) => x.textContent).join('')));
  const rank = await admin.call('GET', `/api/v1/assessments?month=${MONTH}`);
  assert.equal(rows[0][0], '名次');
  assert.deepEqual(rows.slice(1).map((r) => [r[0], r[1]]),
    rank.villages.map((v) => [v.score === null ? '—' : String(v.rank), v.name]));
  await shot('notice');
});

// The town-wide map (issue 15, item 8): every village at once, the
// server's clusters when zoomed out, points of several villages once
// zoomed in, and a popup that opens clear of the filter bar.
test('the town-wide map shows clusters, then features of more than one village', async () => {
  const all = await admin.call('GET', '/api/v1/features?bbox=-180,-90,180,90&limit=10000');
  assert.ok(!all.features.some((g) => g.properties.cluster), 'the whole town fits in one answer');
  await page.evaluate(() => { location.hash = '#/map'; });
  await page.waitForSelector('#map[data-scope]');
  await page.selectOption('#village', '*');
  await shown(page, '#map[data-scope="town"][data-clusters]');
  const total = Number(await page.getAttribute('#map', 'data-total'));
  assert.ok(Number(await page.getAttribute('#map', 'data-clusters')) > 1, 'clusters when zoomed out');
  assert.equal(total, all.features.length, 'the clusters count every feature of the town');
  const villages = (await admin.call('GET', '/api/v1/villages')).villages;
  assert.equal(await page.locator('#map path.cj-boundary').count(), villages.length, 'every boundary');
  await shot('town-map');

  // Tapping the cluster nearest the middle zooms in until points come.
  for (let i = 0; i < 4 && (await page.getAttribute('#map', 'data-clusters')) !== '0'; i++) {
    const before = await page.getAttribute('#map', 'data-total');
    await page.evaluate(() => {
      const m = document.querySelector('#map').getBoundingClientRect();
      const mid = (el) => { const r = el.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; };
      const d = (el) => { const [x, y] = mid(el); return Math.hypot(x - (m.x + m.width / 2), y - (m.y + m.height / 2)); };
      [...document.querySelectorAll('#map .cj-cluster')].sort((a, b) => d(a) - d(b))[0].click();
    });
    await waitFor(async () => (await page.getAttribute('#map', 'data-total')) !== before, 'the zoomed-in view');
  }
  assert.equal(await page.getAttribute('#map', 'data-clusters'), '0', 'points once zoomed in');
  const seen = (await page.getAttribute('#map', 'data-villages')).split(',');
  assert.ok(seen.length > 1, `features of more than one village: ${seen}`);
  assert.ok(seen.every((code) => villages.some((v) => v.code === code)), 'known villages');
  assert.equal(await page.locator('#map path.cj-feature').count(), Number(await page.getAttribute('#map', 'data-features')));

  // The topmost point under the bar: its popup would open under the bar.
  const bar = await page.locator('.map-tools').boundingBox();
  const spot = await page.evaluate((barBottom) => {
    const m = document.querySelector('#map').getBoundingClientRect();
    const pts = [...document.querySelectorAll('#map path.cj-feature')].map((el) => el.getBoundingClientRect())
      .map((r) => ({ x: r.x + r.width / 2, y: r.y + r.height / 2 }))
      .filter((p) => p.y > barBottom + 12 && p.x > m.x + 200 && p.x < m.right - 200 && p.y < m.bottom - 100)
      .sort((a, b) => a.y - b.y);
    return pts[0];
  }, bar.y + bar.height);
  assert.ok(spot, 'a point below the bar');
  await page.mouse.click(spot.x, spot.y);
  await shown(page, '.leaflet-popup .popup');
  await page.waitForTimeout(800); // the popup's pan, and the moment a reload would take
  const popup = await page.locator('.leaflet-popup').boundingBox();
  assert.ok(popup.y >= bar.y + bar.height, `the popup (top ${popup.y}) is below the filter bar (bottom ${bar.y + bar.height})`);
  await shot('town-popup');
  await page.keyboard.press('Escape');

  // Offline the town view says it needs signal and shows a village the
  // phone keeps; back online it is the town again.
  await page.context().setOffline(true);
  await shown(page, '#map[data-scope="village"]');
  assert.match(await page.textContent('#map-note'), /全镇地图需要联网/);
  assert.ok(Number(await page.getAttribute('#map', 'data-features')) > 0, 'the village kept on the phone');
  await page.context().setOffline(false);
  await shown(page, '#map[data-scope="town"][data-clusters]');
});

// The users page (issue 15, item 9): search, change villages, reset a
// password that then logs in, and disabling behind a question.
test('users: search, change villages, reset a password, disable after a question', async () => {
  const person = { username: 'wb.cleaner', name: '测试保洁员', password: 'wb-cleaner-first', role: 'cleaner', villages: [VILLAGE] };
  await admin.call('POST', '/api/v1/users', person);
  const villages = (await admin.call('GET', '/api/v1/villages')).villages;
  const other = villages.find((v) => v.code !== VILLAGE);
  const own = villages.find((v) => v.code === VILLAGE);
  await page.evaluate(() => { location.hash = '#/users'; });
  await shown(page, '#users-table tr[data-username="wb.cleaner"]');
  const rows = () => page.locator('#users-table tbody tr[data-username]').evaluateAll((trs) => trs.map((tr) => tr.dataset.username));

  await page.fill('#user-search', '测试保洁');
  assert.deepEqual(await rows(), ['wb.cleaner'], 'found by name');
  await page.fill('#user-search', own.name);
  const byVillage = await rows();
  assert.ok(byVillage.includes('wb.cleaner') && !byVillage.includes('admin'), `found by village: ${byVillage}`);
  await shot('users-search');

  // Villages: found by name in the picker, saved, and shown in the row.
  await page.click('#users-table tr[data-username="wb.cleaner"] .edit-user');
  await shown(page, '#user-editor[data-username="wb.cleaner"]');
  await page.fill('#user-editor .village-find', other.name);
  assert.equal(await page.locator('#edit-villages label.check:visible').count(), 1, 'the picker narrows to the village named');
  await page.check(`#edit-villages input[data-village="${other.code}"]`);
  await page.click('#edit-save');
  await waitFor(async () => (await page.textContent('#users-table tr[data-username="wb.cleaner"]')).includes(other.name), 'the row with the new village');
  const changed = (await admin.call('GET', '/api/v1/users')).users.find((u) => u.username === 'wb.cleaner');
  assert.deepEqual([...changed.villages].sort(), [VILLAGE, other.code].sort());

  // A generated password, shown once, logs the person in; the old one no longer does.
  await page.click('#reset-generate');
  assert.equal((await page.inputValue('#reset-password')).length, 12);
  await page.click('#reset-save');
  await shown(page, '#reset-value');
  const fresh = await page.inputValue('#reset-value');
  await shot('users-reset');
  await Api.login(server.url, 'wb.cleaner', fresh);
  await assert.rejects(Api.login(server.url, 'wb.cleaner', person.password), /401/);

  // The admin's own row: the role is not theirs to change, and a new name
  // alone leaves their session (a role or villages sent would end it).
  await page.fill('#user-search', '');
  await page.click('#users-table tr[data-username="admin"] .edit-user');
  await shown(page, '#user-editor[data-username="admin"]');
  assert.equal(await page.isDisabled('#edit-role'), true);
  assert.equal(await page.locator('#reset-password').count(), 0, 'no reset of one\'s own password here');
  await page.fill('#edit-name', '镇办（改名）');
  await page.click('#edit-save');
  await waitFor(async () => (await page.textContent('#users-table tr[data-username="admin"]')).includes('镇办（改名）'), 'the new name, still logged in');

  // Disabling asks first: "cancel" leaves the person as they were.
  await page.click('#users-table tr[data-username="wb.cleaner"] .toggle-user');
  await shown(page, 'dialog.ask[open]');
  assert.match(await page.textContent('dialog.ask'), /停用 wb\.cleaner/);
  await shot('users-confirm');
  await page.click('dialog.ask button:not(.primary)');
  assert.equal((await admin.call('GET', '/api/v1/users')).users.find((u) => u.username === 'wb.cleaner').disabled, false);
  await page.click('#users-table tr[data-username="wb.cleaner"] .toggle-user');
  await page.click('dialog.ask button.primary');
  await shown(page, '#users-table tr.disabled[data-username="wb.cleaner"]');
  assert.equal((await admin.call('GET', '/api/v1/users')).users.find((u) => u.username === 'wb.cleaner').disabled, true);
  await assert.rejects(Api.login(server.url, 'wb.cleaner', fresh));
});
