// The inspector's side of the monthly assessment (月度考评): the hub that
// leads to scoring, verification and the office pages, and the scoring
// form itself: a village and a month, points for every item of the
// checklist, and the problems found, each with a GPS point, photos, a
// description and a deadline. Everything is saved to the outbox, so it
// works with no signal; photos go up first, then the inspection.

import { t, formatTime } from '../i18n.js';
import { h, add, field, setError, toast, confirmAsk } from '../ui.js';
import { photoPicker } from '../form.js';
import { uuid, api } from '../api.js';
import { enqueue } from '../outbox.js';
import { del } from '../idb.js';
import {
  localTemplates, localProblems, townDay, townMonth, addDays, DEADLINE_DAYS,
} from '../assess.js';
import { app, sync, currentVillage, chooseVillage, onChange, villageName } from '../state.js';
import { placeBox } from './capture.js';
import { thumbs } from './detail.js';

const isAdmin = () => app.session?.user?.role === 'admin';

// assessHub is the inspector's and the town office's start page of the
// assessment: what to do, and what waits.
export async function assessHub(main) {
  const counts = h('div.hub-counts');
  const unsent = h('div.rows#unsent-inspections');
  const tile = (href, id, label) => h(`a.kind-button.hub-tile#${id}`, { href }, h('span', label));
  add(main,
    h('h2', t('assess.title')),
    counts,
    h('div.kinds.hub',
      tile('#/inspect', 'hub-inspect', t('assess.inspect')),
      tile('#/problems/rectified', 'hub-verify', t('assess.verify')),
      tile('#/ranking', 'hub-ranking', t('assess.ranking')),
      tile('#/villages', 'hub-villages', t('assess.villages')),
      tile('#/report', 'hub-report', t('assess.report')),
      tile('#/templates', 'hub-templates', t('assess.templates')),
      isAdmin() ? tile('#/users', 'hub-users', t('assess.users')) : null),
    h('h3', t('assess.unsent')),
    unsent);

  async function draw() {
    const problems = await localProblems();
    const open = problems.filter((p) => p.status === 'open');
    counts.replaceChildren(
      h('span.chip', t('assess.toVerify', { n: problems.filter((p) => p.status === 'rectified').length })),
      h('span.chip', t('assess.openCount', { n: open.length, o: open.filter((p) => p.overdue).length })));
    const mine = app.ops.filter((o) => o.type === 'putInspection' && o.owner === app.session?.user?.username);
    unsent.replaceChildren(...(mine.length ? mine.map((o) => h('a.item', { href: '#/outbox' },
      h('span.main',
        h('span.title', `${villageName(o.inspection.village)} · ${o.inspection.month}`),
        h('small', t('inspect.totalShort', { n: total(o.inspection.scores) }), ' · ', formatTime(o.createdAt),
          ' · ', t(`state.${o.state}`))))) : [h('p.empty', t('outbox.empty'))]));
  }
  await draw();
  return onChange((what) => { if (what === 'outbox' || what === 'problems' || what === 'data') draw(); });
}

function total(scores) {
  return Math.round(scores.reduce((s, x) => s + (Number(x.points) || 0), 0) * 100) / 100;
}

// problemEditor asks for one problem: where (GPS, a pin to drag), what
// (a description), photos, and by when. onDone(problem | null).
function problemEditor(onDone) {
  let ready = false;
  const ok = h('button.primary#problem-ok', { type: 'button', disabled: true }, t('problem.ok'));
  const place = placeBox((r) => { ready = r; ok.disabled = !r; }, null);
  const desc = h('textarea#problem-desc', { rows: 3, maxLength: 1000 });
  const today = townDay();
  const deadline = h('input#problem-deadline', { type: 'date', value: addDays(today, DEADLINE_DAYS), min: today });
  const photos = photoPicker();
  const cancel = h('button#problem-cancel', { type: 'button' }, t('common.cancel'));
  let finished = false;

  ok.addEventListener('click', () => {
    const text = desc.value.trim();
    setError(desc, text ? '' : t('problem.needDesc'));
    setError(deadline, deadline.value && deadline.value < today ? t('problem.badDeadline') : '');
    if (!text || !ready || (deadline.value && deadline.value < today)) return;
    if (!photos.ids().length) { toast(t('problem.needPhoto')); return; }
    finished = true;
    photos.saved(); // from now on the inspection form owns them
    place.stop();
    onDone({
      id: uuid(), location: place.location(), description: text, photos: photos.ids(),
      deadline: deadline.value || addDays(today, DEADLINE_DAYS),
    });
  });
  cancel.addEventListener('click', () => { stop(); onDone(null); });

  function stop() {
    if (finished) return;
    finished = true;
    place.stop();
    photos.discardNew();
  }
  const el = h('section.problem-editor',
    h('h3', t('problem.new')),
    place.el,
    field(t('problem.description'), desc),
    field(t('problem.deadline'), deadline),
    photos.el,
    h('div.row', cancel, ok));
  return { el, stop };
}

