// Labels (一户一码): the server's printable A4 page of QR labels, rendered
// in Chromium with the page's own Content-Security-Policy, screenshot, and
// every QR code in the image decoded (jsQR on pngjs's pixels) back to the
// URL of its feature on this server. The household file (一户一档): a demo
// household's page with its three linked records, on a phone and on A4,
// and offline from a cleaner's phone without the household's name.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { chromium } from 'playwright-core';
import { startServer, launchBrowser, Api, shown, waitFor, idbCount, ARTIFACTS, ADMIN_PASSWORD, VILLAGE, CHROMIUM } from './lib.mjs';

let server;
let browser;
let admin;
let firstLabel; // one label's pixels from the screenshot, for the camera
const HOUSEHOLD = `demo-${VILLAGE}-hh01`; // the demo's household with all three records

before(async () => {
  server = await startServer({ logName: 'codes-server.log' });
  browser = await launchBrowser();
  admin = await Api.login(server.url, 'admin', ADMIN_PASSWORD);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the labels page prints QR codes that decode to the features\' URLs', async () => {
  const kinds = 'garbage_pool,collection_point,public_toilet';
  const res = await admin.call('GET', `/api/v1/villages/${VILLAGE}/labels?kind=${kinds}`, undefined, { raw: true });
  assert.equal(res.status, 200);
  const html = await res.text();
  const csp = res.headers.get('content-security-policy');
  const features = (await admin.features(VILLAGE)).filter((f) => kinds.split(',').includes(f.kind));
  assert.ok(features.length > 3 && features.length <= 24, `${features.length} features: one sheet expected`);
  const want = new Map(features.map((f) => [f.code, f]));

  // Served as the server sent it, under its own URL and CSP, as a
  // browser opening the page would have it.
  const page = await browser.newPage({ viewport: { width: 794, height: 1123 } });
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  const at = `${server.url}/print/labels`;
  await page.route(at, (route) => route.fulfill({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp }, body: html }));
  await page.goto(at);
  assert.deepEqual(violations, [], 'the page keeps its own CSP');
  assert.equal(await page.$eval('.sheet', (e) => getComputedStyle(e).display), 'grid', 'the print CSS applies (its hash is in the CSP)');
  const texts = await page.$$eval('.label', (ls) => ls.map((l) => l.innerText));
  assert.equal(texts.length, features.length);
  for (const t of texts) assert.match(t, /\d{3}-\d{4}\n(垃圾池|垃圾收集点|公厕)\n社上村/);

  const shot = await page.screenshot({ fullPage: true });
  await fs.mkdir(ARTIFACTS, { recursive: true });
  await fs.writeFile(path.join(ARTIFACTS, 'labels.png'), shot);
  const png = PNG.sync.read(shot);
  const boxes = await page.$$eval('.label', (ls) => ls.map((l) => {
    const r = l.getBoundingClientRect();
    return { code: l.dataset.code, x: Math.floor(r.x), y: Math.floor(r.y + window.scrollY), w: Math.ceil(r.width), h: Math.ceil(r.height) };
  }));
  const decoded = new Map();
  for (const b of boxes) {
    // Each label cut out of the screenshot: one QR code in each.
    const w = Math.min(b.w, png.width - b.x);
    const h = Math.min(b.h, png.height - b.y);
    const px = new Uint8ClampedArray(w * h * 4);
    for (let y = 0; y < h; y++) {
      const from = ((b.y + y) * png.width + b.x) * 4;
      px.set(png.data.subarray(from, from + w * 4), y * w * 4);
    }
    const qr = jsQR(px, w, h);
    assert.ok(qr, `label ${b.code}: no QR code found in the screenshot`);
    decoded.set(b.code, qr.data);
    if (!firstLabel) firstLabel = { px, w, h, code: b.code };
  }
  for (const [code] of want) {
    assert.equal(decoded.get(code), `${server.url}/f/${code}`, `label of ${code}`);
  }
  await page.close();
});

