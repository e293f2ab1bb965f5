// The town office's users (admins only): find a person by login, name or
// village; make one; change a person's name, role and villages; reset a
// forgotten password, shown once to hand over; disable or enable, each
// behind a question. The server ends a changed person's sessions, so
// they log in again and get their new rights.

import { t } from '../i18n.js';
import { h, add, field, toast, confirmAsk } from '../ui.js';
import { api, ApiError } from '../api.js';
import { app, villageName } from '../state.js';
import { explain } from './errview.js';
import { load } from './office.js';

const ROLES = ['cleaner', 'inspector', 'admin'];

// refusal shows why the server refused a change, in the person's words
// with the fields by name.
function refusal(err) {
  if (!(err instanceof ApiError)) return h('p.err', t('users.offline'));
  const e = explain({ message: err.message, code: err.code, fields: err.fields });
  return h('div.err', h('p', e.line), e.fields.length ? h('ul.fields', e.fields.map((f) => h('li', f))) : null);
}

function roleSelect(id, value) {
  const sel = h(`select#${id}`, ROLES.map((r) => h('option', { value: r }, t(`role.${r}`))));
  sel.value = value;
  return sel;
}

// villagePicker is a checkbox per village with a box that narrows them by
// name or code (a county has hundreds).
function villagePicker(id, chosen) {
  const villages = [...app.villages].sort((a, b) => a.code.localeCompare(b.code));
  const find = h('input.village-find', { type: 'search', placeholder: t('users.findVillage'), 'aria-label': t('users.findVillage') });
  const checks = villages.map((v) => h('label.check', { dataset: { find: `${v.name || ''} ${v.code}`.toLowerCase() } },
    h('input', { type: 'checkbox', value: v.code, checked: chosen.includes(v.code), dataset: { village: v.code } }),
    v.name || v.code));
  const count = h('small.hint');
  const value = () => checks.map((l) => l.querySelector('input')).filter((c) => c.checked).map((c) => c.value);
  const showCount = () => { count.textContent = t('users.chosen', { n: value().length }); };
  const box = h(`div.village-checks#${id}`, { onchange: showCount }, checks);
  find.addEventListener('input', () => {
    const q = find.value.trim().toLowerCase();
    for (const l of checks) l.hidden = Boolean(q) && !l.dataset.find.includes(q);
  });
  showCount();
  return { el: h('div.village-picker', find, box, count), value, reset: () => { find.value = ''; find.dispatchEvent(new Event('input')); showCount(); } };
}

// newPassword makes 12 characters a person can read out and type: no 0/O,
// 1/l/I. Bytes past the last whole multiple of the alphabet are drawn
// again, so every character is equally likely.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY3479';
function newPassword(n = 12) {
  let out = '';
  const limit = 256 - (256 % ALPHABET.length);
  while (out.length < n) {
    for (const b of crypto.getRandomValues(new Uint8Array(n))) {
      if (b < limit && out.length < n) out += ALPHABET[b % ALPHABET.length];
    }
  }
  return out;
}

// copyText copies s; without the clipboard API (plain http) it copies the
// selection of input.
async function copyText(s, input) {
  try {
    await navigator.clipboard.writeText(s);
  } catch {
    input.select();
    document.execCommand('copy');
  }
  toast(t('users.copied'));
}

function patchUser(u, body) {
  return api('PATCH', `/api/v1/users/${encodeURIComponent(u.id)}`, { body });
}

function matches(u, q) {
  if (!q) return true;
  const words = [u.username, u.name || '', ...(u.villages || []), ...(u.villages || []).map(villageName)];
  return words.some((w) => w.toLowerCase().includes(q));
}

