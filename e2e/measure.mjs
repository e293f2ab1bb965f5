// Measures the field app as a cheap phone on a slow network sees it:
// CPU slowed 4×, "slow 3G" (400 ms latency, 400 kbit/s each way).
//   first load:     a fresh phone opens the app and logs in; time until the
//                   login form shows, and until the capture buttons are usable
//   offline reload: the same phone, offline, opens the app again
// with the bytes that crossed the network (encoded sizes, headers included).
//
// Usage: node measure.mjs            (builds and starts its own demo server)
//        CUNJIE_URL=http://host:port CUNJIE_USER=u CUNJIE_PASSWORD=p node measure.mjs

import { startServer, launchBrowser, Api, ADMIN_PASSWORD, VILLAGE } from './lib.mjs';

const KBIT = 1000 / 8; // bytes per second in one kbit/s
const SLOW_3G = { offline: false, latency: 400, downloadThroughput: 400 * KBIT, uploadThroughput: 400 * KBIT };
const CPU_SLOWDOWN = 4;

// Traffic counts the bytes of finished requests by kind.
class Traffic {
  constructor(context) {
    this.rows = [];
    // A request is filed under the moment it started: a long answer that
    // ends after the next phase began still belongs to its own phase.
    const started = new WeakMap();
    context.on('request', (req) => started.set(req, Date.now()));
    context.on('requestfinished', async (req) => {
      const row = { at: started.get(req) ?? Date.now(), url: new URL(req.url()).pathname, worker: Boolean(req.serviceWorker()), bytes: 0 };
      this.rows.push(row);
      const res = await req.response();
      const sizes = await req.sizes().catch((err) => { row.error = err.message; return null; });
      row.fromWorker = Boolean(res && res.fromServiceWorker()); // answered by the worker, not the network
      if (sizes) row.bytes = sizes.responseBodySize + sizes.responseHeadersSize;
    });
  }

  mark() {
    return Date.now();
  }

  // sum adds up the network bytes since a mark, split into page, API and
  // the worker's own fetches (its precache).
  sum(from = 0, to = Infinity) {
    const out = { page: 0, api: 0, precache: 0, requests: 0 };
    for (const r of this.rows.filter((x) => x.at >= from && x.at < to)) {
      if (r.fromWorker) continue;
      out.requests++;
      if (r.worker) out.precache += r.bytes;
      else if (r.url.startsWith('/api/')) out.api += r.bytes;
      else out.page += r.bytes;
    }
    return out;
  }
}

async function throttle(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', SLOW_3G);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
  return cdp;
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;

async function main() {
  let server = null;
  let url = process.env.CUNJIE_URL;
  let username = process.env.CUNJIE_USER;
  let password = process.env.CUNJIE_PASSWORD;
  if (!url) {
    server = await startServer({ logName: 'measure-server.log' });
    url = server.url;
    const admin = await Api.login(url, 'admin', ADMIN_PASSWORD);
    username = 'measure.cleaner';
    password = 'measure-cleaner-pw';
    await admin.call('POST', '/api/v1/users', { username, password, name: '测量', role: 'cleaner', villages: [VILLAGE] });
  }
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
    const traffic = new Traffic(context);
    const page = await context.newPage();
    const cdp = await throttle(context, page);

    // First load: nothing cached, not logged in.
    const start = traffic.mark();
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForSelector('#login', { timeout: 120000 });
    const loginShownAt = traffic.mark();
    await page.fill('#username', username);
    await page.fill('#password', password);
    const submitAt = traffic.mark();
    await page.click('#login');
    await page.waitForSelector('#kind-bin', { timeout: 120000 });
    const captureAt = traffic.mark();

    // Let the pull and the worker's precache finish before going offline.
    await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller, null, { timeout: 180000 });
    await page.waitForFunction(() => new Promise((resolve) => {
      const r = indexedDB.open('cunjie');
      r.onsuccess = () => {
        const q = r.result.transaction('meta').objectStore('meta').get('lastPull');
        q.onsuccess = () => { r.result.close(); resolve(Boolean(q.result)); };
      };
    }), null, { timeout: 600000, polling: 500 });
    await page.waitForTimeout(3000); // the last answers' sizes arrive

    // Offline reload. Offline is set on the same CDP session as the
    // throttling: a second emulation from another session would not stack.
    await context.setOffline(true);
    await cdp.send('Network.emulateNetworkConditions', { ...SLOW_3G, offline: true });
    const offlineAt = traffic.mark();
    await page.reload({ waitUntil: 'commit' });
    await page.waitForSelector('#kind-bin', { timeout: 120000 });
    const offlineCapture = traffic.mark() - offlineAt;
    await page.waitForTimeout(1000);
    if (process.env.VERBOSE) for (const r of traffic.rows) console.log(r.at, r.url, r.bytes, r.worker ? 'worker' : '', r.fromWorker ? 'from worker' : '', r.error || '');

    const loginShown = loginShownAt - start;
    const captureAfterLogin = captureAt - submitAt;
    const shell = traffic.sum(start, loginShownAt);
    const atCapture = traffic.sum(start, captureAt);
    const first = traffic.sum(start, offlineAt);
    const offline = traffic.sum(offlineAt);

    console.log(`Cunjie field app, ${CPU_SLOWDOWN}× CPU slowdown, slow 3G (${SLOW_3G.latency} ms, 400 kbit/s down and up), 360×740`);
    console.log('first load (empty cache):');
    console.log(`  login form usable            ${s(loginShown)}  ${kb(shell.page)} over the network`);
    console.log(`  capture usable after login   ${s(captureAfterLogin)}  (with the shell: ${s(loginShown + captureAfterLogin)}; typing left out)`);
    console.log(`  bytes until capture usable   ${kb(atCapture.page + atCapture.api)} (app ${kb(atCapture.page)}, API ${kb(atCapture.api)})`);
    console.log(`  service worker precache      ${kb(first.precache)} (the worker is its own target: not throttled, not in the times)`);
    console.log(`  API in all, with the pull    ${kb(first.api)}`);
    console.log(`  first load in all            ${kb(first.page + first.api + first.precache)} in ${first.requests} requests`);
    console.log('offline reload:');
    console.log(`  capture usable               ${s(offlineCapture)}  ${kb(offline.page + offline.api + offline.precache)} over the network`);
  } finally {
    await browser.close();
    if (server) await server.stop();
  }
}

await main();
