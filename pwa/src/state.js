// What the page shares between views, and the page's side of syncing: when
// to send the outbox, when to pull changes, and what to show meanwhile.

import { getMeta, setMeta, getAll } from './idb.js';
import { api } from './api.js';
import { syncOutbox, onOutboxChange, listOps, resetBackoff } from './outbox.js';
import { pullAll } from './features.js';
import { pullAssessment } from './assess.js';
import { isStaff } from './schema.js';

export const app = {
  session: null, // {token, user}; kept in IndexedDB so the app opens logged in offline
  villages: [], // with boundaries
  config: null, // {tileUrl, tileGcj02, tileAttribution}
  progress: null, // {done, total} while the outbox is sent
  pulling: null, // {done, total} while changes are pulled
  done: [], // ops the server took during this visit, newest first
  retryAt: 0, // when the next automatic try is due after a failure
  ops: [], // the outbox, as last read
};

const subscribers = new Set();

// onChange registers a view's re-render; it returns the unsubscribe.
export function onChange(fn) {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
}

function changed(what) {
  for (const fn of subscribers) fn(what);
}

export async function loadLocal() {
  app.session = (await getMeta('session')) || null;
  app.config = (await getMeta('config')) || null;
  app.villages = await getAll('villages');
  app.ops = await listOps();
}

export function myOps() {
  const me = app.session?.user?.username;
  return app.ops.filter((o) => o.owner === me);
}

// The village the lists and the map open on: the last one chosen, or the
// person's own, or the first.
export function currentVillage() {
  let code = '';
  try { code = localStorage.getItem('cunjie.village') || ''; } catch { /* default below */ }
  if (app.villages.some((v) => v.code === code)) return code;
  const own = app.session?.user?.villages || [];
  const mine = app.villages.find((v) => own.includes(v.code));
  return (mine || app.villages[0] || {}).code || '';
}

// TOWN, chosen in the map's village select, is the whole town (staff
// only, online). It is remembered in the village's place, so a village
// chosen anywhere else (a workbench row, "on the map") replaces it, and
// the other views, which know no TOWN, open on the person's own village.
export const TOWN = '*';

export function mapScope() {
  let code = '';
  try { code = localStorage.getItem('cunjie.village') || ''; } catch { /* default below */ }
  return code === TOWN && isStaff(app.session?.user?.role) ? TOWN : currentVillage();
}

export function villageName(code) {
  return (app.villages.find((v) => v.code === code) || {}).name || code || '';
}

export function chooseVillage(code) {
  try { localStorage.setItem('cunjie.village', code); } catch { /* only this visit */ }
}

// --- sending -----------------------------------------------------------

let retryTimer = null;

// sync sends the outbox now (or, unless forced, when the backoff allows)
// and plans the next try after a failure.
export async function sync(opts = {}) {
  if (!app.session || app.session.expired) return;
  if (navigator.onLine === false && !opts.force) return;
  const r = await syncOutbox(opts).catch((err) => {
    console.error('sync failed', err); // a bug, not the network: the ops stay queued
    return {};
  });
  clearTimeout(retryTimer);
  app.retryAt = r.retryAt || 0;
  if (r.retryAt) retryTimer = setTimeout(() => sync(), Math.max(1000, r.retryAt - Date.now()));
  if (r.needLogin) {
    app.session = (await getMeta('session')) || null;
    changed('session');
  }
  if (r.sent > 0) pull();
  app.ops = await listOps();
  changed('outbox');
  return r;
}

// startSyncing wires every trigger: start, network back, a minute's timer,
// a request from the service worker, and Background Sync when the person
// leaves the app with work unsent.
export function startSyncing() {
  onOutboxChange(async (d) => {
    if (d.progress !== undefined) app.progress = d.progress;
    if (d.done && d.done.length) app.done = [...d.done.reverse(), ...app.done].slice(0, 30);
    app.ops = await listOps();
    changed('outbox');
  });
  window.addEventListener('online', async () => {
    await resetBackoff();
    sync({ force: true });
    pull();
  });
  window.addEventListener('offline', () => changed('outbox'));
  setInterval(() => sync(), 60000);
  setInterval(() => pull(), 10 * 60000);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data && e.data.type === 'sync') sync({ force: true });
    });
  }
  // While the app is open it sends by itself; Background Sync is for the
  // moment the person puts the phone away with work still unsent.
  document.addEventListener('visibilitychange', async () => {
    if (document.visibilityState !== 'hidden' || !myOps().length) return;
    try {
      const reg = await navigator.serviceWorker?.ready;
      if (reg && reg.sync) await reg.sync.register('outbox');
    } catch { /* not supported or not allowed: the next start sends */ }
  });
  sync();
  pull();
}

// --- pulling -----------------------------------------------------------

let pulling = null;

// pull refreshes the config, villages and features; one pull at a time.
// fresh asks for a pull that starts now or after the running one, for
// what the server has only just been told (an import, a new checklist).
export function pull({ fresh = false } = {}) {
  if (!app.session || app.session.expired || navigator.onLine === false) return Promise.resolve();
  if (fresh && pulling) return pulling.then(() => pull());
  if (!pulling) {
    pulling = (async () => {
      try {
        await loadConfig();
        app.pulling = { done: 0, total: 0 };
        changed('pull');
        // Templates and problems first: they are few, and a cleaner's
        // rectification list should not wait for the village's features.
        try {
          await pullAssessment();
          changed('problems');
        } catch (err) {
          if (err.status === 401) throw err; // an older server without the assessment: nothing to keep
        }
        await pullAll((done, total) => {
          app.pulling = { done, total };
          changed('pull');
          // The villages are in before their features: show their names now.
          if (done === 0) {
            getAll('villages').then((vs) => { app.villages = vs; changed('data'); });
          }
        });
        await setMeta('lastPull', new Date().toISOString());
      } catch (err) {
        if (err.status === 401) {
          app.session = { ...app.session, expired: true };
          await setMeta('session', app.session);
          changed('session');
        }
      } finally {
        app.villages = await getAll('villages');
        app.pulling = null;
        pulling = null;
        changed('data');
      }
    })();
  }
  return pulling;
}

// loadConfig reads the tile source. Without it (an older server, or no
// tiles configured) the map shows boundaries and features on a plain
// background.
async function loadConfig() {
  try {
    app.config = await api('GET', '/api/v1/config');
  } catch (err) {
    if (err.status === 401) throw err;
    app.config = app.config || null;
    if (err.status) app.config = null; // the server answered: it has no config
  }
  await setMeta('config', app.config);
}

export function notify(what) {
  changed(what);
}
