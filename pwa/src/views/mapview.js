// The map tab: village boundaries, the chosen village's features (or, for
// staff online, the whole town's from the server), the person's position,
// kind (layer) and state filters, and a legend.

import { KIND_IDS, KINDS, statusAttr, allStates, stateColor } from '../schema.js';
import { t, valueLabel } from '../i18n.js';
import { h, dot } from '../ui.js';
import { featuresIn } from '../features.js';
import { watchGps, recentFix } from '../gps.js';
import { app, currentVillage, chooseVillage, onChange, mapScope, TOWN } from '../state.js';
import { isStaff } from '../schema.js';
import { localProblems } from '../assess.js';
import { villageSelect } from './list.js';
import { FeatureMap } from '../map.js';
import { thumbs, eventLine } from './detail.js';
import { featureName } from '../names.js';
import { townLoader } from './townmap.js';
import { mapSide } from './mapside.js';
import { featureExports } from './exports.js';

// Filters live as long as the page, so coming back to the map keeps them.
const hiddenKinds = new Set();
let stateFilter = '';

function stateLabel(v) {
  // A state value is a status or a stage; whichever table knows it names it.
  const s = valueLabel('status', v);
  return s !== v ? s : valueLabel('stage', v);
}

function popup(f) {
  const attr = statusAttr(f.kind);
  const state = (f.attrs || {})[attr];
  const events = [...(f.events || [])].reverse().slice(0, 3);
  return h('div.popup',
    h('b', featureName(f)),
    h('div', t(`kind.${f.kind}`), state ? ` · ${valueLabel(attr, state)}` : ''),
    (f.photos || []).length ? thumbs(f.photos.slice(0, 1)) : null,
    events.length ? h('ul.events', events.map((e) => eventLine(f, e))) : null,
    h('a.button', { href: `#/f/${f.id}` }, t('map.details')));
}

function problemPopup(p) {
  return h('div.popup',
    h('b', p.description),
    h('div', t(`pstatus.${p.status}`), ` · ${t('problems.deadline', { d: p.deadline || '' })}`,
      p.overdue ? h('span.badge.overdue', t('problems.overdue')) : null),
    thumbs([...(p.photos || []).slice(0, 1), ...rectifiedPhotos(p).slice(0, 1)]),
    h('a.button', { href: `#/problem/${encodeURIComponent(p.id)}` }, t('map.details')));
}

// The photos of a problem's latest rectification: the place fixed.
function rectifiedPhotos(p) {
  const r = [...(p.history || [])].reverse().find((e) => e.action === 'rectified');
  return (r && r.photos) || [];
}

