// The outbox tab: what waits to be sent, each op's state, the sync button
// and progress, and the choices the server left to the person (conflicts,
// refusals). Export and import of unsent work live here too.

import { attrsOf, titleOf } from '../schema.js';
import { t, valueLabel, formatTime } from '../i18n.js';
import { h, add, clear, confirmAsk, toast } from '../ui.js';
import { keepMine, takeServer, discard, listOps, resetBackoff } from '../outbox.js';
import { exportOutbox, importOutbox, shareOutbox } from '../transfer.js';
import { getMeta } from '../idb.js';
import { app, sync, onChange, notify, villageName } from '../state.js';
import { mergeCard } from './conflict.js';
import { explain } from './errview.js';
import { moveButton } from './moveinspection.js';
import { drawNotices } from './replaced.js';
import { thumbs } from '../viewer.js';
import { personName } from '../names.js';

// opPhotos are the photos an op carries, which wait on the phone with it.
function opPhotos(op) {
  const problems = (op.inspection && op.inspection.problems) || [];
  return [op.feature, op.event, op.rectify, ...problems].reduce((all, x) => all.concat((x && x.photos) || []), []);
}

function opTitle(op) {
  if (op.type === 'putInspection') {
    const w = op.inspection;
    const sum = Math.round(w.scores.reduce((s, x) => s + (Number(x.points) || 0), 0) * 100) / 100;
    return [t('op.putInspection'), villageName(w.village), w.month, t('inspect.totalShort', { n: sum }),
      w.problems.length ? t('inspect.problemCount', { n: w.problems.length }) : ''].filter(Boolean).join(' · ');
  }
  if (op.type === 'rectifyProblem' || op.type === 'verifyProblem') {
    const what = op.type === 'rectifyProblem' ? t('op.rectifyProblem') : t(op.verify.accept ? 'verify.accept' : 'verify.reopen');
    return [what, op.rectify?.note || op.verify?.note || ''].filter(Boolean).join(' · ');
  }
  const kind = op.feature?.kind || op.server?.kind || '';
  const what = op.type === 'putFeature'
    ? t(op.feature.baseVersion ? 'op.putFeature.update' : 'op.putFeature.create')
    : op.type === 'addEvent' ? `${t('op.addEvent')} ${t(`event.${op.event.type}`)}` : t(`op.${op.type}`);
  const name = op.feature ? titleOf(op.feature) : '';
  return [what, kind ? t(`kind.${kind}`) : '', name].filter(Boolean).join(' · ');
}

function show(attr, v) {
  if (v === undefined || v === null || v === '') return '';
  return typeof v === 'boolean' || attr.type === 'enum' ? valueLabel(attr.name, v) : String(v);
}

// compare shows the phone's version beside the server's, differences marked.
function compare(op) {
  const mine = op.feature ? op.feature.attrs || {} : {};
  const server = op.server ? op.server.attrs || {} : {};
  const kind = op.feature?.kind || op.server?.kind;
  const rows = attrsOf(kind)
    .filter((a) => mine[a.name] !== undefined || server[a.name] !== undefined)
    .map((a) => h(`tr${show(a, mine[a.name]) !== show(a, server[a.name]) ? '.diff' : ''}`,
      h('th', t(`attr.${a.name}`)), h('td.mine', show(a, mine[a.name])), h('td.server', show(a, server[a.name]))));
  return h('table.compare',
    h('tr', h('th'), h('th', t('conflict.mine')), h('th', t('conflict.server'), op.server?.deleted ? ` ${t('conflict.deleted')}` : '')),
    rows);
}

function card(op, me) {
  const state = op.owner !== me ? 'waiting' : op.state;
  const el = h(`div.op.state-${state}`, { dataset: { seq: op.seq, state } },
    h('div.op-head', h('span.op-title', opTitle(op)), h('span.chip', t(`state.${state}`))),
    h('small', formatTime(op.createdAt)));
  const photos = opPhotos(op);
  if (photos.length) el.append(thumbs(photos));
  if (op.owner !== me) el.append(h('p.hint', t('outbox.otherUser', { user: personName(op.owner) })));
  const merge = op.state === 'conflict' && op.owner === me ? mergeCard(op) : null;
  if (merge) el.append(...merge);
  else if (op.state === 'conflict' && op.owner === me) {
    el.append(h('p', t('conflict.explain')));
    if (op.type === 'putFeature') el.append(compare(op));
    else if (op.error?.message) el.append(h('p.err', explain(op.error).line));
    el.append(h('div.row',
      h('button.primary.keep-mine', { type: 'button', onclick: async () => { await keepMine(op.seq); sync({ force: true }); } }, t('conflict.keepMine')),
      h('button.take-server', { type: 'button', onclick: async () => { await takeServer(op.seq); notify('data'); } }, t('conflict.takeServer'))));
  }
  if (op.state === 'rejected' && op.owner === me) {
    const e = op.error || {};
    const said = explain(e);
    const msg = e.photoConflict ? `${t('rejected.photo')} (${said.line})` : said.line;
    const fields = said.fields;
    add(el, h('p.err', msg), fields.length ? h('ul.fields', fields.map((f) => h('li', f))) : null);
    el.append(h('div.row',
      h('button.discard', {
        type: 'button',
        onclick: async () => { if (await confirmAsk(t('rejected.discardAsk'), t('rejected.discard'))) { await discard(op.seq); notify('data'); } },
      }, t('rejected.discard')),
      op.type === 'putFeature' ? h('a.button.primary', { href: `#/redo/${op.seq}` }, t('rejected.edit')) : moveButton(op)));
  }
  return el;
}

