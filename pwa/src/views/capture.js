// Capture: choose a kind, wait for a good GPS fix, fill the form, take
// photos, save to the outbox. Editing an existing feature uses the same form.

import { KIND_IDS, KINDS, isStaff, needsReason, mergeAttrs, withDefaults } from '../schema.js';
import { t } from '../i18n.js';
import { h, dot, toast, field, setError, confirmAsk, savedToast } from '../ui.js';
import { outsideWarning } from './outside.js';
import { attrForm, photoPicker } from '../form.js';
import { watchGps, gpsMessage } from '../gps.js';
import { uuid } from '../api.js';
import { enqueue, replaceOp, listOps } from '../outbox.js';
import { localFeature } from '../features.js';
import { app, sync, currentVillage } from '../state.js';
import { get, put } from '../idb.js';
import { PinMap } from '../map.js';
import { stageDate } from '../stagedates.js';
import { townDay } from '../assess.js';
import { thumbs } from '../viewer.js';
import { afterPhotos, slot } from './beforeafter.js';

const GOOD_ACCURACY_M = 10; // within a yard: the bin is not put at the neighbour's
const WAIT_FOR_GOOD_S = 30; // then the person may take what there is

export function kindGrid(main) {
  main.append(
    h('h2', t('capture.choose')),
    h('div.kinds', KIND_IDS.map((k) => h('a.kind-button', { href: `#/capture/${k}`, id: `kind-${k}` },
      dot(KINDS[k].color), h('span', t(`kind.${k}`))))),
  );
}

