// Helpers for the browser tests and the measurement: build and start a real
// Cunjie server on a free port with the demo town, talk to its API, and
// launch Debian's Chromium through playwright-core (which never downloads
// a browser of its own).

import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

export const E2E = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(E2E, '..');
export const ARTIFACTS = path.join(E2E, 'artifacts');
export const ADMIN_PASSWORD = 'admin-e2e-pw';
export const VILLAGE = '360803101201';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

// freePort asks the kernel for a port nobody uses, then frees it for the server.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// buildServer compiles the server (the web app must have been built into
// pwa/build first: it is embedded in the binary).
export function buildServer() {
  if (!existsSync(path.join(REPO, 'pwa/build/index.html'))) {
    throw new Error('pwa/build is missing: run `cd pwa && npm ci && node build.mjs` first');
  }
  execFileSync('go', ['build', '-o', 'bin/cunjie', './cmd/cunjie'], { cwd: REPO, stdio: 'inherit' });
  return path.join(REPO, 'bin/cunjie');
}

// startServer runs `cunjie serve` with the demo town in a fresh data
// directory and waits until it is ready. The directory is short and under
// /tmp because the embedded store listens on a Unix socket inside it.
// Loading the demo town takes most of a start, so it is loaded once per
// server binary into a template directory that each start copies.
export async function startServer({ bin = buildServer(), logName = 'server.log' } = {}) {
  const template = await demoTemplate(bin);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cj-'));
  await fs.cp(template, dataDir, { recursive: true, filter: (src) => !src.endsWith('.sock') });
  return runServer({ bin, dataDir, logName });
}

// startEmptyServer runs `cunjie serve` on a fresh data directory with no
// demo town: only the admin.
export async function startEmptyServer({ bin = buildServer(), logName = 'server.log' } = {}) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cj-'));
  return runServer({ bin, dataDir, logName });
}

// demoTemplate answers a data directory holding the demo town as this
// binary loads it, made on first use (the test files run one after the
// other; a rename makes it appear whole or not at all).
async function demoTemplate(bin) {
  const sum = createHash('sha256').update(await fs.readFile(bin)).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), `cj-demo-${sum}`);
  if (existsSync(dir)) return dir;
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cj-'));
  const server = await runServer({ bin, dataDir, logName: 'demo-template-server.log', demo: true });
  await server.stop({ keep: true }); // a clean stop saves every village's snapshot
  await fs.rename(dataDir, dir).catch(async (err) => {
    await fs.rm(dataDir, { recursive: true, force: true });
    if (!existsSync(dir)) throw err;
  });
  return dir;
}

// runServer starts `cunjie serve` on dataDir and waits until it is ready.
async function runServer({ bin, dataDir, logName, demo = false }) {
  const port = await freePort();
  await fs.mkdir(ARTIFACTS, { recursive: true });
  const log = createWriteStream(path.join(ARTIFACTS, logName));
  const proc = spawn(bin, ['serve'], {
    cwd: REPO,
    env: {
      ...process.env,
      CUNJIE_ADDR: `127.0.0.1:${port}`,
      CUNJIE_DATA_DIR: dataDir,
      CUNJIE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      CUNJIE_DEMO: String(demo),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180000; // the demo town takes a while on a slow machine
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}; see e2e/artifacts/${logName}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`server not ready in time; see e2e/artifacts/${logName}`);
    }
    await sleep(300);
  }
  return {
    url,
    async stop({ keep = false } = {}) {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 15000);
        await exited;
        clearTimeout(timer);
      }
      log.end();
      if (!keep) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Api talks to the server from the test, as another person would (the
// town office changing a record meanwhile).
export class Api {
  constructor(url, token = '') {
    this.url = url;
    this.token = token;
  }

  async call(method, p, body, { raw = false } = {}) {
    const headers = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.url + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (raw) return res;
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return data;
  }

  static async login(url, username, password) {
    const r = await new Api(url).call('POST', '/api/v1/auth/login', { username, password });
    return new Api(url, r.token);
  }

  // features pages through a village's changes feed: every live feature.
  async features(village) {
    const out = new Map();
    let since = '0';
    for (;;) {
      const page = await this.call('GET', `/api/v1/changes?village=${village}&since=${since}&limit=1000`);
      for (const f of page.features) {
        if (f.deleted) out.delete(f.id);
        else out.set(f.id, f);
      }
      since = page.next;
      if (!page.more) return [...out.values()];
    }
  }
}

// pngBytes draws a small striped PNG, standing in for a camera photo.
export function pngBytes(width = 96, height = 64) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    for (let x = 0; x < width; x++) {
      const o = y * (width * 3 + 1) + 1 + x * 3;
      raw[o] = (x * 4) & 255;
      raw[o + 1] = 120;
      raw[o + 2] = (y * 4) & 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2; // RGB
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

// idbCount counts the records of one of the app's IndexedDB stores.
export function idbCount(page, store) {
  return page.evaluate((name) => new Promise((resolve, reject) => {
    const r = indexedDB.open('cunjie');
    r.onsuccess = () => {
      const db = r.result;
      const q = db.transaction(name, 'readonly').objectStore(name).count();
      q.onsuccess = () => { db.close(); resolve(q.result); };
      q.onerror = () => reject(q.error);
    };
    r.onerror = () => reject(r.error);
  }), store);
}

// outboxOps reads the app's outbox as stored.
export function outboxOps(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const r = indexedDB.open('cunjie');
    r.onsuccess = () => {
      const db = r.result;
      const q = db.transaction('outbox', 'readonly').objectStore('outbox').getAll();
      q.onsuccess = () => { db.close(); resolve(q.result); };
      q.onerror = () => reject(q.error);
    };
    r.onerror = () => reject(r.error);
  }));
}

