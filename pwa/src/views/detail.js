// One feature: its attributes, photos and latest events, with a button per
// event its kind takes; and the form that records such an event.

import { KINDS, attrsOf, statusAttr, statusValues, stateColor, titleOf, STATUS_EVENTS, allowedValues, needsReason, isStaff } from '../schema.js';
import { t, valueLabel, formatTime } from '../i18n.js';
import { h, add, dot, field, setError, savedToast } from '../ui.js';
import { localFeature } from '../features.js';
import { photoPicker, stageOption } from '../form.js';
import { watchGps, recentFix } from '../gps.js';
import { uuid } from '../api.js';
import { enqueue } from '../outbox.js';
import { app, sync, onChange } from '../state.js';
import { thumbs } from '../viewer.js';
import { featureName, personName, placeText } from '../names.js';
import { beforeAfter } from './beforeafter.js';

export { thumbs };

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
    h('small', ` ${t('detail.by', { by: personName(e.by), at: formatTime(e.at) })}`),
    e.pending ? h('span.badge', t('list.pending')) : null,
    e.note ? h('div.note', e.note) : null,
    (e.photos || []).length ? thumbs(e.photos) : null);
}

// stageChoices are the stages role may set on f: forward only for a
// cleaner, never accepted (schema.js allowedValues).
function stageChoices(f, role) {
  return allowedValues({ name: statusAttr(f.kind), enum: statusValues(f.kind) }, role, f.attrs);
}

// placeLine says how sure the record's point is and how far it is from
// the person, kept up to date until stop().
function placeLine(loc) {
  const el = h('p.loc#place', `${t('detail.location')}: ${placeText(loc, recentFix())}`);
  const stop = watchGps((fix) => {
    if (fix) el.textContent = `${t('detail.location')}: ${placeText(loc, fix)}`;
  });
  return { el, stop };
}

export async function detailView(main, id) {
  const box = h('div.detail');
  main.append(box);
  let stopPlace = null;
  async function draw() {
    const f = await localFeature(id);
    box.replaceChildren();
    if (stopPlace) stopPlace();
    const place = f && f.location ? placeLine(f.location) : null;
    stopPlace = place && place.stop;
    if (!f) { box.append(h('p', t('detail.notFound')), h('a.button', { href: '#/list' }, t('common.back'))); return; }
    const state = (f.attrs || {})[statusAttr(f.kind)];
    const flags = [];
    const fl = f.flags || {};
    if (fl.lowAccuracy) flags.push(t('flag.lowAccuracy'));
    if (fl.outsideVillage) flags.push(t('flag.outsideVillage'));
    if (fl.possibleDuplicate) flags.push(t('flag.possibleDuplicate'));
    if (fl.photosPending && fl.photosPending.length) flags.push(t('flag.photosPending'));
    const events = [...(f.events || [])].reverse();
    const role = app.session?.user?.role || '';
    const file = f.kind === 'household' ? f.id : (f.attrs || {}).household;
    add(box,
      h('h2', dot(KINDS[f.kind].color, stateColor(state)), ` ${featureName(f)}`),
      h('p.sub', t(`kind.${f.kind}`), state ? ` · ${valueLabel(statusAttr(f.kind), state)}` : '',
        f.code ? h('span.code#feature-code', ` · ${t('code.code')} ${f.code}`) : '',
        f.pending ? h('span.badge', t('list.pending')) : null),
      h('div.record-label', t('detail.record')),
      h('div.event-buttons', KINDS[f.kind].events.filter((type) => eventOffered(f, type, role)).map((type) => h('a.button.event-button', {
        href: `#/f/${f.id}/event/${type}`, dataset: { event: type },
      }, t(`event.${type}`)))),
      attrTable(f),
      file ? h('div.event-buttons', h('a.button#household-link', { href: `#/household/${encodeURIComponent(file)}` }, t('household.open'))) : null,
      place ? place.el : null,
      flags.length ? h('p.flags', `${t('detail.flags')}: ${flags.join('、')}`) : null,
      f.kind === 'demolition' ? beforeAfter(f) : thumbs(f.photos),
      h('h3', t('detail.events')),
      events.length ? h('ul.events', events.map((e) => eventLine(f, e))) : h('p.empty', t('detail.noEvents')),
      h('div.actions',
        h('a.button', { href: `#/map/${f.id}` }, t('detail.onMap')),
        role !== 'cleaner' && !f.unsentCreate
          ? h('a.button#history', { href: `#/history/${f.id}` }, t('history.open')) : null,
        h('a.button#edit', { href: `#/edit/${f.id}` }, t('detail.edit')),
        f.code && isStaff(role) ? h('a.button#label', { href: `#/label/${f.id}` }, t('code.label')) : null),
    );
  }
  await draw();
  const stopChanges = onChange((what) => { if (what === 'data' || what === 'outbox') draw(); });
  return () => {
    stopChanges();
    if (stopPlace) stopPlace();
  };
}

