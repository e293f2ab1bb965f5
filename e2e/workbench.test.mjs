// The town office's workbench on a desktop screen (1366×800): the side
// navigation, the overview table with what changed today and each
// village's recent scores, sorted by score, a village opened on the
// map from its row, and the monthly notice downloaded as .docx, whose
// ranking table must equal the API's ranking. Screenshots go to
// e2e/artifacts/ (not committed).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { DOMParser } from '@xmldom/xmldom';
import { startServer, launchBrowser, Api, townDay, ADMIN_PASSWORD, ARTIFACTS } from './lib.mjs';

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
