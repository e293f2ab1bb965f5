// A cleaner standing outside their village (issue 15, item 4): the app
// warns before saving; saved anyway, the server's refusal reaches the
// outbox in Chinese with what to do, not in English.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, Api, idbCount, idbMeta, waitFor, spotInside, ADMIN_PASSWORD, VILLAGE } from './lib.mjs';

const OTHER = '360803101202';
const CLEANER = { username: 'e2e.outside', password: 'e2e-outside-pw', name: '村外保洁员', role: 'cleaner', villages: [VILLAGE] };
let server;
let browser;

before(async () => {
  server = await startServer({ logName: 'outside-server.log' });
  const admin = await Api.login(server.url, 'admin', ADMIN_PASSWORD);
  await admin.call('POST', '/api/v1/users', CLEANER);
  const spot = await spotInside(admin, OTHER);
  assert.ok(spot, 'a point in the other village');
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 390, height: 780 }, locale: 'zh-CN', serviceWorkers: 'allow' });
  await context.grantPermissions(['geolocation'], { origin: server.url });
  await context.setGeolocation({ longitude: spot.lon, latitude: spot.lat, accuracy: 5 });
  globalThis.page = await context.newPage();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('warned before saving outside the village; the refusal is in Chinese', async () => {
  const { page } = globalThis;
  await page.goto(server.url);
  await page.fill('#username', CLEANER.username);
  await page.fill('#password', CLEANER.password);
  await page.click('#login');
  // The phone tells only once it holds the villages' boundaries.
  await waitFor(() => idbMeta(page, 'lastPull'), 'the first pull');
  await page.waitForFunction(() => !document.querySelector('#progress.active'));
  await page.click('#kind-bin');
  await page.waitForSelector('#save:not([disabled])', { timeout: 15000 });
  await page.click('#save');
  await page.waitForSelector('dialog.ask[open]');
  assert.match(await page.textContent('dialog.ask'), /不在您负责的村/);
  await page.screenshot({ path: '/tmp/shots15/outside-warning-390.png' });
  await page.click('dialog.ask button:not(.primary)');
  assert.equal(await idbCount(page, 'outbox'), 0, 'cancelled: nothing saved');

  await page.click('#save');
  await page.click('dialog.ask button.primary');
  await page.evaluate(() => { location.hash = '#/outbox'; });
  await page.waitForSelector('.op[data-state="rejected"] p.err', { timeout: 30000 });
  const text = await page.textContent('.op[data-state="rejected"]');
  assert.match(text, /您不能在.*登记/);
  assert.match(text, /不是您负责的村/);
  assert.doesNotMatch(text, /you may not|not one of your villages/);
  await page.screenshot({ path: '/tmp/shots15/outside-refused-390.png', fullPage: true });
});
