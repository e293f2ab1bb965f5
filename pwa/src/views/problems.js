// The rectification loop (整改) on the phone. A cleaner sees the open
// problems of their villages (kept on the phone, so offline too), overdue
// ones first, and marks one fixed with a photo of the fixed place; an
// inspector or the town office accepts the fix or sends it back. Each step
// is an op in the outbox, sent to its own route when there is a signal.

import { t, formatTime } from '../i18n.js';
import { h, add, field, toast, confirmAsk, savedToast } from '../ui.js';
import { photoPicker } from '../form.js';
import { api, uuid } from '../api.js';
import { enqueue } from '../outbox.js';
import {
  localProblems, localProblem, problemsPulledAt, townDay, addDays, isOverdue, DEADLINE_DAYS,
} from '../assess.js';
import { app, sync, pull, onChange, villageName } from '../state.js';
import { thumbs } from '../viewer.js';
import { personName, placeText } from '../names.js';
import { recentFix } from '../gps.js';

const isStaff = () => ['admin', 'inspector'].includes(app.session?.user?.role);

export function statusChip(p) {
  return h(`span.chip.pstatus-${p.status}`, t(`pstatus.${p.status}`));
}

export function problemRow(p) {
  return h('a.item.problem', { href: `#/problem/${encodeURIComponent(p.id)}`, dataset: { id: p.id, status: p.status } },
    thumbs((p.photos || []).slice(0, 1)),
    h('span.main',
      h('span.title', p.description),
      h('small', villageName(p.village), ' · ', t('problems.deadline', { d: p.deadline || '' }), ' ',
        statusChip(p),
        p.overdue ? h('span.badge.overdue', t('problems.overdue')) : null,
        p.pending ? h('span.badge', t('list.pending')) : null)));
}

// The order of work: overdue first, then by deadline.
function byUrgency(a, b) {
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
  return String(a.deadline).localeCompare(String(b.deadline));
}

// problemsView lists problems by status: open (to fix), rectified (to
// verify) or both; by default a cleaner sees what to fix, staff what to check.
export async function problemsView(main, wanted) {
  let status = ['open', 'rectified', 'all'].includes(wanted) ? wanted : isStaff() ? 'rectified' : 'open';
  let village = '';
  const statusSel = h('select#problem-status', { 'aria-label': t('attr.status') },
    ['open', 'rectified', 'all'].map((s) => h('option', { value: s }, s === 'all' ? t('problems.all') : t(`pstatus.${s}`))));
  statusSel.value = status;
  statusSel.addEventListener('change', () => { status = statusSel.value; draw(); });
  const mine = app.session?.user?.role === 'cleaner' ? app.session.user.villages || [] : app.villages.map((v) => v.code);
  const villageSel = h('select#problem-village', { 'aria-label': t('list.village') },
    h('option', { value: '' }, t('problems.allVillages')),
    mine.map((c) => h('option', { value: c }, villageName(c))));
  villageSel.addEventListener('change', () => { village = villageSel.value; draw(); });
  const count = h('div.count');
  const rows = h('div.rows#problem-rows');
  const refresh = h('button#problems-refresh', { type: 'button', onclick: () => { pull({ fresh: true }); toast(t('outbox.refresh')); } }, t('outbox.refresh'));
  add(main,
    h('h2', t('problems.title')),
    h('div.filters', statusSel, villageSel),
    count, rows, refresh,
    h('a.button', { href: '#/map/problems' }, t('problem.onMap')));

  let drawing = 0;
  async function draw() {
    const me = ++drawing;
    const [all, at] = await Promise.all([localProblems(), problemsPulledAt()]);
    if (me !== drawing) return;
    const list = all
      .filter((p) => (status === 'all' ? p.status !== 'verified' : p.status === status))
      .filter((p) => !village || p.village === village)
      .sort(byUrgency);
    const overdue = list.filter((p) => p.overdue).length;
    count.textContent = [t('list.count', { n: list.length }), overdue ? t('problems.overdueCount', { n: overdue }) : '',
      at ? t('problems.pulledAt', { at: formatTime(at) }) : ''].filter(Boolean).join(' · ');
    rows.replaceChildren(...(list.length ? list.map(problemRow) : [h('p.empty', t('problems.empty'))]));
  }
  await draw();
  return onChange((what) => { if (what === 'problems' || what === 'outbox' || what === 'data') draw(); });
}

function historyLine(e) {
  return h('li.event', { dataset: { action: e.action } },
    h('b', t(`action.${e.action}`)),
    e.deadline && e.action !== 'created' ? ` → ${t('problems.deadline', { d: e.deadline })}` : '',
    h('small', ` ${t('detail.by', { by: personName(e.by), at: formatTime(e.at) })}`),
    e.note ? h('div.note', e.note) : null,
    (e.photos || []).length && e.action !== 'created' ? thumbs(e.photos) : null);
}