test('labels are for staff: a cleaner is refused', async () => {
  await admin.call('POST', '/api/v1/users', { username: 'codes.cleaner', password: 'codes-cleaner-pw', role: 'cleaner', villages: [VILLAGE] });
  const cleaner = await Api.login(server.url, 'codes.cleaner', 'codes-cleaner-pw');
  const res = await cleaner.call('GET', `/api/v1/villages/${VILLAGE}/labels`, undefined, { raw: true });
  assert.equal(res.status, 403);
});

test('/f/{code} opens that record after the login, and offline from the phone\'s copy; unknown and other villages\' codes say so', async () => {
  const features = await admin.features(VILLAGE);
  const [one, two] = features.filter((f) => f.kind === 'public_toilet' || f.kind === 'garbage_pool');
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN', serviceWorkers: 'allow' });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(`${server.url}/f/${one.code}`);
  await page.fill('#username', 'codes.cleaner');
  await page.fill('#password', 'codes-cleaner-pw');
  await page.click('#login');
  await page.waitForSelector('#feature-code');
  assert.equal(await page.evaluate(() => location.hash), `#/f/${one.id}`);
  assert.match(await page.textContent('#feature-code'), new RegExp(one.code));
  // The phone's copy of its village, and the app in the service worker.
  // (Polled from here: page.waitForFunction does not await an async
  // predicate, whose promise is truthy at once.)
  await waitFor(async () => (await idbCount(page, 'features')) >= features.length, 'the village on the phone', 60000);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => Boolean(navigator.serviceWorker.controller));

  await context.setOffline(true);
  await page.goto(`${server.url}/f/${two.code}`);
  await shown(page, '#feature-code', { timeout: 15000 });
  assert.equal(await page.evaluate(() => location.hash), `#/f/${two.id}`, 'offline, from the phone');
  await page.goto(`${server.url}/f/201-9999`);
  assert.match(await (await page.waitForSelector('#code-error')).textContent(), /没有编码为 201-9999 的记录/);
  // The household file offline: made from the phone's copy, without the
  // head's name, which a cleaner's phone never holds.
  await page.goto(`${server.url}/#/household/${HOUSEHOLD}`);
  await shown(page, '#household-local', { timeout: 15000 });
  assert.deepEqual(await page.$$eval('#household-file .record', (rs) => rs.map((r) => r.dataset.kind)), ['household_toilet', 'demolition', 'housing_reform']);
  const head = (await admin.call('GET', `/api/v1/features/${HOUSEHOLD}`)).attrs.household_head;
  assert.ok(head && !(await page.textContent('#household-file')).includes(head), 'offline, the cleaner does not see the head\'s name');
  await context.setOffline(false);
  const other = (await admin.features('360803101202'))[0];
  await page.goto(`${server.url}/f/${other.code}`);
  assert.match(await (await page.waitForSelector('#code-error')).textContent(), /不属于您负责的村/);
  await context.close();
});

// y4m writes a label onto a 640×480 grey-scale video frame, Chromium's
// fake camera's input.
function y4m(label) {
  const W = 640;
  const H = 480;
  const y = Buffer.alloc(W * H, 235);
  const s = 2; // the label twice its printed size, as a phone held close sees it
  const x0 = Math.floor((W - label.w * s) / 2);
  const y0 = Math.floor((H - label.h * s) / 2);
  for (let j = 0; j < label.h * s; j++) {
    for (let i = 0; i < label.w * s; i++) {
      const k = (Math.floor(j / s) * label.w + Math.floor(i / s)) * 4;
      const v = 0.299 * label.px[k] + 0.587 * label.px[k + 1] + 0.114 * label.px[k + 2];
      if (y0 + j < H && x0 + i < W && x0 + i >= 0) y[(y0 + j) * W + x0 + i] = Math.round(16 + v * 219 / 255);
    }
  }
  const uv = Buffer.alloc((W / 2) * (H / 2) * 2, 128);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\nFRAME\n`), y, uv]);
}

test('扫码: the camera reads a label and opens its record (jsQR where the browser has no BarcodeDetector)', async () => {
  assert.ok(firstLabel, 'the labels test ran first');
  const video = path.join(ARTIFACTS, 'label.y4m');
  await fs.writeFile(video, y4m(firstLabel));
  const cam = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless', '--disable-gpu',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${video}`] });
  try {
    const context = await cam.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' });
    await context.grantPermissions(['camera'], { origin: server.url });
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error('page error:', err.message));
    await page.goto(`${server.url}/#/list`);
    await page.fill('#username', 'codes.cleaner');
    await page.fill('#password', 'codes-cleaner-pw');
    await page.click('#login');
    await page.click('#scan');
    const hasDetector = await page.evaluate(() => 'BarcodeDetector' in window);
    await page.waitForSelector('#feature-code', { timeout: 30000 });
    const f = (await admin.call('GET', `/api/v1/features?code=${firstLabel.code}`)).features[0];
    assert.equal(await page.evaluate(() => location.hash), `#/f/${f.id}`, `scanned ${firstLabel.code} (BarcodeDetector: ${hasDetector})`);
    await context.close();
  } finally {
    await cam.close();
  }
});