export async function usersView(main) {
  main.classList.add('wide');
  if (app.session?.user?.role !== 'admin') { main.append(h('p.err', t('users.adminOnly'))); return null; }
  const me = app.session.user.username;
  const search = h('input#user-search', { type: 'search', placeholder: t('users.search'), 'aria-label': t('users.search') });
  const count = h('span.sub#users-count');
  const list = h('section.card#users-list');
  const side = h('div#users-side');
  add(main, h('h2', t('users.title')), h('div.toolbar', search, count), h('div.cols', list, side));
  let users = [];
  let table = null;

  async function refresh() {
    const r = await load(list, () => api('GET', '/api/v1/users'));
    if (!r) return;
    users = r.users || [];
    table = h('tbody');
    list.replaceChildren(h('div.table-scroll', h('table.data#users-table',
      h('thead', h('tr', ['login.username', 'users.name', 'users.role', 'users.villages', 'users.state', ''].map((k) => h('th', k ? t(k) : '')))),
      table)));
    drawRows();
  }

  function drawRows() {
    const q = search.value.trim().toLowerCase();
    const shown = users.filter((u) => matches(u, q));
    count.textContent = t('users.count', { n: shown.length, total: users.length });
    // A tap on the row edits too: on a phone the buttons are scrolled off to the right.
    table.replaceChildren(...shown.map((u) => h(`tr${u.disabled ? '.disabled' : ''}`, {
      dataset: { username: u.username },
      onclick: (e) => { if (!e.target.closest('button')) edit(u); },
    },
      h('td', u.username),
      h('td', u.name || ''),
      h('td', t(`role.${u.role}`)),
      h('td', (u.villages || []).map(villageName).join('、') || (u.role === 'cleaner' ? t('common.none') : t('users.allVillages'))),
      h('td', u.disabled ? t('users.disabled') : t('users.active')),
      h('td.user-actions',
        h('button.edit-user', { type: 'button', onclick: () => edit(u) }, t('users.edit')),
        u.username === me ? null : h(`button.toggle-user${u.disabled ? '' : '.danger'}`, { type: 'button', onclick: () => toggle(u) },
          u.disabled ? t('users.enable') : t('users.disable'))))));
    if (!shown.length) table.append(h('tr', h('td.empty', { colSpan: 6 }, t('users.noneFound'))));
  }

  // toggle disables or enables a person once the admin says yes.
  async function toggle(u) {
    const ask = u.disabled ? t('users.enableAsk', { u: u.username }) : t('users.disableAsk', { u: u.username });
    if (!(await confirmAsk(ask, u.disabled ? t('users.enable') : t('users.disable')))) return;
    try {
      await patchUser(u, { disabled: !u.disabled });
      toast(u.disabled ? t('users.enabled', { u: u.username }) : t('users.disabledNow', { u: u.username }));
      await refresh();
    } catch (err) {
      toast(refusal(err).textContent);
    }
  }

  function showCreate() {
    side.replaceChildren(createForm(async () => { await refresh(); }));
  }

  // edit shows u's editor in place of the new-user form.
  function edit(u) {
    side.replaceChildren(editor(u, {
      saved: async (changed) => {
        await refresh();
        edit(users.find((x) => x.id === changed.id) || changed);
      },
      close: showCreate,
    }));
    // On a phone the editor is under the list: bring it up.
    if (side.getBoundingClientRect().top > window.innerHeight * 0.6) side.scrollIntoView({ block: 'start' });
  }

  search.addEventListener('input', () => { if (table) drawRows(); });
  showCreate();
  await refresh();
  return null;
}

function createForm(created) {
  const username = h('input#user-username', { autocomplete: 'off', autocapitalize: 'none', required: true });
  const name = h('input#user-name', { autocomplete: 'off' });
  const password = h('input#user-password', { type: 'password', autocomplete: 'new-password', minLength: 8 });
  const role = roleSelect('user-role', 'cleaner');
  const villages = villagePicker('user-villages', []);
  const msg = h('div#user-msg');
  const create = h('button.primary#user-create', { type: 'submit' }, t('users.create'));
  const form = h('form.card#user-form', h('h3', t('users.create')),
    field(t('login.username'), username), field(t('users.name'), name), field(t('users.password'), password),
    field(t('users.role'), role), h('div.label', t('users.villages')), villages.el, msg, create);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.replaceChildren();
    create.disabled = true;
    try {
      const u = await api('POST', '/api/v1/users', {
        body: { username: username.value.trim(), name: name.value.trim(), password: password.value, role: role.value, villages: villages.value() },
      });
      toast(t('users.created', { u: u.username }));
      form.reset();
      villages.reset();
      await created();
    } catch (err) {
      msg.append(refusal(err));
    } finally {
      create.disabled = false;
    }
  });
  return form;
}