// problemView shows one problem with its history and the next step the
// person may take: rectify (the village's cleaner, or staff) when open,
// verify or reopen (staff) when rectified.
export async function problemView(main, id) {
  const box = h('div.detail.problem-detail');
  main.append(box);
  let form = null; // a form being filled is not redrawn under the finger
  let picker = null; // the rectify form's photos, dropped if never saved
  async function draw() {
    if (form) return;
    let p = await localProblem(id);
    if (!p) {
      // Not kept on the phone (verified, or of another list): ask the server.
      try {
        p = await api('GET', `/api/v1/problems/${encodeURIComponent(id)}`);
        p.overdue = isOverdue(p);
      } catch { /* offline or gone: said below */ }
      if (form) return;
    }
    box.replaceChildren();
    if (!p) {
      box.append(h('p', t('problem.notFound')), h('a.button', { href: '#/problems' }, t('common.back')));
      return;
    }
    const role = app.session?.user?.role;
    const mayRectify = p.status === 'open' && (isStaff() || (role === 'cleaner' && (app.session.user.villages || []).includes(p.village)));
    const mayVerify = p.status === 'rectified' && isStaff();
    add(box,
      h('h2', p.description),
      h('p.sub', villageName(p.village), ' · ', statusChip(p), ' ', t('problems.deadline', { d: p.deadline || '' }),
        p.overdue ? h('span.badge.overdue', t('problems.overdue')) : null,
        p.pending ? h('span.badge', t('list.pending')) : null),
      h('div.label', t('problem.before')),
      thumbs(p.photos),
      p.location ? h('p.loc', `${t('detail.location')}: ${placeText(p.location, recentFix())}`) : null,
      h('h3', t('problem.history')),
      h('ul.events#problem-history', (p.history || []).map(historyLine)),
      mayRectify ? rectifyForm(p) : null,
      mayVerify ? verifyForm(p) : null,
      h('div.actions',
        h('a.button', { href: isStaff() ? '#/problems/all' : '#/problems' }, t('common.back')),
        h('a.button', { href: `#/map/p:${encodeURIComponent(p.id)}` }, t('problem.onMap'))));
  }

  // rectifyForm: a note and at least one photo of the fixed place.
  function rectifyForm(p) {
    const note = h('textarea#rectify-note', { rows: 2, maxLength: 1000 });
    const photos = photoPicker();
    const save = h('button.primary#rectify-save', { type: 'button' }, t('rectify.save'));
    picker = photos;
    const el = h('section.step#rectify', h('h3', t('rectify.title')), field(t('rectify.note'), note),
      h('div.label', t('rectify.photo')), photos.el, save);
    note.addEventListener('focus', () => { form = photos; });
    photos.el.addEventListener('change', () => { form = photos; });
    save.addEventListener('click', async () => {
      if (!photos.ids().length) { toast(t('rectify.needPhoto')); return; }
      save.disabled = true;
      const opId = uuid();
      await enqueue({
        type: 'rectifyProblem', id: p.id, opId,
        rectify: { opId, note: note.value.trim(), photos: photos.ids(), at: new Date().toISOString() },
      });
      photos.saved();
      picker = null;
      form = null;
      savedToast('rectify.saved');
      sync();
      draw();
    });
    return el;
  }

  // verifyForm: accept, or send back with a new deadline.
  function verifyForm(p) {
    const note = h('textarea#verify-note', { rows: 2, maxLength: 1000 });
    const today = townDay();
    const deadline = h('input#verify-deadline', { type: 'date', value: addDays(today, DEADLINE_DAYS), min: today });
    const send = async (accept) => {
      if (!accept && !(await confirmAsk(t('verify.reopenAsk'), t('verify.reopen')))) return;
      const opId = uuid();
      const verify = { opId, accept, note: note.value.trim(), at: new Date().toISOString() };
      if (!accept && deadline.value) verify.deadline = deadline.value;
      await enqueue({ type: 'verifyProblem', id: p.id, opId, verify });
      form = null;
      savedToast('verify.saved');
      sync();
      draw();
    };
    note.addEventListener('focus', () => { form = note; });
    return h('section.step#verify', h('h3', t('verify.title')),
      field(t('verify.note'), note),
      h('div.row',
        h('button.primary#verify-accept', { type: 'button', onclick: () => send(true) }, t('verify.accept')),
        h('button.danger#verify-reopen', { type: 'button', onclick: () => send(false) }, t('verify.reopen'))),
      field(t('verify.deadline'), deadline));
  }

  await draw();
  const stop = onChange((what) => { if (what === 'problems' || what === 'outbox' || what === 'data') draw(); });
  return () => {
    stop();
    if (picker) picker.discardNew();
  };
}
