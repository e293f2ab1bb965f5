// The map's side panel on a desktop screen (the town office's): beside the
// map, not over it, it counts what the map shows by kind and lists it, a
// click putting the record in the middle of the map with its popup. For
// the whole town it lists the villages, a click opening one. Phones do not
// show it (desktop.css): their screen is the map.

import { t, valueLabel } from '../i18n.js';
import { h, dot } from '../ui.js';
import { KIND_IDS, KINDS, statusAttr, stateColor } from '../schema.js';
import { featureName } from '../names.js';

// MAX_ROWS bounds the list: past it, the person narrows it by the search
// box or the map's filters.
const MAX_ROWS = 300;

export function mapSide({ onFeature, onVillage }) {
  const title = h('h3#map-side-title');
  const counts = h('div.map-side-counts');
  const search = h('input#map-side-search', { type: 'search', placeholder: t('map.sideSearch') });
  const rows = h('div.rows#map-side-rows');
  const el = h('aside.map-side#map-side', title, counts, search, rows);
  let features = [];

  function drawRows() {
    const q = search.value.trim().toLowerCase();
    const hits = q ? features.filter((f) => `${featureName(f)} ${f.code || ''}`.toLowerCase().includes(q)) : features;
    rows.replaceChildren(...hits.slice(0, MAX_ROWS).map((f) => {
      const state = (f.attrs || {})[statusAttr(f.kind)];
      return h('button.item', { type: 'button', dataset: { id: f.id }, onclick: () => onFeature(f.id) },
        dot(KINDS[f.kind] ? KINDS[f.kind].color : '#000', stateColor(state)),
        h('span.main', h('span.title', featureName(f)),
          h('small', t(`kind.${f.kind}`), state ? ` · ${valueLabel(statusAttr(f.kind), state)}` : '')));
    }));
    if (hits.length > MAX_ROWS) rows.append(h('p.muted', t('map.sideMore', { n: hits.length - MAX_ROWS })));
    if (!hits.length) rows.append(h('p.empty', t('map.sideNone')));
  }
  search.addEventListener('input', drawRows);

  return {
    el,
    // village shows what the map shows of one village.
    village(name, shown) {
      features = shown;
      search.hidden = false;
      title.textContent = t('map.sideTitle', { name, n: shown.length });
      const by = {};
      for (const f of shown) by[f.kind] = (by[f.kind] || 0) + 1;
      counts.replaceChildren(...KIND_IDS.filter((k) => by[k]).map((k) => h('span.chip', { dataset: { kind: k } }, dot(KINDS[k].color), `${t(`kind.${k}`)} ${by[k]}`)));
      drawRows();
    },
    // town lists the villages, each opening on the map.
    town(villages) {
      features = [];
      search.hidden = true;
      title.textContent = t('map.town');
      counts.replaceChildren();
      rows.replaceChildren(...villages.map((v) => h('button.item', { type: 'button', dataset: { village: v.code }, onclick: () => onVillage(v.code) },
        h('span.main', h('span.title', v.name || v.code), h('small', v.code)))));
    },
  };
}
