// The household file (一户一档): a household with its toilet, its housing
// reform and the old house it demolished, each record's stages with who
// and when, and every photo in time order; printable on A4. Online it is
// the server's file (whole histories, the names the role may see);
// without an answer it is made from the phone's copy, which keeps each
// record's latest events only, and says so.

import { KINDS, KIND_IDS, statusAttr, titleOf } from '../schema.js';
import { t, valueLabel } from '../i18n.js';
import { h, add, dot } from '../ui.js';
import { api } from '../api.js';
import { localFeature, featuresIn } from '../features.js';
import { photoURL } from '../photos.js';
import { viewable } from '../viewer.js';
import { personName } from '../names.js';
import { attrTable } from './detail.js';
import { villageName, onChange } from '../state.js';

const WORKS = ['household_toilet', 'housing_reform', 'demolition'];
const CHECKED = { housing_reform: 'one_household_one_homestead', household_toilet: 'one_household_one_toilet' };

export async function householdView(main, id) {
  const box = h('div.household-file#household-file');
  main.append(box);
  let file = null;
  let local = false;
  try {
    file = await api('GET', `/api/v1/households/${encodeURIComponent(id)}`);
  } catch {
    // Offline, or a household not sent yet: the phone's copy.
    file = await localFile(id);
    local = true;
  }
  if (!box.isConnected) return null; // the person has moved on
  if (!file) {
    box.append(h('p.error#household-error', t('household.notFound')), h('a.button', { href: '#/list' }, t('common.back')));
    return null;
  }
  drawFile(box, file, local);
  // The phone's copy arriving names the village and the linked records.
  return onChange((what) => { if (what === 'data') drawFile(box, file, local); });
}

// localFile makes the file from the phone's copy as the server makes it:
// the records that name the household, and the old house its new house
// names; their stages from their latest events; every photo they keep.
async function localFile(id) {
  const hh = await localFeature(id);
  if (!hh || hh.kind !== 'household') return null;
  const fs = await featuresIn(hh.village);
  const records = fs.filter((f) => (f.attrs || {}).household === id);
  for (const f of records.slice()) {
    const old = f.kind === 'housing_reform' ? fs.find((g) => g.id === (f.attrs || {}).old_house) : null;
    if (old && !records.includes(old)) records.push(old);
  }
  records.sort((a, b) => KIND_IDS.indexOf(a.kind) - KIND_IDS.indexOf(b.kind) || String(a.createdAt).localeCompare(String(b.createdAt)));
  const photos = [];
  for (const f of [hh, ...records]) {
    for (const p of f.photos || []) photos.push({ photo: p, feature: f.id, kind: f.kind, by: f.createdBy, at: f.createdAt });
    for (const e of f.events || []) for (const p of e.photos || []) photos.push({ photo: p, feature: f.id, kind: f.kind, event: e.type, stage: e.status, by: e.by, at: e.at });
  }
  photos.sort((a, b) => String(a.at).localeCompare(String(b.at)));
  const checks = [];
  for (const [kind, rule] of Object.entries(CHECKED)) {
    const twice = records.filter((f) => f.kind === kind && (f.attrs || {}).household === id);
    if (twice.length > 1) checks.push({ rule, basis: 'household', household: id, features: twice.map((f) => f.id), codes: twice.map((f) => f.code || '') });
  }
  return { household: hh, records: records.map((f) => ({ feature: f, stages: localStages(f) })), photos, checks };
}

// localStages are a works record's stages as its latest events tell them,
// or the one it is in.
function localStages(f) {
  const attr = statusAttr(f.kind);
  if (attr !== 'stage') return [];
  const steps = (f.events || []).filter((e) => e.status).map((e) => ({ stage: e.status, event: e.type, by: e.by, at: e.at }));
  return steps.length ? steps : [{ stage: (f.attrs || {})[attr], by: f.createdBy, at: f.createdAt }];
}

