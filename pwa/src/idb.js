// A small promise wrapper over IndexedDB. It runs in the page and in the
// service worker (Background Sync), so it touches no DOM.
//
// Stores:
//   meta      {key, value}: session, cursors, config, backoff
//   villages  {code, name, town, areaKm2, boundary}
//   features  server copies of features, by id, indexed by village
//   outbox    pending writes, auto-increment key, replayed oldest first
//   photos    {id, blob, uploaded, featureId}: photos taken on the phone

const NAME = 'cunjie';
const VERSION = 1;

let opening;

export function openDB() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const r = indexedDB.open(NAME, VERSION);
      r.onupgradeneeded = () => {
        const db = r.result;
        db.createObjectStore('meta', { keyPath: 'key' });
        db.createObjectStore('villages', { keyPath: 'code' });
        db.createObjectStore('features', { keyPath: 'id' }).createIndex('village', 'village');
        db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
        db.createObjectStore('photos', { keyPath: 'id' });
      };
      r.onsuccess = () => {
        const db = r.result;
        // A newer version of the app in another tab wants to upgrade:
        // step aside rather than block it.
        db.onversionchange = () => { db.close(); opening = undefined; };
        resolve(db);
      };
      r.onerror = () => { opening = undefined; reject(r.error); };
    });
  }
  return opening;
}

export function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

// tx runs fn with the named stores in one transaction and resolves with
// fn's result once the transaction has committed. fn may only await
// requests of this transaction, or IndexedDB closes it early.
export async function tx(names, mode, fn) {
  const db = await openDB();
  const list = Array.isArray(names) ? names : [names];
  const t = db.transaction(list, mode);
  const done = new Promise((resolve, reject) => {
    t.oncomplete = resolve;
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('transaction aborted'));
  });
  const result = await fn(...list.map((n) => t.objectStore(n)));
  await done;
  return result;
}

export const get = (store, key) => tx(store, 'readonly', (s) => req(s.get(key)));
export const getAll = (store) => tx(store, 'readonly', (s) => req(s.getAll()));
export const put = (store, value) => tx(store, 'readwrite', (s) => req(s.put(value)));
export const del = (store, key) => tx(store, 'readwrite', (s) => req(s.delete(key)));
export const clear = (store) => tx(store, 'readwrite', (s) => req(s.clear()));

export async function getMeta(key) {
  const row = await get('meta', key);
  return row ? row.value : undefined;
}

export function setMeta(key, value) {
  return put('meta', { key, value });
}
