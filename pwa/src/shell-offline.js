// Whether this browser keeps the app's shell for a start without signal.
// Only a service worker does; in WeChat's browser, with workers refused or
// not offered (old engines, private modes), the page opens only online.
// The outbox and the data kept in IndexedDB do not depend on it: what the
// person records is safe either way, but a reload with no signal shows the
// browser's error page instead of the app. So the person is told once, and
// warned before a reload or close with no signal would lose the app.

import { t } from './i18n.js';
import { h } from './ui.js';
import { showNotice, dismissed } from './notices.js';

let kept = false; // an active service worker will answer the next start

// watchShell follows the registration: registration is register()'s
// promise, or null where the browser has no service workers.
export function watchShell(registration) {
  if (!registration) {
    noShell();
  } else {
    registration.then((reg) => { if (!reg) noShell(); }, noShell);
    navigator.serviceWorker.ready.then(() => { kept = true; });
  }
  window.addEventListener('beforeunload', (e) => {
    if (kept || navigator.onLine !== false) return;
    // Browsers show their own words; ours are for those that still show them.
    e.preventDefault();
    e.returnValue = t('shell.leaveOffline');
    return e.returnValue;
  });
}

export function shellKept() {
  return kept;
}

function noShell() {
  kept = false;
  document.documentElement.dataset.offlineShell = 'none';
  if (dismissed('no-offline-start')) return;
  showNotice('no-offline-start', [h('b', t('shell.noOffline')), ' ', t('shell.noOfflineMore')]);
}