// editor changes one person: name, role and villages (saved together),
// the password (on its own, shown once after), never the login name.
function editor(u, { saved, close }) {
  const self = u.username === app.session.user.username;
  const name = h('input#edit-name', { value: u.name || '', maxLength: 64, autocomplete: 'off' });
  const role = roleSelect('edit-role', u.role);
  role.disabled = self; // the server refuses an admin's own demotion
  const villages = villagePicker('edit-villages', u.villages || []);
  const msg = h('div#edit-msg');
  const save = h('button.primary#edit-save', { type: 'submit' }, t('common.save'));
  const form = h('form#edit-form',
    field(t('users.name'), name),
    field(t('users.role'), role, self ? t('users.self') : null),
    h('div.label', t('users.villages')), h('small.hint', t('users.staffVillages')), villages.el,
    msg,
    h('div.toolbar', h('button#edit-close', { type: 'button', onclick: close }, t('common.back')), save));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.replaceChildren();
    // Only what changed is sent: a role or villages sent at all end the
    // person's sessions (an admin's own too), so a new name alone must not.
    const body = {};
    if (name.value.trim() !== (u.name || '')) body.name = name.value.trim();
    if (role.value !== u.role) body.role = role.value;
    if (villages.value().join() !== [...(u.villages || [])].sort().join()) body.villages = villages.value();
    if (!Object.keys(body).length) { toast(t('users.unchanged')); return; }
    save.disabled = true;
    try {
      const changed = await patchUser(u, body);
      toast(t('users.saved', { u: u.username }));
      await saved(changed);
    } catch (err) {
      msg.append(refusal(err));
      save.disabled = false;
    }
  });
  return h('section.card#user-editor', { dataset: { username: u.username } },
    h('h3', t('users.editing', { u: u.username })),
    form,
    // Resetting one's own password would end one's own session here:
    // that belongs to a change of password, not to this page.
    self ? null : resetBox(u));
}

// resetBox sets a new password the admin types or generates, and shows it
// once, to copy and hand over.
function resetBox(u) {
  const pw = h('input#reset-password', { type: 'text', autocomplete: 'off', autocapitalize: 'none', spellcheck: false, minLength: 8 });
  const msg = h('div#reset-msg');
  const reset = h('button.primary#reset-save', { type: 'button' }, t('users.reset'));
  reset.addEventListener('click', async () => {
    msg.replaceChildren();
    const value = pw.value;
    reset.disabled = true;
    try {
      await patchUser(u, { password: value });
      pw.value = '';
      const shown = h('input#reset-value', { type: 'text', readOnly: true, value });
      msg.append(h('div.once#reset-shown', h('p', t('users.resetDone', { u: u.username })),
        h('div.row', shown, h('button#reset-copy', { type: 'button', onclick: () => copyText(value, shown) }, t('users.copy')))));
      shown.scrollIntoView({ block: 'center' });
      shown.select();
    } catch (err) {
      msg.append(refusal(err));
    } finally {
      reset.disabled = false;
    }
  });
  return h('div.reset',
    h('h3', t('users.resetTitle')),
    field(t('users.newPassword'), pw, t('users.resetHint')),
    h('div.toolbar', h('button#reset-generate', { type: 'button', onclick: () => { pw.value = newPassword(); } }, t('users.generate')), reset),
    msg);
}