const pad = (n) => String(n).padStart(2, '0');

// when is a day and time as the people in the field read them (their
// phone's zone is China's).
function when(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const who = (s) => s.byName || personName(s.by);

function drawFile(box, file, local) {
  box.replaceChildren();
  const hh = file.household;
  const kinds = file.records.map((r) => r.feature.kind);
  add(box,
    h('h2', dot(KINDS.household.color), ` ${t('household.title')} · ${titleOf(hh) || hh.code || ''}`),
    h('p.sub', [hh.code, villageName(hh.village)].filter(Boolean).join(' · ')),
    local ? h('p.notice#household-local', t('household.local')) : null,
    attrTable(hh),
    h('section.card.checks#household-checks', h('h3', t('household.checks')),
      file.checks.length ? h('ul', file.checks.map((c) => h('li.check', { dataset: { rule: c.rule } },
        t(`household.check.${c.rule}`, { n: c.features.length }), ` (${t(`household.basis.${c.basis}`)}): `,
        c.codes.filter(Boolean).join('、'))))
        : h('p.ok', t('household.noChecks'))),
    h('h3', t('household.records')),
    file.records.length ? file.records.map(recordCard) : h('p.empty', t('household.noRecords')),
    h('div.event-buttons.no-print', WORKS.filter((k) => !kinds.includes(k)).map((k) => h('a.button', {
      href: `#/capture/${k}/${encodeURIComponent(hh.id)}`, dataset: { add: k },
    }, t('household.add', { kind: t(`kind.${k}`) })))),
    h('h3', t('household.photos')),
    file.photos.length ? h('div.photo-grid#household-photos', file.photos.map(photoFigure)) : h('p.empty', t('household.noPhotos')),
    h('div.actions.no-print',
      h('button.primary#household-print', { type: 'button', onclick: () => window.print() }, t('household.print')),
      h('a.button#household-details', { href: `#/f/${encodeURIComponent(hh.id)}` }, t('map.details'))),
    h('p.print-only.sub', t('household.printed', { at: when(new Date().toISOString()) })));
}

function recordCard(r) {
  const f = r.feature;
  const attr = statusAttr(f.kind);
  const state = (f.attrs || {})[attr];
  return h('section.card.record', { dataset: { kind: f.kind, id: f.id } },
    h('h3', dot(KINDS[f.kind] ? KINDS[f.kind].color : '#000'), ` ${t(`kind.${f.kind}`)}`,
      f.code ? ` · ${f.code}` : '', state ? ` · ${valueLabel(attr, state)}` : '',
      h('a.no-print.open', { href: `#/f/${encodeURIComponent(f.id)}` }, ' ›')),
    attrTable(f, ['household']), // its household is this one
    r.stages.length ? h('ol.stages', r.stages.map((s) => h('li', { dataset: { stage: s.stage } },
      h('b', valueLabel(attr, s.stage)), ` · ${who(s)} · ${when(s.at)}`, s.note ? h('small', ` ${s.note}`) : null))) : null);
}

// photoFigure is a photo with what it shows: of which record, at which
// stage (or event), when and by whom; it opens full size among all of the
// file's photos.
function photoFigure(p, i, all) {
  const img = h('img', { alt: '' }); // not lazy: a print must have them all
  const what = p.stage ? valueLabel(statusAttr(p.kind), p.stage) : p.event ? t(`event.${p.event}`) : '';
  const fig = h('figure', { dataset: { photo: p.photo } }, img,
    h('figcaption', t(`kind.${p.kind}`), what ? ` · ${what}` : '', h('br'), `${when(p.at)} · ${who(p)}`));
  viewable(img, () => all.map((x) => x.photo), () => i);
  // Offline, a photo not on the phone has no picture: its caption stays.
  photoURL(p.photo).then((u) => { if (u) img.src = u; else fig.classList.add('missing'); });
  return fig;
}
