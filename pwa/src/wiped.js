// A browser that lost the app's database (WeChat's "clear cache", site
// data cleared, a phone short of space) starts empty, and would say
// nothing of the unsent work it held. So the database carries a marker;
// a start without it, and without any other trace of earlier use, asks the
// server what it last heard from this person's phone (GET /me: lastSyncAt
// and pendingOps, reported with each sync) and says plainly what was lost.

import { t, formatTime } from './i18n.js';
import { h } from './ui.js';
import { api } from './api.js';
import { getMeta, setMeta } from './idb.js';
import { showNotice } from './notices.js';

let fresh = false;

// noteStart runs before anything is written: is this database new?
export async function noteStart() {
  try {
    const [marker, session, pulled] = await Promise.all([getMeta('installedAt'), getMeta('session'), getMeta('lastPull')]);
    fresh = !marker && !session && !pulled;
    if (!marker) await setMeta('installedAt', new Date().toISOString());
  } catch { /* no IndexedDB at all: nothing to compare */ }
}

// checkWiped, once logged in on a new database, tells the person what the
// server knows their phone held. A server that does not report it (older
// than the device reports) says nothing, and nothing is shown.
export async function checkWiped() {
  if (!fresh) return;
  fresh = false;
  let me;
  try { me = await api('GET', '/api/v1/me'); } catch { fresh = true; return; } // offline: ask at the next start of syncing
  if (!me || !me.lastSyncAt) return;
  const n = Number(me.pendingOps) || 0;
  const el = showNotice('wiped', [
    h('b', t('wiped.title')), ' ',
    t(n > 0 ? 'wiped.pending' : 'wiped.synced', { at: formatTime(me.lastSyncAt), n }),
  ], { remember: false });
  if (el) el.classList.add('wiped');
}
