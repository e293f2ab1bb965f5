// One feature: its attributes, photos and latest events, with a button per
// event its kind takes; and the form that records such an event.

import { KINDS, attrsOf, statusAttr, statusValues, stateColor, titleOf, STATUS_EVENTS, allowedValues, needsReason, isStaff } from '../schema.js';
import { t, valueLabel, formatTime } from '../i18n.js';
import { h, add, dot, field, setError, toast } from '../ui.js';
import { localFeature } from '../features.js';
import { photoURL } from '../photos.js';
import { photoPicker } from '../form.js';
import { watchGps, recentFix } from '../gps.js';
import { uuid } from '../api.js';
import { enqueue } from '../outbox.js';
import { app, sync, onChange } from '../state.js';

// attrTable lists a feature's attributes with their labels, but those
// named in skip.
export function attrTable(f, skip = []) {
  const rows = [];
  for (const a of attrsOf(f.kind)) {
    const v = (f.attrs || {})[a.name];
    if (v === undefined || v === null || v === '' || skip.includes(a.name)) continue;
    const shown = a.link ? linkTo(a.link, v) : a.type === 'enum' || a.type === 'bool' ? valueLabel(a.name, v) : String(v);
    rows.push(h('tr', h('th', t(`attr.${a.name}`)), h('td', { dataset: { attr: a.name } }, shown)));
  }
  return h('table.attrs-table', rows);
}

// linkTo is a link to the record id of kind (a household opens its file),
// named by its code and name once read from the phone's copy.
function linkTo(kind, id) {
  const a = h('a', { href: kind === 'household' ? `#/household/${encodeURIComponent(id)}` : `#/f/${encodeURIComponent(id)}` }, id);
  localFeature(id).then((g) => { if (g) a.textContent = [g.code, titleOf(g)].filter(Boolean).join(' ') || t(`kind.${g.kind}`); });
  return a;
}

export function eventLine(f, e) {
  const attr = statusAttr(f.kind);
  return h('li.event', { dataset: { type: e.type } },
    h('b', t(`event.${e.type}`)),
    e.status ? ` → ${valueLabel(attr, e.status)}` : '',
    h('small', ` ${t('detail.by', { by: e.by || '', at: formatTime(e.at) })}`),
    e.pending ? h('span.badge', t('list.pending')) : null,
    e.note ? h('div.note', e.note) : null);
}

export function thumbs(ids) {
  const box = h('div.thumbs');
  for (const id of ids || []) {
    const img = h('img', { alt: '', loading: 'lazy' });
    const frame = h('div.thumb', img);
    box.append(frame);
    // Offline, a photo not on the phone has no picture: hide its frame.
    photoURL(id).then((u) => { if (u) img.src = u; else frame.classList.add('missing'); });
  }
  return box;
}

