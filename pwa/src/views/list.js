// The list: a village's features, nearest first when the position is
// known, filtered by kind and by a search over names and household heads.

import { KIND_IDS, KINDS, statusAttr, stateColor, titleOf } from '../schema.js';
import { featureName, distanceText } from '../names.js';
import { t, valueLabel } from '../i18n.js';
import { h, clear, dot } from '../ui.js';
import { featuresIn } from '../features.js';
import { recentFix } from '../gps.js';
import { distanceM } from '../geo.js';
import { app, currentVillage, chooseVillage, onChange, TOWN } from '../state.js';

const PAGE = 50; // rows drawn at once: a cheap phone chokes on thousands

let kindFilter = '';
let search = '';

// villageSelect picks a village; with town, the whole town (TOWN) first.
export function villageSelect(value, onPick, town = false) {
  const sel = h('select#village', { 'aria-label': t('list.village') },
    town ? h('option', { value: TOWN }, t('map.town')) : null,
    app.villages.map((v) => h('option', { value: v.code }, v.name || v.code)));
  sel.value = value;
  sel.addEventListener('change', () => { chooseVillage(sel.value); onPick(sel.value); });
  return sel;
}

export async function listView(main) {
  let village = currentVillage();
  let shown = PAGE;
  const rows = h('div.rows');
  const count = h('div.count');
  const kinds = h('select#kind-filter', { 'aria-label': t('kind') },
    h('option', { value: '' }, t('list.allKinds')),
    KIND_IDS.map((k) => h('option', { value: k }, t(`kind.${k}`))));
  kinds.value = kindFilter;
  const q = h('input#search', { type: 'search', placeholder: t('list.search'), value: search });
  let villages = villageSelect(village, (code) => { village = code; shown = PAGE; draw(); });

  let drawing = 0;
  async function draw() {
    const mine = ++drawing;
    const fix = recentFix();
    const all = await featuresIn(village);
    if (mine !== drawing) return; // a newer draw has started meanwhile
    let list = all.filter((f) => !kindFilter || f.kind === kindFilter);
    const needle = search.trim().toLowerCase();
    if (needle) {
      list = list.filter((f) => `${f.code || ''} ${titleOf(f)} ${(f.attrs && f.attrs.name) || ''} ${(f.attrs && f.attrs.note) || ''}`.toLowerCase().includes(needle));
    }
    for (const f of list) f.distance = fix && f.location ? distanceM(fix, f.location) : null;
    list.sort((a, b) => (fix
      ? a.distance - b.distance
      : String(b.updatedAt || '').localeCompare(String(a.updatedAt || ''))));
    count.textContent = t('list.count', { n: list.length });
    clear(rows);
    if (!list.length) rows.append(h('p.empty', t('list.empty')));
    for (const f of list.slice(0, shown)) rows.append(row(f));
    if (list.length > shown) {
      rows.append(h('button.more', { type: 'button', onclick: () => { shown += PAGE; draw(); } }, t('common.more')));
    }
  }

  kinds.addEventListener('change', () => { kindFilter = kinds.value; shown = PAGE; draw(); });
  q.addEventListener('input', () => { search = q.value; shown = PAGE; draw(); });

  const scan = h('a.button#scan', { href: '#/scan' }, t('code.scan'));
  main.append(h('div.filters', villages, kinds, q, scan), count, rows);
  await draw();
  // New data from a pull or a sync redraws the list in place.
  return onChange((what) => {
    if (what !== 'data' && what !== 'outbox') return;
    if (what === 'data') {
      if (!app.villages.some((v) => v.code === village)) village = currentVillage();
      const fresh = villageSelect(village, (code) => { village = code; shown = PAGE; draw(); });
      villages.replaceWith(fresh);
      villages = fresh;
    }
    draw();
  });
}

function row(f) {
  const state = (f.attrs || {})[statusAttr(f.kind)];
  // A household opens its file (一户一档), which leads to its record.
  const href = f.kind === 'household' ? `#/household/${f.id}` : `#/f/${f.id}`;
  return h('a.item', { href, dataset: { id: f.id, kind: f.kind } },
    dot(KINDS[f.kind] ? KINDS[f.kind].color : '#000', stateColor(state)),
    h('span.main',
      h('span.title', featureName(f)),
      h('small', t(`kind.${f.kind}`), state ? ` · ${valueLabel(statusAttr(f.kind), state)}` : '',
        f.pending ? h('span.badge', t('list.pending')) : null)),
    f.distance != null ? h('small.dist', distanceText(f.distance)) : null);
}