export async function outboxView(main) {
  const status = h('div.sync-status');
  const bar = h('progress#sync-progress', { max: 1, value: 0, hidden: true });
  const list = h('div.ops');
  const notices = h('div.replaced#replaced', { hidden: true });
  const button = h('button.primary#sync-now', { type: 'button' }, t('outbox.sync'));
  button.addEventListener('click', async () => {
    await resetBackoff();
    sync({ force: true });
  });
  const picker = h('input#import-file', { type: 'file', accept: 'application/json,.json', hidden: true });
  picker.addEventListener('change', async () => {
    const file = picker.files[0];
    picker.value = '';
    if (!file) return;
    try {
      toast(t('outbox.imported', { n: await importOutbox(file) }));
      app.ops = await listOps();
      notify('outbox');
      sync();
    } catch (err) {
      toast(t('outbox.importBad', { msg: err.message }));
    }
  });

  // The status lines change every second (the retry countdown); the list
  // only when the outbox does, so a button is never redrawn under a finger.
  async function drawStatus() {
    const ops = app.ops;
    const lastSync = await getMeta('lastSync');
    const lines = [];
    if (app.progress) lines.push(t('outbox.syncing', app.progress));
    else if (app.session?.expired) lines.push(t('outbox.needLogin'));
    else if (navigator.onLine === false && ops.length) lines.push(t('outbox.offline'));
    else if (app.retryAt > Date.now() && ops.length) lines.push(t('outbox.nextTry', { s: Math.ceil((app.retryAt - Date.now()) / 1000) }));
    lines.push(ops.length ? t('outbox.count', { n: ops.length }) : t('outbox.empty'));
    if (lastSync) lines.push(t('outbox.lastSync', { at: formatTime(lastSync) }));
    status.replaceChildren(...lines.map((l) => h('div', l)));
    bar.hidden = !app.progress;
    if (app.progress) { bar.max = Math.max(1, app.progress.total); bar.value = app.progress.done; }
    button.disabled = Boolean(app.progress);
  }

  let drawn = '';
  function drawList() {
    const me = app.session?.user?.username;
    const ops = app.ops;
    const sig = JSON.stringify([me, ops.map((o) => [o.seq, o.state]), app.done.length, app.session?.expired]);
    if (sig === drawn) return;
    drawn = sig;
    clear(list);
    for (const op of ops) list.append(card(op, me));
    for (const op of app.done.slice(0, 10)) {
      list.append(h('div.op.state-done', { dataset: { state: 'done' } },
        h('div.op-head', h('span.op-title', opTitle(op)), h('span.chip', t('state.done'))),
        h('small', formatTime(op.doneAt))));
    }
  }

  const risk = h('div.at-risk#at-risk', { hidden: true });
  const storage = h('p.storage#storage-state');
  main.append(
    h('h2', t('outbox.title')),
    status, storage, risk, bar, button, notices, list,
    h('div.transfer',
      h('button#export', {
        type: 'button',
        onclick: async () => toast(t('outbox.exported', { n: await exportOutbox() })),
      }, t('outbox.export')),
      h('label.button', { htmlFor: 'import-file' }, t('outbox.import')), picker),
  );
  drawList();
  drawNotices(notices);
  await drawStatus();
  await drawRisk(risk, storage);
  const ticker = setInterval(drawStatus, 1000);
  const stop = onChange((what) => {
    if (what === 'data') drawNotices(notices);
    if (what !== 'outbox' && what !== 'session') return;
    drawStatus();
    drawList();
    drawRisk(risk, storage);
  });
  return () => { clearInterval(ticker); stop(); };
}

const DAY_MS = 24 * 3600 * 1000;

// drawRisk offers to save unsent work to a file, and to share it, when the
// browser may clear it: storage not persistent (WeChat's "clear cache", a
// phone short of space), or work waiting for more than a day.
async function drawRisk(risk, storage) {
  let persisted = false;
  try { persisted = Boolean(navigator.storage && navigator.storage.persisted && (await navigator.storage.persisted())); } catch { /* unknown: not persistent */ }
  storage.textContent = t(persisted ? 'storage.persisted' : 'storage.notPersisted');
  storage.dataset.persisted = String(persisted);
  const me = app.session?.user?.username;
  const mine = app.ops.filter((o) => o.owner === me);
  const oldest = Math.min(...mine.map((o) => Date.parse(o.createdAt) || Date.now()));
  const old = mine.length > 0 && Date.now() - oldest > DAY_MS;
  risk.hidden = !mine.length || (persisted && !old);
  if (risk.hidden) return;
  const why = [old ? t('outbox.atRiskOld') : '', persisted ? '' : t('outbox.atRiskStorage')].join('');
  risk.replaceChildren(
    h('p', t('outbox.atRisk', { why })),
    h('div.row',
      h('button.primary#save-file', { type: 'button', onclick: async () => toast(t('outbox.exported', { n: await exportOutbox() })) }, t('outbox.save')),
      h('button#share-file', { type: 'button', onclick: async () => toast(t('outbox.shared', { n: await shareOutbox() })) }, t('outbox.share'))));
}