// focus is a feature id, "p:<problem id>" for a problem, or "problems" to
// make sure the problems layer is shown.
export async function mapView(main, focus) {
  let village = currentVillage();
  // The town-wide view: staff only, and never when asked to show one thing.
  let town = mapScope() === TOWN && !(focus && focus !== 'problems');
  let focusId = focus && !focus.startsWith('p:') && focus !== 'problems' ? focus : null;
  let focusProblem = focus && focus.startsWith('p:') ? focus.slice(2) : null;
  if (focus === 'problems') hiddenKinds.delete('problems');
  if (focusProblem) {
    const p = (await localProblems()).find((x) => x.id === focusProblem);
    if (p && p.village && app.villages.some((v) => v.code === p.village)) { village = p.village; chooseVillage(village); }
  }
  let fm = null;
  let fit = true; // fit the village in view on the first draw and after a change of village
  const mapEl = h('div#map.map');
  const layers = h('div.panel#layers-panel', { hidden: true },
    KIND_IDS.map((k) => {
      const cb = h('input', { type: 'checkbox', checked: !hiddenKinds.has(k), dataset: { kind: k } });
      cb.addEventListener('change', () => { if (cb.checked) hiddenKinds.delete(k); else hiddenKinds.add(k); draw(); });
      return h('label.check', cb, dot(KINDS[k].color), t(`kind.${k}`));
    }),
    (() => {
      const cb = h('input#layer-problems', { type: 'checkbox', checked: !hiddenKinds.has('problems'), dataset: { kind: 'problems' } });
      cb.addEventListener('change', () => { if (cb.checked) hiddenKinds.delete('problems'); else hiddenKinds.add('problems'); draw(); });
      return h('label.check', cb, h('span.problem-key'), t('map.problems'));
    })());
  const states = h('select#state-filter', { 'aria-label': t('map.allStates') },
    h('option', { value: '' }, t('map.allStates')),
    allStates().map((v) => h('option', { value: v }, stateLabel(v))));
  states.value = stateFilter;
  states.addEventListener('change', () => { stateFilter = states.value; draw(); });
  const legend = h('div.panel.legend#legend', { hidden: true },
    h('div', h('b', t('map.fill'))),
    KIND_IDS.map((k) => h('div', dot(KINDS[k].color), t(`kind.${k}`))),
    h('div', h('b', t('map.outline'))),
    allStates().map((v) => h('div', dot('#fff', stateColor(v)), stateLabel(v))),
    h('div', h('b', t('map.problems'))),
    ['open', 'overdue', 'rectified'].map((s) => h('div', h(`span.problem-key.cj-problem-${s}`), s === 'overdue' ? t('problems.overdue') : t(`pstatus.${s}`))),
    h('div', dot('#d50000'), t('map.you')));
  const toggle = (panel) => () => { panel.hidden = !panel.hidden; };
  const tools = h('div.map-tools',
    villageSelect(town ? TOWN : village, (code) => {
      town = code === TOWN;
      if (!town) village = code;
      fit = true;
      draw();
    }, isStaff(app.session?.user?.role)),
    h('button#layers-button', { type: 'button', onclick: toggle(layers) }, t('map.layers')),
    states,
    h('button#legend-button', { type: 'button', onclick: toggle(legend) }, t('map.legend')));
  // The note says why there is no base map: none configured, or no signal
  // for its tiles (the boundaries and features are on the phone either way).
  const note = h('div.map-note#map-note');
  // The town view needs the server: offline it says so and shows the
  // village the phone has instead.
  const showNote = () => {
    const offline = navigator.onLine === false || loader.offline;
    const why = town && offline ? 'map.townOffline'
      : offline ? 'map.offlineTiles' : app.config && app.config.tileUrl ? '' : 'map.noTiles';
    note.hidden = !why;
    note.textContent = why ? t(why) : '';
  };
  // Going off or back online redraws the town view: as a village, or as the town again.
  const onNetwork = () => {
    loader.offline = false;
    if (town) { fit = true; draw(); } else showNote();
  };
  const locate = h('button.locate', { type: 'button', 'aria-label': t('map.you'), onclick: () => fm && fm.centreOn(recentFix()) }, '◎');
  // The office's exports of what the map shows, a village or the town, in
  // a panel over it, made afresh each time it opens.
  const exportsPanel = h('div.panel.exports-panel#exports-panel', { hidden: true });
  const exportsButton = isStaff(app.session?.user?.role) && h('button.map-exports#exports-button', {
    type: 'button',
    onclick: () => {
      exportsPanel.replaceChildren(featureExports(town ? '' : village));
      exportsPanel.hidden = !exportsPanel.hidden;
    },
  }, t('exports.button'));
  // Beside the map on a desktop: what it shows, as a list.
  const side = mapSide({
    onFeature: (id) => fm && fm.focus(id),
    onVillage: (code) => { chooseVillage(code); town = false; village = code; fit = true; tools.querySelector('#village').value = code; draw(); },
  });
  main.classList.add('full');
  main.append(h('div.map-wrap', h('div.map-area', tools, layers, legend, mapEl, note, locate, exportsButton, exportsPanel), side.el));

  // Popups open below the filter bar, which lies over the map's top.
  fm = new FeatureMap(mapEl, { cfg: app.config, popup, topInset: () => tools.offsetTop + tools.offsetHeight + 8 });
  const loader = townLoader(fm, mapEl, {
    filters: () => ({ kinds: KIND_IDS.filter((k) => !hiddenKinds.has(k)), state: stateFilter }),
    offline: () => { fit = true; draw(); },
  });
  showNote();
  window.addEventListener('online', onNetwork);
  window.addEventListener('offline', onNetwork);

  let drawing = 0;
  let closed = false;
  async function draw() {
    if (!fm) return;
    const mine = ++drawing;
    const wide = town && navigator.onLine !== false && !loader.offline;
    const [all, problems] = await Promise.all([wide ? [] : featuresIn(village), localProblems()]);
    if (mine !== drawing || closed) return; // a newer draw started, or the map is gone
    mapEl.dataset.scope = wide ? 'town' : 'village';
    showNote();
    const here = hiddenKinds.has('problems') ? []
      : problems.filter((p) => (wide || p.village === village) && p.status !== 'verified');
    fm.setProblems(here, problemPopup);
    mapEl.dataset.problems = String(here.length);
    if (wide) {
      side.town(app.villages);
      fm.setVillages(app.villages, '');
      if (fit) fit = !fm.fitVillages(app.villages);
      loader.start();
      return;
    }
    loader.stop();
    fm.setVillages(app.villages, village);
    const shown = all.filter((f) => !hiddenKinds.has(f.kind)
      && (!stateFilter || (f.attrs || {})[statusAttr(f.kind)] === stateFilter));
    fm.setFeatures(shown);
    const v = app.villages.find((x) => x.code === village);
    side.village(v ? v.name || v.code : village, shown);
    if (focusId && fm.focus(focusId)) { focusId = null; fit = false; }
    if (focusProblem && fm.focusProblem(focusProblem)) { focusProblem = null; fit = false; }
    if (fit) fit = !fm.fitVillage(app.villages.find((v) => v.code === village));
    mapEl.dataset.features = String(shown.length);
    mapEl.dataset.villages = village;
  }
  await draw();
  fm.resize();
  const stopGps = watchGps((fix) => fm.setPosition(fix));
  const stopChanges = onChange((what) => { if (what === 'data' || what === 'outbox' || what === 'problems') draw(); });
  return () => {
    closed = true;
    loader.stop();
    window.removeEventListener('online', onNetwork);
    window.removeEventListener('offline', onNetwork);
    stopGps();
    stopChanges();
    fm.destroy();
    main.classList.remove('full');
  };
}