// inspectForm is the scoring form. Points start at each item's maximum
// (the checklist deducts), so the inspector changes only what was wrong.
export async function inspectForm(main) {
  const templates = await localTemplates();
  main.append(h('h2', t('inspect.title')));
  if (!templates.length) {
    main.append(h('p.empty#no-template', t('inspect.noTemplate')));
    return null;
  }
  let village = currentVillage();
  const villageSel = h('select#inspect-village', { 'aria-label': t('inspect.village') },
    app.villages.map((v) => h('option', { value: v.code }, v.name || v.code)));
  villageSel.value = village;
  villageSel.addEventListener('change', () => { village = villageSel.value; chooseVillage(village); });
  const thisMonth = townMonth();
  const month = h('input#inspect-month', { type: 'month', value: thisMonth, max: thisMonth, required: true });
  const tplSel = h('select#inspect-template', templates.map((tp) => h('option', { value: tp.id }, `${tp.name} (v${tp.version})`)));
  const itemsBox = h('div.score-items');
  const totalEl = h('div.score-total#inspect-total');
  let tpl = templates[0];
  let controls = [];

  function showTotal() {
    const sum = controls.reduce((s, c) => s + (Number(c.points.value) || 0), 0);
    totalEl.textContent = t('inspect.total', { n: Math.round(sum * 100) / 100, max: tpl.total || 100 });
  }

  function drawItems() {
    tpl = templates.find((x) => x.id === tplSel.value) || templates[0];
    controls = tpl.items.map((it) => {
      const points = h('input.points', {
        id: `score-${it.id}`, type: 'number', min: 0, max: it.maxPoints, step: 'any', inputMode: 'decimal',
        value: String(it.maxPoints), 'aria-label': t('inspect.points'), dataset: { item: it.id, max: it.maxPoints },
      });
      const note = h('input.note', { id: `note-${it.id}`, type: 'text', maxLength: 500, placeholder: t('inspect.note') });
      points.addEventListener('input', () => {
        showTotal();
        const n = Number(points.value);
        const bad = points.value.trim() === '' || !Number.isFinite(n) || n < 0 || n > it.maxPoints;
        if (!bad || el.classList.contains('invalid')) setError(points, bad ? t('inspect.badPoints', { max: it.maxPoints }) : '');
      });
      const el = h('div.score-item.field', { dataset: { item: it.id } },
        h('div.score-head', h('span.desc', it.description), h('span.max', t('inspect.max', { n: it.maxPoints }))),
        h('div.score-inputs', points, note),
        h('small.err'));
      return { it, points, note, el };
    });
    itemsBox.replaceChildren(...controls.map((c) => c.el));
    showTotal();
  }
  tplSel.addEventListener('change', drawItems);
  drawItems();

  // An earlier month may be closed already: its inspections are refused.
  // Say so before the inspector scores into it, not after the sync.
  const monthNote = h('p.warn#inspect-month-closed', { hidden: true });
  let closedMonth = '';
  async function checkMonth() {
    const m = month.value;
    closedMonth = '';
    monthNote.hidden = true;
    if (!m || m >= thisMonth) return;
    try {
      const r = await api('GET', `/api/v1/assessments?month=${encodeURIComponent(m)}`);
      if (month.value !== m) return;
      if (r.closed) closedMonth = m;
      monthNote.textContent = t(r.closed ? 'inspect.monthClosed' : 'inspect.monthEarlier', { month: m });
    } catch {
      if (month.value !== m) return;
      monthNote.textContent = t('inspect.monthUnknown', { month: m }); // offline: it may be closed by the time it is sent
    }
    monthNote.hidden = false;
  }
  month.addEventListener('change', checkMonth);

  // Problems found, and the editor of the next one.
  const problems = [];
  const problemList = h('div.rows#problem-list');
  const editorBox = h('div');
  let editor = null;
  const addButton = h('button#add-problem', { type: 'button' }, t('problem.add'));
  function drawProblems() {
    problemList.replaceChildren(...problems.map((p, i) => h('div.item.problem-draft', { dataset: { i } },
      thumbs(p.photos.slice(0, 1)),
      h('span.main', h('span.title', p.description),
        h('small', t('problems.deadline', { d: p.deadline }), ' · ', `±${Math.round(p.location.accuracy || 0)} m`)),
      h('button.remove-problem', {
        type: 'button',
        onclick: async () => {
          if (!(await confirmAsk(t('problem.removeAsk'), t('problem.remove')))) return;
          problems.splice(problems.indexOf(p), 1);
          for (const id of p.photos) await del('photos', id);
          drawProblems();
        },
      }, t('problem.remove')))));
    if (!problems.length) problemList.append(h('p.empty', t('inspect.noProblems')));
  }
  addButton.addEventListener('click', () => {
    if (editor) return;
    addButton.hidden = true;
    editor = problemEditor((p) => {
      editor.el.remove();
      editor = null;
      addButton.hidden = false;
      if (p) problems.push(p);
      drawProblems();
    });
    editorBox.append(editor.el);
    editor.el.scrollIntoView({ block: 'start' });
  });
  drawProblems();

  const save = h('button.primary#save', { type: 'button' }, t('common.save'));
  let saved = false;
  save.addEventListener('click', async () => {
    let ok = true;
    const scores = controls.map((c) => {
      const raw = c.points.value.trim();
      const n = Number(raw);
      const bad = raw === '' || !Number.isFinite(n) || n < 0 || n > c.it.maxPoints;
      setError(c.points, bad ? t('inspect.badPoints', { max: c.it.maxPoints }) : '');
      if (bad) ok = false;
      return { item: c.it.id, points: n, note: c.note.value.trim() };
    });
    const m = month.value;
    const badMonth = !/^\d{4}-\d{2}$/.test(m) || m > thisMonth;
    setError(month, badMonth ? t('inspect.badMonth') : '');
    if (badMonth) ok = false;
    if (!village) ok = false;
    if (editor) { toast(t('problem.unfinished')); return; }
    if (ok && closedMonth === m && !(await confirmAsk(t('inspect.closedAsk', { month: m }), t('inspect.closedAnyway')))) return;
    if (!ok) {
      toast(t('form.invalid'));
      main.querySelector('.invalid')?.scrollIntoView({ block: 'center' });
      return;
    }
    save.disabled = true;
    const opId = uuid();
    const inspection = {
      opId, village, month: m, template: tpl.id, templateVersion: tpl.version, scores,
      problems: problems.map((p) => ({ ...p })), at: new Date().toISOString(),
    };
    await enqueue({ type: 'putInspection', id: uuid(), opId, inspection });
    saved = true;
    toast(t('inspect.saved'));
    sync();
    location.hash = '#/assess';
  });

  add(main,
    field(t('inspect.village'), villageSel),
    h('div.two', field(t('inspect.month'), month), templates.length > 1 ? field(t('inspect.template'), tplSel) : null),
    monthNote,
    h('h3', t('inspect.items')),
    itemsBox,
    totalEl,
    h('h3', t('inspect.problems')),
    problemList,
    editorBox,
    addButton,
    h('div.actions', h('a.button', { href: '#/assess' }, t('common.back')), save));

  return () => {
    if (editor) editor.stop();
    if (!saved) for (const id of problems.flatMap((p) => p.photos)) del('photos', id);
  };
}