export async function detailView(main, id) {
  const box = h('div.detail');
  main.append(box);
  async function draw() {
    const f = await localFeature(id);
    box.replaceChildren();
    if (!f) { box.append(h('p', t('detail.notFound')), h('a.button', { href: '#/list' }, t('common.back'))); return; }
    const state = (f.attrs || {})[statusAttr(f.kind)];
    const flags = [];
    const fl = f.flags || {};
    if (fl.lowAccuracy) flags.push(t('flag.lowAccuracy'));
    if (fl.outsideVillage) flags.push(t('flag.outsideVillage'));
    if (fl.possibleDuplicate) flags.push(t('flag.possibleDuplicate'));
    if (fl.photosPending && fl.photosPending.length) flags.push(t('flag.photosPending'));
    const events = [...(f.events || [])].reverse();
    const file = f.kind === 'household' ? f.id : (f.attrs || {}).household;
    add(box,
      h('h2', dot(KINDS[f.kind].color, stateColor(state)), ` ${titleOf(f) || t(`kind.${f.kind}`)}`),
      h('p.sub', t(`kind.${f.kind}`), state ? ` · ${valueLabel(statusAttr(f.kind), state)}` : '',
        f.version ? ` · ${t('detail.version', { v: f.version })}` : '',
        f.code ? h('span.code#feature-code', ` · ${t('code.code')} ${f.code}`) : '',
        f.pending ? h('span.badge', t('list.pending')) : null),
      h('div.record-label', t('detail.record')),
      h('div.event-buttons', KINDS[f.kind].events.filter((type) => type !== 'corrected' || isStaff(app.session?.user?.role)).map((type) => h('a.button.event-button', {
        href: `#/f/${f.id}/event/${type}`, dataset: { event: type },
      }, t(`event.${type}`)))),
      attrTable(f),
      file ? h('div.event-buttons', h('a.button#household-link', { href: `#/household/${encodeURIComponent(file)}` }, t('household.open'))) : null,
      f.location ? h('p.loc', `${t('detail.location')}: ${f.location.lat.toFixed(6)}, ${f.location.lon.toFixed(6)}`,
        f.location.accuracy ? ` ±${Math.round(f.location.accuracy)} m` : '') : null,
      flags.length ? h('p.flags', `${t('detail.flags')}: ${flags.join('、')}`) : null,
      thumbs(f.photos),
      h('h3', t('detail.events')),
      events.length ? h('ul.events', events.map((e) => eventLine(f, e))) : h('p.empty', t('detail.noEvents')),
      h('div.actions',
        h('a.button', { href: `#/map/${f.id}` }, t('detail.onMap')),
        app.session?.user?.role !== 'cleaner' && !f.unsentCreate
          ? h('a.button#history', { href: `#/history/${f.id}` }, t('history.open')) : null,
        h('a.button#edit', { href: `#/edit/${f.id}` }, t('detail.edit')),
        f.code && isStaff(app.session?.user?.role) ? h('a.button#label', { href: `#/label/${f.id}` }, t('code.label')) : null),
    );
  }
  await draw();
  return onChange((what) => { if (what === 'data' || what === 'outbox') draw(); });
}

// eventForm records one event. Status and stage events ask for the new
// value; the position is attached when the phone knows it.
export async function eventForm(main, id, type) {
  const f = await localFeature(id);
  if (!f || !KINDS[f.kind].events.includes(type)) { location.hash = `#/f/${id}`; return null; }
  const attr = statusAttr(f.kind);
  const needsStatus = STATUS_EVENTS.includes(type);
  const role = app.session?.user?.role || '';
  let status = null;
  if (needsStatus) {
    const values = allowedValues({ name: attr, enum: statusValues(f.kind) }, role, f.attrs);
    status = h('select#event-status', { name: 'status' },
      h('option', { value: '' }, t('common.unset')),
      values.map((v) => h('option', { value: v }, valueLabel(attr, v))));
  }
  const note = h('textarea#event-note', { rows: 3, maxLength: 1000 });
  const photos = photoPicker();
  const stopGps = watchGps(() => {});
  const save = h('button.primary#save', { type: 'button' }, t('common.save'));
  let saved = false;

  save.addEventListener('click', async () => {
    if (status && !status.value) { setError(status, t('form.needStatus')); return; }
    const after = status ? { ...f.attrs, [attr]: status.value } : f.attrs;
    if ((type === 'corrected' || needsReason(f.kind, f.attrs, after)) && !note.value.trim()) {
      setError(note, t('capture.reasonNeeded'));
      return;
    }
    save.disabled = true;
    const opId = uuid();
    const event = { opId, id: uuid(), type, at: new Date().toISOString(), note: note.value.trim(), photos: photos.ids() };
    const fix = recentFix();
    if (fix) event.location = { lon: fix.lon, lat: fix.lat, accuracy: Math.round(fix.accuracy * 10) / 10 };
    if (status) event.status = status.value;
    await enqueue({ type: 'addEvent', id: f.id, opId, event });
    saved = true;
    photos.saved();
    toast(t('event.saved'));
    sync();
    location.hash = `#/f/${f.id}`;
  });

  add(main,
    h('h2', t('event.title', { type: t(`event.${type}`), kind: titleOf(f) || t(`kind.${f.kind}`) })),
    status ? field(t(attr === 'stage' ? 'event.newStage' : 'event.newStatus'), status) : null,
    field(t('event.note'), note),
    photos.el,
    h('div.actions', h('a.button', { href: `#/f/${f.id}` }, t('common.back')), save),
  );
  return () => {
    stopGps();
    if (!saved) photos.discardNew();
  };
}