// waitFor polls fn until it returns a truthy value (or throws after timeout).
export async function waitFor(fn, what, timeout = 30000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await sleep(250);
  }
}

// spotInside finds a point a few metres from one of the village's features
// that the server places inside the village.
export async function spotInside(api, village) {
  for (const f of await api.features(village)) {
    const spot = { lon: f.location.lon + 0.00011, lat: f.location.lat + 0.00007 };
    const r = await api.call('GET', `/api/v1/villages/locate?lon=${spot.lon}&lat=${spot.lat}`, undefined, { raw: true });
    if (r.ok && (await r.json()).code === village) return spot;
  }
  return null;
}

// idbMeta reads one value of the app's meta store.
export function idbMeta(page, key) {
  return page.evaluate((k) => new Promise((resolve, reject) => {
    const r = indexedDB.open('cunjie');
    r.onsuccess = () => {
      const db = r.result;
      const q = db.transaction('meta', 'readonly').objectStore('meta').get(k);
      q.onsuccess = () => { db.close(); resolve(q.result ? q.result.value : undefined); };
      q.onerror = () => reject(q.error);
    };
    r.onerror = () => reject(r.error);
  }), key);
}

// townDay is the date in China (the town's zone), YYYY-MM-DD, n days on.
export function townDay(n = 0) {
  return new Date(Date.now() + 8 * 3600000 + n * 86400000).toISOString().slice(0, 10);
}

// captureBinOn records a bin (120 l, full) named name through the form, at
// the context's mocked GPS fix, with a photo if asked.
export async function captureBinOn(page, name, withPhoto) {
  await page.evaluate(() => { location.hash = '#/capture'; });
  await page.click('#kind-bin');
  await page.waitForSelector('#save:not([disabled])', { timeout: 15000 });
  await page.fill('#attr-capacity_l', '120');
  await page.selectOption('#attr-status', 'full');
  await page.fill('#attr-name', name);
  if (withPhoto) {
    await page.setInputFiles('#photo-input', { name: 'bin.png', mimeType: 'image/png', buffer: pngBytes() });
    await page.waitForSelector('.thumb img[src^="blob:"]');
  }
  await page.click('#save');
  await page.waitForFunction(() => location.hash === '#/capture');
}

// shown waits for selector like page.waitForSelector, and when it does not
// come says where the page is and what it shows, so a failure in CI can be
// read from its log alone.
export async function shown(page, selector, options) {
  try {
    return await page.waitForSelector(selector, options);
  } catch (err) {
    const where = await page.evaluate(() => `${location.href}\n${document.body.innerText}`).catch((e) => `(page unreadable: ${e.message})`);
    err.message += `\npage at ${where}`;
    throw err;
  }
}
