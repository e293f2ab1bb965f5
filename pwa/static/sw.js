// The service worker: it keeps the app's shell so the app opens without a
// network, and sends the outbox by Background Sync when the app is closed.
// build.mjs bundles this template with the outbox code and injects
// SW_VERSION (a hash of every shell file) and the shell's file lists, so
// each release installs a fresh cache and drops the old one.

import { syncOutbox } from '../src/outbox.js';

/* global SW_VERSION, SW_SHELL, SW_HASHED */
const VERSION = SW_VERSION;
const SHELL = SW_SHELL; // every file of the shell, as URL paths
const HASHED = new Set(SW_HASHED); // those whose name carries their content hash
const PREFIX = 'cunjie-shell-';
const CACHE = PREFIX + VERSION;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // A fingerprinted file may come from the HTTP cache (its content
    // cannot be stale); the others (index.html, manifest, icons) are
    // fetched anew so the cache matches this release.
    await cache.addAll(SHELL.map((path) => new Request(path, { cache: HASHED.has(path) ? 'default' : 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function isApi(path) {
  return path.startsWith('/api/') || path === '/healthz' || path === '/readyz' || path === '/metrics';
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  // Other origins (map tiles) and the API are left to the network: no
  // respondWith, so the browser fetches them as if there were no worker.
  if (url.origin !== self.location.origin || isApi(url.pathname)) return;
  if (req.mode === 'navigate') {
    event.respondWith(cacheFirst('/index.html', req));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(cacheFirst(url.pathname, req));
  }
});

async function cacheFirst(path, req) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(path);
  return hit || fetch(req);
}

// Background Sync fires when the network returns after the person left
// the app with work unsent. An open, visible app sends by itself (so one
// place reports progress); otherwise the worker sends. Throwing asks the
// browser to try again later.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'outbox') return;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window' });
    const open = windows.find((w) => w.visibilityState === 'visible');
    if (open) {
      open.postMessage({ type: 'sync' });
      return;
    }
    const r = await syncOutbox({ force: true });
    if (r.retryAt) throw new Error('outbox not sent yet');
  })());
});