// The place box: live accuracy, a small map with a draggable pin, and the
// rule "wait for ≤10 m, or after 30 s accept worse with a warning".
export function placeBox(onReady, initial) {
  const status = h('div.gps-status', t('gps.waiting'));
  const warn = h('div.gps-warn');
  const acceptPoor = h('button.secondary', { type: 'button', hidden: true }, t('gps.acceptPoor'));
  const useCurrent = h('button.secondary', { type: 'button', hidden: !initial }, t('gps.useCurrent'));
  const mapEl = h('div.pin-map');
  const box = h('section.place', h('div.label', t('gps.title')), status, mapEl, h('small.hint', t('gps.dragHint')), acceptPoor, useCurrent, warn);

  let fix = null;
  let chosen = initial ? { ...initial } : null; // what will be saved
  let poorOK = false;
  let moved = false;
  let pin = null;
  let stopGps = null;
  let ticker = null;
  let stopped = false;
  let gpsError = '';
  const started = Date.now();

  const ready = () => Boolean(chosen) && (moved || initial || chosen.accuracy <= GOOD_ACCURACY_M || poorOK);

  function show() {
    if (initial && !stopGps) {
      status.textContent = moved ? t('gps.moved') : t('gps.kept');
    } else if (!fix) {
      // No position yet: say why, or that the pin was placed by hand.
      status.textContent = moved ? t('gps.moved') : gpsError || t('gps.waiting');
    } else {
      const m = Math.round(fix.accuracy);
      const waited = Math.round((Date.now() - started) / 1000);
      let s = t('gps.accuracy', { m });
      if (moved) s += ` · ${t('gps.moved')}`;
      else if (fix.accuracy <= GOOD_ACCURACY_M) s += ` · ${t('gps.good')}`;
      else if (!poorOK) s += ` · ${t('gps.poor', { s: Math.max(0, WAIT_FOR_GOOD_S - waited) })}`;
      status.textContent = s;
      acceptPoor.hidden = !(fix.accuracy > GOOD_ACCURACY_M && !poorOK && !moved && waited >= WAIT_FOR_GOOD_S);
    }
    status.classList.toggle('good', ready());
    warn.textContent = poorOK && chosen && chosen.accuracy > GOOD_ACCURACY_M ? t('gps.poorAccepted', { m: Math.round(chosen.accuracy) }) : '';
    onReady(ready());
  }

  function startGps() {
    stopGps = watchGps((f, err) => {
      if (err && !f) {
        gpsError = gpsMessage(err, t);
        show();
        return;
      }
      if (!f) return;
      fix = f;
      gpsError = '';
      if (!moved) {
        chosen = { lon: f.lon, lat: f.lat, accuracy: f.accuracy };
        if (pin) pin.setFix(f);
      }
      show();
    });
    ticker = setInterval(show, 1000);
  }

  acceptPoor.addEventListener('click', () => { poorOK = true; show(); });
  useCurrent.addEventListener('click', () => {
    useCurrent.hidden = true;
    initial = null;
    moved = false;
    chosen = null;
    if (pin) pin.dragged = false;
    startGps();
    show();
  });

  // The map is drawn once the form is in the page; the form is usable before.
  Promise.resolve().then(() => {
    if (stopped || !box.isConnected) return; // the person has left the form
    pin = new PinMap(mapEl, {
      cfg: app.config, villages: app.villages,
      onMove: ({ lon, lat }) => {
        moved = true;
        chosen = { lon, lat, accuracy: chosen ? chosen.accuracy : (fix ? fix.accuracy : 0) };
        show();
      },
    });
    if (chosen) pin.setFix(chosen);
    setTimeout(() => pin && pin.resize(), 0);
  });

  if (!initial) startGps();
  show();
  return {
    el: box,
    location: () => (chosen ? {
      lon: round(chosen.lon, 7), lat: round(chosen.lat, 7), accuracy: round(chosen.accuracy || 0, 1),
    } : null),
    stop() {
      stopped = true;
      if (stopGps) stopGps();
      clearInterval(ticker);
      if (pin) pin.destroy();
      pin = null;
    },
  };
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// captureForm shows the form for a new feature of kind (of household, a
// household's id, when recorded from its file), for an edit of an
// existing feature (editId), or for a refused op being corrected (redoSeq).
export async function captureForm(main, { kind, editId, redoSeq, household }) {
  let base = null; // the feature edited
  let redo = null; // the refused op corrected
  if (editId) {
    base = await localFeature(editId);
    if (!base) { main.append(h('p', t('detail.notFound'))); return null; }
    kind = base.kind;
  }
  if (redoSeq) {
    redo = await get('outbox', Number(redoSeq));
    if (!redo || redo.type !== 'putFeature') { location.hash = '#/outbox'; return null; }
    kind = redo.feature.kind;
  }
  if (!KINDS[kind]) { location.hash = '#/capture'; return null; }

  const start = redo ? redo.feature : base;
  const role = app.session?.user?.role || '';
  const title = t(base || redo ? 'capture.edit' : 'capture.new', { kind: t(`kind.${kind}`) });
  const save = h('button.primary#save', { type: 'button', disabled: true }, t('common.save'));
  const place = placeBox((ok) => { save.disabled = !ok; }, start ? start.location : null);
  const home = household ? await localFeature(household) : null;
  const village = (start && start.village) || (home && home.village) || currentVillage();
  const form = attrForm(kind, start ? start.attrs : home ? { household: home.id } : {}, role, base ? base.attrs : undefined, village);
  const back = base ? `#/f/${base.id}` : redo ? '#/outbox' : home ? `#/household/${home.id}` : '#/capture';
  // Staff changing a settled record, or setting a stage back, say why
  // (the server keeps it in the record's history): asked as they make
  // such a change. A cleaner is offered neither.
  const reason = h('input#reason', { type: 'text', maxLength: 500, autocomplete: 'off', placeholder: t('capture.reasonHint') });
  const reasonField = field(t('capture.reason'), reason);
  const afterEdit = () => withDefaults(kind, mergeAttrs(base.attrs, form.values()));
  const askReason = () => { reasonField.hidden = !(base && isStaff(role) && needsReason(kind, base.attrs, afterEdit())); };
  form.el.addEventListener('change', askReason);
  askReason();
  fillDateOnStage(kind, form.el);
  // A demolition's photos are two sides, each titled by its slot.
  const photos = photoPicker(start ? (start.photos || []) : [], kind === 'demolition' ? { title: '' } : {});
  const after = kind === 'demolition' && !redo ? afterSlot(base, form.el) : null;

  let saved = false;
  save.addEventListener('click', async () => {
    // Saving awaits storage; someone who moved on meanwhile (tapped the
    // outbox, say) is not pulled back to where the form wanted to go.
    const here = location.hash;
    const loc = place.location();
    if (!loc) { toast(t('form.needFix')); return; }
    const attrs = form.read();
    if (!attrs) return;
    const outside = !base && !redo ? outsideWarning(loc) : '';
    if (outside && !(await confirmAsk(outside, t('capture.saveAnyway')))) return;
    const why = reason.value.trim();
    if (base && needsReason(kind, base.attrs, withDefaults(kind, mergeAttrs(base.attrs, attrs))) && !why) {
      reasonField.hidden = false;
      setError(reason, t('capture.reasonNeeded'));
      reason.focus();
      return;
    }
    save.disabled = true;
    const opId = uuid();
    const id = base ? base.id : uuid();
    const feature = { opId, kind, location: loc, attrs, photos: photos.ids() };
    if (why) feature.reason = why;
    if (redo) {
      feature.photos = await freshPhotoIds(redo, feature.photos);
      if (redo.feature.baseVersion) feature.baseVersion = redo.feature.baseVersion;
      await replaceOp(redo.seq, { type: 'putFeature', id: redo.id, opId, feature });
    } else if (base && base.unsentCreate) {
      // Not sent yet: correct the waiting create instead of queueing an
      // edit of a version the server has never seen.
      const create = (await listOps()).find((o) => o.id === base.id && o.type === 'putFeature' && !o.feature.baseVersion);
      if (create) await replaceOp(create.seq, { type: 'putFeature', id: base.id, opId, feature });
      else await enqueue({ type: 'putFeature', id: base.id, opId, feature });
    } else {
      if (base) feature.baseVersion = base.version;
      await enqueue({ type: 'putFeature', id, opId, feature });
    }
    if (after && after.shown() && after.picker.ids().length) {
      // The house after: on the event that records it demolished.
      const evOp = uuid();
      await enqueue({ type: 'addEvent', id, opId: evOp, event: {
        opId: evOp, id: uuid(), type: 'stage_changed', status: 'demolished', at: new Date().toISOString(), note: '', photos: after.picker.ids(),
      } });
      after.picker.saved();
    }
    saved = true;
    photos.saved();
    savedToast(base || redo ? 'capture.savedEdit' : 'capture.saved');
    sync();
    if (location.hash === here) location.hash = back;
  });

  // The photos come first: they are taken while the GPS settles, and on a
  // small screen their button would otherwise be below the fold.
  main.append(
    h('h2', title),
    after ? h('div.before-after', slot('before', photos.el), after.el) : photos.el,
    place.el,
    form.el,
    reasonField,
    h('div.actions', h('a.button', { href: back }, t('common.back')), save),
  );
  return () => {
    place.stop();
    if (!saved) photos.discardNew();
    if (after && (!saved || !after.shown())) after.picker.discardNew();
  };
}

// fillDateOnStage fills a work's date (拆除日期, 完工日期) with today when
// its stage is set to one that has it and it is empty; the person sees it
// and may change it (the server fills the same).
function fillDateOnStage(kind, formEl) {
  const d = stageDate(kind);
  const stage = formEl.querySelector('#attr-stage');
  const date = d && formEl.querySelector(`#attr-${d.attr}`);
  if (!stage || !date) return;
  stage.addEventListener('change', () => {
    if (d.stages.includes(stage.value) && !date.value && !date.disabled) date.value = townDay();
  });
}

// afterSlot is a demolition's "after" side of the form, shown while the
// stage says demolished: the after photos it has, and a picker for more,
// which go on the stage event to demolished.
function afterSlot(base, formEl) {
  const picker = photoPicker([], { id: 'photo-after', title: '' });
  const had = base ? afterPhotos(base) : [];
  if (had.length) picker.el.insertBefore(thumbs(had), picker.el.querySelector('.thumbs'));
  const el = slot('after', picker.el);
  const stage = formEl.querySelector('#attr-stage');
  const shown = () => Boolean(stage) && stage.value === 'demolished';
  const show = () => { el.hidden = !shown(); };
  if (stage) stage.addEventListener('change', show);
  show();
  return { el, picker, shown };
}

// A photo the server refused because its id is taken gets a new id (the
// same picture under a fresh UUID), so the corrected op can go up.
async function freshPhotoIds(op, ids) {
  const taken = op.error && op.error.photoConflict ? op.error.photo : '';
  if (!taken || !ids.includes(taken)) return ids;
  const p = await get('photos', taken);
  if (!p) return ids.filter((id) => id !== taken);
  const id = uuid();
  await put('photos', { ...p, id, uploaded: false });
  return ids.map((x) => (x === taken ? id : x));
}