// eventOffered says whether the record's page offers an event: a
// correction to staff only, a stage change only while role has a stage to
// set (a cleaner none once a toilet is accepted).
function eventOffered(f, type, role) {
  if (type === 'corrected') return isStaff(role);
  if (type === 'stage_changed') return stageChoices(f, role).length > 0;
  return true;
}

// eventForm records one event. Status and stage events ask for the new
// value (preset, when the page asked for one: a demolition's "after"
// photo is its stage event to demolished); the position is attached when
// the phone knows it. Setting a stage back, or changing a settled record,
// asks staff why, in the note.
export async function eventForm(main, id, type, preset) {
  const f = await localFeature(id);
  if (!f || !KINDS[f.kind].events.includes(type)) { location.hash = `#/f/${id}`; return null; }
  const attr = statusAttr(f.kind);
  const needsStatus = STATUS_EVENTS.includes(type);
  const role = app.session?.user?.role || '';
  let status = null;
  if (needsStatus) {
    const values = stageChoices(f, role);
    status = h('select#event-status', { name: 'status' },
      h('option', { value: '' }, t('common.unset')),
      values.map((v) => h('option', { value: v }, attr === 'stage' ? stageOption(statusValues(f.kind), v, f.attrs[attr]) : valueLabel(attr, v))));
    if (values.includes(preset)) status.value = preset;
  }
  const note = h('textarea#event-note', { rows: 3, maxLength: 1000 });
  const noteField = field(t('event.note'), note);
  const photos = photoPicker();
  const after = () => (status && status.value ? { ...f.attrs, [attr]: status.value } : f.attrs);
  const needWhy = () => type === 'corrected' || needsReason(f.kind, f.attrs, after());
  // The labels follow the choice: a reason asked for, an after photo.
  const relabel = () => {
    noteField.querySelector('.label').textContent = t(needWhy() ? 'event.reason' : 'event.note');
    photos.el.querySelector('.label').textContent = t(f.kind === 'demolition' && after()[attr] === 'demolished' ? 'demolition.after' : 'photos.title');
  };
  if (status) status.addEventListener('change', relabel);
  relabel();
  const stopGps = watchGps(() => {});
  const save = h('button.primary#save', { type: 'button' }, t('common.save'));
  let saved = false;

  save.addEventListener('click', async () => {
    if (status && !status.value) { setError(status, t('form.needStatus')); return; }
    if (needWhy() && !note.value.trim()) {
      setError(note, t('capture.reasonNeeded'));
      note.focus();
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
    savedToast('event.saved');
    sync();
    location.hash = `#/f/${f.id}`;
  });

  add(main,
    h('h2', t('event.title', { type: t(`event.${type}`), kind: featureName(f) })),
    status ? field(t(attr === 'stage' ? 'event.newStage' : 'event.newStatus'), status) : null,
    photos.el,
    noteField,
    h('div.actions', h('a.button', { href: `#/f/${f.id}` }, t('common.back')), save),
  );
  return () => {
    stopGps();
    if (!saved) photos.discardNew();
  };
}
