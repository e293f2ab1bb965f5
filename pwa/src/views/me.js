// Login, and the "me" tab: who is logged in, language, storage, data
// refresh and logout.

import { t, getLang, setLang } from '../i18n.js';
import { h, add, ask, toast } from '../ui.js';
import { api, ApiError } from '../api.js';
import { setMeta, tx, req } from '../idb.js';
import { countFeatures } from '../features.js';
import { exportOutbox } from '../transfer.js';
import { app, myOps, pull, sync, notify } from '../state.js';

export function langButton() {
  return h('button.link#lang', {
    type: 'button',
    onclick: () => { setLang(getLang() === 'en' ? 'zh-CN' : 'en'); notify('lang'); },
  }, t('lang.switch'));
}

// askPersist asks the browser not to evict the outbox and photos when space
// runs low; without it unsent field work could vanish.
export async function askPersist() {
  try {
    if (navigator.storage && navigator.storage.persist && !(await navigator.storage.persisted())) {
      await navigator.storage.persist();
    }
  } catch { /* not offered: nothing to do */ }
}

export function loginView(main) {
  const expired = app.session && app.session.expired;
  const username = h('input#username', {
    name: 'username', autocomplete: 'username', autocapitalize: 'none', required: true,
    value: expired ? app.session.user.username : '',
  });
  const password = h('input#password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const message = h('p.err#login-error', expired ? t('login.again') : '');
  const submit = h('button.primary#login', { type: 'submit' }, t('login.submit'));
  const form = h('form.login',
    h('h1', t('app.title')), h('p.sub', t('app.subtitle')),
    h('label.field', h('span.label', t('login.username')), username),
    h('label.field', h('span.label', t('login.password')), password),
    message, submit, langButton());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    message.textContent = '';
    try {
      const r = await api('POST', '/api/v1/auth/login', { body: { username: username.value.trim(), password: password.value }, token: '' });
      if (app.session && app.session.user.username !== r.user.username) await forgetData();
      app.session = { token: r.token, user: r.user };
      await setMeta('session', app.session);
      await askPersist();
      notify('session');
      pull();
      sync({ force: true });
    } catch (err) {
      if (err instanceof ApiError) {
        message.textContent = err.status === 401 ? t('login.bad') : err.status === 429 ? t('login.limited') : t('login.failed', { msg: err.message });
      } else {
        message.textContent = t('login.offline');
      }
      submit.disabled = false;
    }
  });
  main.append(form);
  username.focus();
}

// forgetData drops the features, villages and problems one person saw, before
// another may log in on the same phone. The outbox is kept.
async function forgetData() {
  await tx(['features', 'villages', 'meta'], 'readwrite', async (fs, vs, m) => {
    fs.clear();
    vs.clear();
    for (const k of await req(m.getAllKeys())) {
      // Cursors, the assessment's problems, checklists and kept photos, the names of people.
      if (/^(cursor:|thumb:|problems$|templates$|people$)/.test(String(k))) m.delete(k);
    }
  });
}

// logout ends the session. Unsent work is not deleted: it belongs to this
// person and goes up when they log in again (or from an exported file).
async function logout() {
  const pending = myOps().length;
  if (pending) {
    const choice = await ask(t('logout.pending', { n: pending, user: app.session.user.username }), [
      { label: t('common.cancel'), value: null },
      { label: t('outbox.export'), value: 'export' },
      { label: t('logout.confirm'), value: 'logout', primary: true },
    ]);
    if (!choice) return;
    if (choice === 'export') { await exportOutbox(); return; }
  }
  try { await api('POST', '/api/v1/auth/logout'); } catch { /* offline: the token just expires */ }
  await forgetData();
  await tx('meta', 'readwrite', (m) => { m.delete('session'); m.delete('backoff'); });
  app.session = null;
  app.villages = [];
  notify('session');
}

export async function meView(main) {
  const u = app.session.user;
  const persisted = navigator.storage && navigator.storage.persisted ? await navigator.storage.persisted() : false;
  const n = await countFeatures();
  add(main,
    h('h2', t('me.user', { name: u.name || u.username, role: t(`role.${u.role}`) })),
    u.villages && u.villages.length
      ? h('p', t('me.villages', { list: u.villages.map((c) => (app.villages.find((v) => v.code === c) || {}).name || c).join('、') }))
      : null,
    h('p', t('me.data', { n, v: app.villages.length })),
    h('p', t('me.storage', { state: t(persisted ? 'me.persisted' : 'me.notPersisted') })),
    h('div.field', h('span.label', t('me.language')), langButton()),
    h('button#refresh', { type: 'button', onclick: () => { pull(); toast(t('outbox.refresh')); } }, t('outbox.refresh')),
    h('button.danger#logout', { type: 'button', onclick: logout }, t('logout.button')),
    h('p.version', t('me.version', { v: document.documentElement.dataset.version || '' })),
  );
}