test('a label for one feature from its record, printed from the app', async () => {
  const f = (await admin.features(VILLAGE)).find((x) => x.kind === 'public_toilet');
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(`${server.url}/f/${f.code}`);
  await page.fill('#username', 'admin');
  await page.fill('#password', ADMIN_PASSWORD);
  await page.click('#login');
  await page.click('#label');
  const img = await page.waitForSelector('.label-print .label img');
  const png = PNG.sync.read(await img.screenshot());
  const qr = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  assert.equal(qr?.data, `${server.url}/f/${f.code}`);
  assert.match(await page.textContent('.label-print .label'), new RegExp(`${f.code}公厕社上村`));
  await context.close();
});

test('一户一档: a demo household\'s file shows its three records, each stage with who and when, its photos in time order; it prints on A4', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 780 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(`${server.url}/#/list`);
  await page.fill('#username', 'admin');
  await page.fill('#password', ADMIN_PASSWORD);
  await page.click('#login');
  await page.selectOption('#kind-filter', 'household');
  await page.click(`a.item[data-id="${HOUSEHOLD}"]`);
  await shown(page, '#household-file .record');
  assert.equal(await page.evaluate(() => location.hash), `#/household/${HOUSEHOLD}`);
  const records = await page.$$eval('#household-file .record', (rs) => rs.map((r) => ({
    kind: r.dataset.kind, stages: [...r.querySelectorAll('.stages li')].map((li) => li.textContent),
  })));
  assert.deepEqual(records.map((r) => r.kind), ['household_toilet', 'demolition', 'housing_reform']);
  // People by name (issue 15, item 6): the demo's are 社上村检查员 刘建国 and 社上村保洁员 王春华.
  assert.match(records[0].stages.join('\n'), /^计划 · 社上村检查员 刘建国 · 2025-03-03 09:00\n施工 · 社上村保洁员 王春华 · 2025-03-23 10:00/);
  assert.equal(records[2].stages.length, 6);
  const file = await admin.call('GET', `/api/v1/households/${HOUSEHOLD}`);
  assert.match(await page.textContent('#household-file h2'), new RegExp(file.household.attrs.household_head));
  // Every photo, oldest first, each one drawn.
  await page.waitForFunction((n) => document.querySelectorAll('#household-photos img[src]').length === n, file.photos.length);
  const captions = await page.$$eval('#household-photos figcaption', (cs) => cs.map((c) => c.textContent.match(/\d{4}-\d\d-\d\d \d\d:\d\d/)[0]));
  assert.equal(captions.length, 7);
  assert.deepEqual(captions, [...captions].sort());
  await fs.mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'household-file.png'), fullPage: true });
  // On A4: the app's header, tabs and buttons are gone, the print date is there.
  await page.emulateMedia({ media: 'print' });
  await page.setViewportSize({ width: 794, height: 1123 });
  for (const sel of ['header', 'nav.tabs', '#household-print']) assert.equal(await page.isVisible(sel), false, `${sel} in print`);
  assert.equal(await page.isVisible('#household-photos'), true);
  assert.match(await page.textContent('.print-only'), /打印时间/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'household-print.png'), fullPage: true });
  // Each record leads back to the file.
  await page.emulateMedia({ media: 'screen' });
  await page.click('#household-file .record[data-kind="demolition"] a.open');
  await page.click('#household-link');
  await shown(page, '#household-file .record');
  await context.close();
});
