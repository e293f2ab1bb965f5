// Required fields (issue 15, item 3): a 户厕改造 without 户主 and type, or
// a 垃圾池 with nothing filled in, is refused on the phone before it is
// saved and by the server (400 naming the field); the schema says which
// fields are required, and the app's table agrees with it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, launchBrowser, Api, idbCount, waitFor, spotInside, outboxOps, ADMIN_PASSWORD, VILLAGE } from './lib.mjs';
import { KINDS } from '../pwa/src/schema.js';

const USER = { username: 'e2e.required', password: 'e2e-required-pw', name: '必填检查员', role: 'inspector', villages: [VILLAGE] };
let server;
let browser;
let admin;
let spot;

before(async () => {
  server = await startServer({ logName: 'required-server.log' });
  admin = await Api.login(server.url, 'admin', ADMIN_PASSWORD);
  await admin.call('POST', '/api/v1/users', USER);
  spot = await spotInside(admin, VILLAGE);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('the schema names the required fields, and the app\'s table agrees', async () => {
  const { kinds } = await admin.call('GET', '/api/v1/kinds');
  const must = (attrs, key) => attrs.filter((a) => a[key]).map((a) => a.name).sort();
  for (const k of kinds) {
    assert.deepEqual(must(KINDS[k.kind].attrs, 'must'), must(k.attrs, 'must'), `${k.kind}: must fields`);
  }
  const ht = kinds.find((k) => k.kind === 'household_toilet');
  assert.deepEqual(must(ht.attrs, 'must'), ['household_head', 'type']);
});

test('the server refuses an empty household toilet naming the fields', async () => {
  const r = await admin.call('PUT', `/api/v1/features/${randomUUID()}`, {
    opId: randomUUID(), kind: 'household_toilet', location: { ...spot, accuracy: 5 }, attrs: {},
  }, { raw: true });
  assert.equal(r.status, 400);
  const { error } = await r.json();
  assert.equal(error.fields['attrs.household_head'], 'required');
  assert.equal(error.fields['attrs.type'], 'required');
});

test('the phone refuses to save a household toilet without 户主 and type', async () => {
  const context = await browser.newContext({ viewport: { width: 320, height: 568 }, locale: 'zh-CN', serviceWorkers: 'allow' });
  await context.grantPermissions(['geolocation'], { origin: server.url });
  await context.setGeolocation({ longitude: spot.lon, latitude: spot.lat, accuracy: 5 });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.fill('#username', USER.username);
  await page.fill('#password', USER.password);
  await page.click('#login');
  await page.waitForSelector('#kind-household_toilet');
  await page.click('#kind-household_toilet');
  await page.waitForSelector('#save:not([disabled])', { timeout: 15000 });
  await page.click('#save');
  await page.waitForSelector('.field.invalid #attr-household_head');
  await page.waitForSelector('.field.invalid #attr-type');
  assert.match(await page.textContent('.attrs'), /必填/);
  await page.screenshot({ path: '/tmp/shots15/required-refused-320.png', fullPage: true });
  assert.equal(await idbCount(page, 'outbox'), 0, 'nothing was saved');

  const head = `必填户-${Date.now().toString(36)}`;
  await page.fill('#attr-household_head', head);
  await page.selectOption('#attr-type', 'biogas');
  await page.click('#save');
  await waitFor(async () => (await admin.features(VILLAGE)).some((f) => f.attrs.household_head === head), 'the household reaches the server')
    .catch(async (err) => {
      // Say what the phone holds and shows, so a failure in CI can be read.
      const ops = (await outboxOps(page)).map((o) => ({ type: o.type, state: o.state, error: o.error }));
      err.message += `\noutbox: ${JSON.stringify(ops)}\npage at ${page.url()}: ${await page.textContent('body')}`;
      throw err;
    });
  await context.close();
});
