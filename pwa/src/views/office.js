// The town office's pages (admin and inspector): the monthly ranking with
// its trend chart, closing a month and its exports; a village's page; a
// feature's full history; the report figures; villages and their
// import (users are in users.js). They read the server, so they need a
// connection. On a desktop (≥ 900 px) they use two columns.

import { t, valueLabel, formatTime, getLang } from '../i18n.js';
import { h, add, field, toast, confirmAsk, dot } from '../ui.js';
import { api, ApiError } from '../api.js';
import { KIND_IDS, KINDS, statusAttr, stateColor } from '../schema.js';
import { featureName, personName, placeText } from '../names.js';
import { recentFix } from '../gps.js';
import { featuresIn, localFeature } from '../features.js';
import { localProblems, townMonth, townDay, addMonths } from '../assess.js';
import { app, pull, chooseVillage, villageName, onChange } from '../state.js';
import { getAll } from '../idb.js';
import { attrTable, thumbs } from './detail.js';
import { problemRow } from './problems.js';
import { oneLine } from './errview.js';
import { featureExports } from './exports.js';
import { svg as s, linePath } from '../svg.js';
import { downloadFile } from '../download.js';

const isAdmin = () => app.session?.user?.role === 'admin';

// ---- helpers -----------------------------------------------------------

function failure(err) {
  if (err instanceof ApiError) return h('p.err.load-error', t('office.loadFailed', { msg: oneLine(err) }));
  return h('p.err.load-error', t('office.offline'));
}

// load runs fn(); a failure is shown in box instead of the content.
export async function load(box, fn) {
  box.replaceChildren(h('p.empty', t('office.loading')));
  try {
    const out = await fn();
    return out;
  } catch (err) {
    box.replaceChildren(failure(err));
    return null;
  }
}

function fmt(x, places = 1) {
  if (x === null || x === undefined) return t('common.unset');
  return Number(x).toFixed(places);
}

function num(x) {
  if (x === null || x === undefined) return t('common.unset');
  return Number(x).toLocaleString(getLang());
}

function exportButtons(items) {
  const links = h('div.download-links');
  return h('div.exports',
    items.map(([label, path, name, id]) => h(`button#${id}`, { type: 'button', onclick: () => downloadFile(path, name, links) }, label)),
    links);
}

// ---- the trend chart: inline SVG made with DOM calls ---------------------


// trendChart draws month scores: the town's average and one village,
// with the missing months left as gaps.
export function trendChart(trend, village) {
  // Narrower on a phone, so the labels keep a readable size.
  const W = window.innerWidth < 600 ? 380 : 640; const H = 260; const L = 40; const R = 14; const T = 14; const B = 34;
  const months = trend.months || [];
  const series = [{ name: t('ranking.trendAvg'), values: trend.average || [], cls: 'avg' }];
  const v = (trend.villages || []).find((x) => x.village === village);
  if (v) series.push({ name: v.name || villageName(v.village), values: v.scores, cls: 'village' });
  const all = series.flatMap((x) => x.values).filter((x) => x !== null && x !== undefined);
  const lo = all.length ? Math.max(0, Math.min(60, Math.floor((Math.min(...all) - 5) / 10) * 10)) : 0;
  const hi = 100;
  const x = (i) => L + (months.length < 2 ? (W - L - R) / 2 : (i * (W - L - R)) / (months.length - 1));
  const y = (val) => T + ((hi - val) * (H - T - B)) / (hi - lo);
  const chart = s('svg', {
    viewBox: `0 0 ${W} ${H}`, class: 'trend-chart', role: 'img', id: 'trend-chart',
    'aria-label': `${t('ranking.trend')}: ${series.map((x) => x.name).join(', ')}`,
  });
  for (let g = lo; g <= hi; g += 10) {
    chart.append(s('line', { x1: L, x2: W - R, y1: y(g), y2: y(g), class: 'grid' }),
      s('text', { x: L - 6, y: y(g) + 4, class: 'axis', 'text-anchor': 'end' }, String(g)));
  }
  months.forEach((m, i) => {
    const label = i === 0 || m.endsWith('-01') ? `${m.slice(2, 4)}/${m.slice(5)}` : m.slice(5);
    chart.append(s('text', { x: x(i), y: H - B + 18, class: 'axis', 'text-anchor': 'middle' }, label));
  });
  for (const se of series) {
    const d = linePath(se.values, x, y);
    if (d) chart.append(s('path', { d, class: `line ${se.cls}` }));
    se.values.forEach((val, i) => {
      if (val === null || val === undefined) return;
      chart.append(s('circle', { cx: x(i), cy: y(val), r: 4, class: `pt ${se.cls}`, 'data-month': months[i], 'data-value': val },
        s('title', {}, `${se.name} ${months[i]}: ${fmt(val)}`)));
    });
  }
  const legend = h('div.chart-legend', series.map((se) => h(`span.key.${se.cls}`, se.name)));
  if (!all.length) legend.append(h('span.empty', t('ranking.noScores')));
  return h('figure.chart', chart, legend);
}

// ---- the monthly ranking ------------------------------------------------

export async function rankingView(main, month) {
  main.classList.add('wide');
  const now = townMonth();
  if (!/^\d{4}-\d{2}$/.test(month || '') || month > now) month = now;
  const monthInput = h('input#ranking-month', { type: 'month', value: month, max: now });
  monthInput.addEventListener('change', () => { if (monthInput.value) location.hash = `#/ranking/${monthInput.value}`; });
  const prev = h('a.button', { href: `#/ranking/${addMonths(month, -1)}` }, '‹');
  const next = month < now ? h('a.button', { href: `#/ranking/${addMonths(month, 1)}` }, '›') : null;
  const status = h('div.sub#ranking-status');
  const tableBox = h('div.card#ranking-box');
  const chartBox = h('div.card#trend-box');
  const closeBox = h('div#close-box');
  add(main,
    h('h2', t('ranking.title')),
    h('div.toolbar', prev, monthInput, next,
      exportButtons([
        [t('export.xlsx'), `/api/v1/assessments/${month}/export.xlsx`, `月度考评-${month}.xlsx`, 'export-xlsx'],
        [t('export.csv'), `/api/v1/assessments/${month}/export.csv`, `月度考评-${month}.csv`, 'export-csv'],
      ])),
    status,
    h('div.cols', tableBox, h('div', chartBox, closeBox)));

  const r = await load(tableBox, () => api('GET', `/api/v1/assessments?month=${month}`));
  if (!r) return null;
  status.textContent = [
    r.average !== null && r.average !== undefined ? t('ranking.average', { n: fmt(r.average) }) : t('ranking.noScores'),
    r.closed ? t('ranking.closed', { by: r.closedBy || '', at: formatTime(r.closedAt) }) : t('ranking.live'),
  ].join(' · ');
  let selected = (r.villages.find((v) => v.score !== null) || r.villages[0] || {}).village;
  let trend = null;

  const rows = r.villages.map((v) => {
    const change = v.change === null || v.change === undefined ? t('common.unset')
      : v.change > 0 ? `▲ ${fmt(v.change)}` : v.change < 0 ? `▼ ${fmt(-v.change)}` : '0.0';
    const tr = h('tr', { id: `rank-${v.village}`, dataset: { village: v.village, score: v.score ?? '' } },
      h('td.rank', v.rank ? String(v.rank) : t('common.unset')),
      h('td.name', h('a', { href: `#/village/${v.village}` }, v.name || villageName(v.village))),
      h(`td.score${v.score === null ? '.none' : ''}`, v.score === null ? t('ranking.notInspected') : fmt(v.score)),
      h(`td.change${v.change > 0 ? '.up' : v.change < 0 ? '.down' : ''}`, change),
      h('td.num', String(v.inspections || 0)),
      h(`td.num${v.openProblems ? '.warn' : ''}`, String(v.openProblems || 0)),
      h(`td.num${v.overdueProblems ? '.alert' : ''}`, String(v.overdueProblems || 0)),
      h('td.num', String(v.rectifiedProblems || 0)));
    tr.addEventListener('click', (e) => {
      if (e.target.closest('a')) return;
      selected = v.village;
      drawChart();
    });
    return tr;
  });
  tableBox.replaceChildren(h('div.table-scroll', h('table.data#ranking-table',
    h('thead', h('tr', ['rank', 'village', 'score', 'change', 'inspections', 'openProblems', 'overdue', 'rectified']
      .map((k) => h('th', t(`ranking.${k}`))))),
    h('tbody', rows))),
  h('small.hint', t('ranking.pick')));

  function drawChart() {
    for (const tr of rows) tr.classList.toggle('selected', tr.dataset.village === selected);
    if (trend) chartBox.replaceChildren(h('h3', t('ranking.trend')), trendChart(trend, selected));
  }
  trend = await load(chartBox, () => api('GET', `/api/v1/assessments/trend?months=12&to=${month}`));
  drawChart();

  if (isAdmin() && !r.closed) {
    closeBox.append(h('button.danger#close-month', {
      type: 'button',
      onclick: async () => {
        if (!(await confirmAsk(t('ranking.closeAsk', { month }), t('ranking.close')))) return;
        try {
          await api('POST', `/api/v1/assessments/${month}/close`);
          toast(t('ranking.closedNow'));
          main.replaceChildren();
          rankingView(main, month);
        } catch (err) {
          toast(err instanceof ApiError ? oneLine(err) : t('office.offline'));
        }
      },
    }, t('ranking.close')), h('small.hint', t('ranking.closeHint')));
  }
  return null;
}

// ---- villages -----------------------------------------------------------

export async function villagesView(main) {
  main.classList.add('wide');
  const list = h('div.card');
  async function drawList() {
    const villages = await getAll('villages');
    villages.sort((a, b) => a.code.localeCompare(b.code));
    list.replaceChildren(h('div.table-scroll', h('table.data#villages-table',
      h('thead', h('tr', h('th', t('list.village')), h('th', t('villages.code')), h('th', t('villages.area')))),
      h('tbody', villages.map((v) => h('tr', { dataset: { code: v.code } },
        h('td.name', h('a', { href: `#/village/${v.code}` }, v.name || v.code)),
        h('td', v.code),
        h('td.num', v.areaKm2 ? fmt(v.areaKm2, 2) : t('common.unset'))))))));
  }
  await drawList();
  add(main, h('h2', t('villages.title')), h('div.cols', list, isAdmin() ? importBox(drawList) : null));
  return onChange((what) => { if (what === 'data') drawList(); });
}

// importBox uploads a GeoJSON or KML file of village boundaries; the
// server takes all or nothing and names each bad feature.
function importBox(after) {
  const file = h('input#villages-file', { type: 'file', accept: '.geojson,.json,.kml,application/geo+json,application/vnd.google-earth.kml+xml' });
  const result = h('div#import-result');
  const send = h('button.primary#villages-import', { type: 'button' }, t('villages.upload'));
  send.addEventListener('click', async () => {
    const f = file.files[0];
    if (!f) { toast(t('villages.pick')); return; }
    send.disabled = true;
    result.replaceChildren();
    try {
      const r = await api('POST', '/api/v1/villages/import', { body: f, headers: { 'Content-Type': f.type || 'application/octet-stream' } });
      result.append(h('p.ok', t('villages.imported', { n: r.imported })));
      file.value = '';
      await pull({ fresh: true });
      after();
    } catch (err) {
      const fields = err instanceof ApiError ? Object.entries(err.fields || {}) : [];
      result.append(failure(err), fields.length ? h('ul.fields', fields.map(([k, v]) => h('li', `${k}: ${v}`))) : null);
    } finally {
      send.disabled = false;
    }
  });
  return h('section.card#import-box', h('h3', t('villages.import')), h('p.hint', t('villages.importHint')),
    file, send, result);
}

// ---- one village ----------------------------------------------------------

function statusLine(kind, statuses) {
  const attr = statusAttr(kind);
  return Object.entries(statuses || {}).sort((a, b) => b[1] - a[1]).map(([st, n]) => h('span.status-count',
    dot('#fff', stateColor(st)), `${st ? valueLabel(attr, st) : t('common.unset')} ${n}`));
}

export async function villageView(main, code) {
  main.classList.add('wide');
  const counts = h('section.card#village-counts');
  const flags = h('section.card#village-flags');
  const coverage = h('section.card#village-coverage');
  const trendBox = h('section.card#village-trend');
  const problemsBox = h('section.card#village-problems');
  const activity = h('section.card#village-activity');
  const onMap = h('a.button', { href: '#/map', onclick: () => chooseVillage(code) }, t('village.onMap'));
  const title = h('h2#village-name', villageName(code));
  add(main,
    title,
    h('p.sub#village-sub', code),
    featureExports(code),
    h('div.cols', h('div', counts, flags, coverage), h('div', trendBox, problemsBox, activity)),
    h('div.toolbar', h('a.button', { href: '#/villages' }, t('villages.title')), onMap));

  // Local first: problems and recent activity work offline.
  const local = await featuresIn(code);
  const problems = (await localProblems()).filter((p) => p.village === code && p.status !== 'verified');
  problemsBox.replaceChildren(h('h3', t('village.problems')),
    problems.length ? h('div.rows', problems.map(problemRow)) : h('p.empty', t('problems.empty')));
  drawActivity(activity, local);
  drawFlagged(flags, local, null);

  const stats = await load(counts, () => api('GET', `/api/v1/villages/${code}/stats`));
  if (stats) {
    title.textContent = stats.name || villageName(code);
    main.querySelector('#village-sub').textContent = [code, stats.areaKm2 ? t('village.area', { a: fmt(stats.areaKm2, 2) }) : '',
      t('village.households', { n: stats.households }),
      stats.binsPer100Households !== null && stats.binsPer100Households !== undefined ? t('village.bins100', { n: fmt(stats.binsPer100Households) }) : '']
      .filter(Boolean).join(' · ');
    counts.replaceChildren(h('h3', t('village.counts')), h('table.data#kind-counts',
      h('thead', h('tr', h('th', t('kind')), h('th', t('village.total')), h('th', t('attr.status')))),
      h('tbody', KIND_IDS.filter((k) => stats.kinds[k]).map((k) => h('tr', { dataset: { kind: k } },
        h('td', dot(KINDS[k].color), ` ${t(`kind.${k}`)}`),
        h('td.num', String(stats.kinds[k])),
        h('td', statusLine(k, stats.statuses[k]))))),
      h('tfoot', h('tr', h('th', t('village.total')), h('th.num', String(stats.features)), h('th')))));
    drawFlagged(flags, local, stats.flags);
  }
  const cov = await load(coverage, () => api('GET', `/api/v1/villages/${code}/coverage`));
  if (cov) {
    coverage.replaceChildren(h('h3', t('village.coverage')), cov.households
      ? h('p#coverage-line', t('village.coverageLine', {
        r: Math.round(cov.radius_m), c: cov.covered, h: cov.households, p: `${fmt((cov.coverageRatio || 0) * 100)}%`,
      }))
      : h('p.empty', t('village.noHouseholds')),
    cov.households ? h('meter', { min: 0, max: 1, low: 0.8, optimum: 1, value: cov.coverageRatio || 0 }) : null);
  }
  const trend = await load(trendBox, () => api('GET', `/api/v1/assessments/trend?months=12&village=${code}`));
  if (trend) trendBox.replaceChildren(h('h3', t('ranking.trend')), trendChart(trend, code));
  return null;
}

function drawFlagged(box, local, counts) {
  const names = ['lowAccuracy', 'outsideVillage', 'possibleDuplicate', 'photosPending'];
  const has = (f, n) => {
    const v = (f.flags || {})[n];
    return Array.isArray(v) ? v.length > 0 : Boolean(v);
  };
  const flagged = local.filter((f) => names.some((n) => has(f, n)));
  box.replaceChildren(h('h3', t('detail.flags')),
    counts ? h('div.chips', names.map((n) => h('span.chip', { dataset: { flag: n } }, `${t(`flag.${n}`)} ${counts[n] || 0}`))) : null,
    flagged.length ? h('div.rows', flagged.slice(0, 20).map((f) => h('a.item', { href: `#/history/${f.id}` },
      dot(KINDS[f.kind]?.color || '#000'),
      h('span.main', h('span.title', featureName(f)),
        h('small', names.filter((n) => has(f, n)).map((n) => t(`flag.${n}`)).join('、'))))))
      : h('p.empty', t('village.noFlags')));
}

function drawActivity(box, local) {
  const items = [];
  for (const f of local) {
    for (const e of f.events || []) items.push({ at: e.at, by: e.by, what: t(`event.${e.type}`), f });
    if (f.createdAt) items.push({ at: f.createdAt, by: f.createdBy, what: t('village.created'), f });
  }
  items.sort((a, b) => String(b.at).localeCompare(String(a.at)));
  box.replaceChildren(h('h3', t('village.activity')), items.length
    ? h('ul.events.activity', items.slice(0, 15).map((it) => h('li.event',
      h('b', it.what), ' ', h('a', { href: `#/history/${it.f.id}` }, featureName(it.f)),
      h('small', ` ${t('detail.by', { by: personName(it.by), at: formatTime(it.at) })}`))))
    : h('p.empty', t('village.noActivity')));
}

// ---- a feature's history ----------------------------------------------------

export async function historyView(main, id) {
  main.classList.add('wide');
  const head = h('div');
  const hist = h('section.card#feature-history');
  add(main, head, h('div.cols', h('section.card#feature-main'), hist));
  const side = main.querySelector('#feature-main');
  let f = null;
  try {
    f = await api('GET', `/api/v1/features/${encodeURIComponent(id)}`);
  } catch {
    f = await localFeature(id);
  }
  if (!f) {
    head.append(h('p', t('detail.notFound')));
    return null;
  }
  add(head,
    h('h2', dot(KINDS[f.kind]?.color || '#000', stateColor((f.attrs || {})[statusAttr(f.kind)])), ` ${featureName(f)}`),
    h('p.sub', t(`kind.${f.kind}`), ' · ', villageName(f.village), f.code ? ` · ${t('code.code')} ${f.code}` : ''));
  add(side,
    attrTable(f),
    f.location ? h('p.loc', `${t('detail.location')}: ${placeText(f.location, recentFix())}`) : null,
    h('h3', t('photos.title')),
    (f.photos || []).length ? thumbs(f.photos) : h('p.empty', t('common.none')),
    h('div.toolbar',
      h('a.button', { href: `#/f/${f.id}` }, t('history.field')),
      h('a.button', { href: `#/map/${f.id}`, onclick: () => chooseVillage(f.village) }, t('detail.onMap')),
      h('a.button', { href: `#/village/${f.village}` }, villageName(f.village))));
  const r = await load(hist, () => api('GET', `/api/v1/features/${encodeURIComponent(id)}/events`));
  if (r) {
    const events = [...(r.events || [])].sort((a, b) => String(b.at).localeCompare(String(a.at)));
    const attr = statusAttr(f.kind);
    hist.replaceChildren(h('h3', t('history.all', { n: events.length })), events.length
      ? h('ul.events.history', events.map((e) => h('li.event', { dataset: { type: e.type } },
        h('b', t(`event.${e.type}`)), e.status ? ` → ${valueLabel(attr, e.status)}` : '',
        h('small', ` ${t('detail.by', { by: personName(e.by), at: formatTime(e.at) })}`),
        e.note ? h('div.note', e.note) : null,
        (e.photos || []).length ? thumbs(e.photos) : null)))
      : h('p.empty', t('detail.noEvents')),
    f.createdAt ? h('p.sub', t('history.created', { by: personName(f.createdBy), at: formatTime(f.createdAt) })) : null);
  }
  return null;
}

// ---- the report figures -------------------------------------------------

// The figures in the order of the seed report, with their units.
const FIGURES = [
  ['demolishedHouses', 0], ['demolishedAreaM2', 1], ['toiletsRenovated', 0], ['tapWaterReformed', 0],
  ['publicToiletsBuilt', 0], ['garbagePoolsBuilt', 0], ['publicToilets', 0], ['garbagePools', 0],
  ['collectionPoints', 0], ['bins', 0], ['transferStations', 0], ['cleaners', 0],
  ['housingReform', 0], ['housingNewBuild', 0], ['housingRepair', 0], ['housingSubsidyYuan', 0],
  ['households', 0], ['householdsCovered', 0], ['coveragePercent', 1], ['inspections', 0], ['assessmentAverage', 1],
];
const VILLAGE_COLUMNS = ['toiletsRenovated', 'housingReform', 'bins', 'coveragePercent', 'assessmentAverage'];

function figure(figs, key, places) {
  const v = figs[key];
  if (v === null || v === undefined) return t('common.unset');
  return places ? fmt(v, places) : num(v);
}

export async function reportView(main) {
  main.classList.add('wide');
  const today = townDay();
  const from = h('input#report-from', { type: 'date', value: `${today.slice(0, 4)}-01-01`, max: today });
  const to = h('input#report-to', { type: 'date', value: today, max: today });
  const run = h('button.primary#report-run', { type: 'button' }, t('report.run'));
  const out = h('div#report-out');
  add(main, h('h2', t('report.title')),
    h('div.toolbar', field(t('report.from'), from), field(t('report.to'), to), run),
    featureExports(''),
    out);

  async function draw() {
    const q = `from=${from.value}&to=${to.value}`;
    const sum = await load(out, () => api('GET', `/api/v1/reports/summary?${q}`));
    if (!sum) return;
    const links = h('div.download-links');
    const print = h('button#report-print', {
      type: 'button',
      onclick: async () => {
        // Opened at once, while the click still counts as the person's,
        // then pointed at the page fetched with the token.
        const w = window.open('', '_blank');
        try {
          const res = await api('GET', `/api/v1/reports/summary.html?${q}`, { raw: true });
          const url = URL.createObjectURL(new Blob([await res.text()], { type: 'text/html;charset=utf-8' }));
          if (w) w.location.href = url;
          else links.replaceChildren(h('a.download-link', { href: url, target: '_blank', rel: 'noopener' }, t('report.print')));
        } catch (err) {
          if (w) w.close();
          toast(failure(err).textContent);
        }
      },
    }, t('report.print'));
    out.replaceChildren(
      h('section.card.report-text',
        h('h3', t('report.paragraph')),
        h('p.paragraph#report-paragraph', { lang: 'zh-CN' }, sum.paragraph),
        h('div.toolbar', print,
          h('button#report-xlsx', {
            type: 'button',
            onclick: () => downloadFile(`/api/v1/reports/summary.xlsx?${q}`, `汇总-${sum.from}-${sum.to}.xlsx`, links),
          }, t('export.xlsx'))),
        links),
      h('div.cols',
        h('section.card', h('h3', t('report.figures')), h('table.data#report-figures',
          h('tbody', FIGURES.map(([k, places]) => h('tr', { dataset: { figure: k } },
            h('th', t(`fig.${k}`)), h('td.num', figure(sum.figures, k, places))))))),
        h('section.card', h('h3', t('report.villages')), h('div.table-scroll', h('table.data#report-villages',
          h('thead', h('tr', h('th', t('list.village')), VILLAGE_COLUMNS.map((k) => h('th', t(`fig.${k}`))))),
          h('tbody', sum.villages.map((v) => h('tr',
            h('td.name', h('a', { href: `#/village/${v.village}` }, v.name || v.village)),
            VILLAGE_COLUMNS.map((k) => h('td.num', figure(v.figures, k, FIGURES.find((x) => x[0] === k)[1])))))))))));
  }
  run.addEventListener('click', draw);
  await draw();
  return null;
}

// ---- checklist templates ----------------------------------------------------

// templatesView lists the checklists; the town office edits one (which
// makes a new version: months scored with the old one keep it) or makes a
// new one. Items must add up to 100 points.
export async function templatesView(main) {
  main.classList.add('wide');
  const box = h('div.cols#templates');
  const tools = h('div.toolbar');
  add(main, h('h2', t('templates.title')), tools, box);
  if (isAdmin()) {
    tools.append(h('button#template-new', { type: 'button', onclick: () => edit(null) }, t('templates.new')));
  }

  async function draw() {
    const r = await load(box, () => api('GET', '/api/v1/templates'));
    if (!r) return;
    box.replaceChildren(...(r.templates || []).map((tp) => h('section.card.template', { dataset: { id: tp.id, version: tp.version } },
      h('h3', tp.name),
      h('p.sub', t('templates.version', { v: tp.version, by: personName(tp.createdBy), at: formatTime(tp.createdAt) })),
      h('table.data', h('thead', h('tr', h('th', t('templates.item')), h('th.num', t('templates.points')))),
        h('tbody', tp.items.map((it) => h('tr', { dataset: { item: it.id } }, h('td', it.description), h('td.num', String(it.maxPoints))))),
        h('tfoot', h('tr', h('th', t('village.total')), h('th.num', String(tp.total))))),
      isAdmin() ? h('button.edit-template', { type: 'button', onclick: () => edit(tp) }, t('templates.edit')) : null)));
    if (!(r.templates || []).length) box.append(h('p.empty', t('templates.none')));
  }

  // edit shows the editor of tp (null: a new checklist) in place of the list.
  function edit(tp) {
    const name = h('input#template-name', { value: tp ? tp.name : '', maxLength: 64 });
    const rows = h('tbody');
    const total = h('span#template-total');
    const msg = h('div#template-msg');
    let n = 0;
    const used = new Set(tp ? tp.items.map((it) => it.id) : []);
    const nextId = () => { let id; do { id = `item${++n}`; } while (used.has(id)); used.add(id); return id; };
    const sum = () => [...rows.querySelectorAll('input.max')].reduce((s, i) => s + (Number(i.value) || 0), 0);
    const showTotal = () => {
      const s = sum();
      total.textContent = t('templates.total', { n: s });
      total.classList.toggle('err', s !== 100);
    };
    function row(it) {
      const desc = h('input.desc', { value: it.description, maxLength: 200, 'aria-label': t('templates.item') });
      const max = h('input.max', { type: 'number', min: 1, max: 100, step: 1, value: String(it.maxPoints), 'aria-label': t('templates.points') });
      max.addEventListener('input', showTotal);
      const tr = h('tr', { dataset: { item: it.id } }, h('td', desc), h('td', max),
        h('td', h('button', { type: 'button', onclick: () => { tr.remove(); showTotal(); } }, t('problem.remove'))));
      return tr;
    }
    for (const it of tp ? tp.items : []) rows.append(row(it));
    if (!tp) rows.append(row({ id: nextId(), description: '', maxPoints: 10 }));
    const save = h('button.primary#template-save', { type: 'button' }, t('common.save'));
    save.addEventListener('click', async () => {
      const items = [...rows.children].map((tr) => ({
        id: tr.dataset.item, description: tr.querySelector('.desc').value.trim(), maxPoints: Number(tr.querySelector('.max').value),
      }));
      msg.replaceChildren();
      save.disabled = true;
      try {
        const body = { name: name.value.trim(), items };
        if (tp) await api('PUT', `/api/v1/templates/${encodeURIComponent(tp.id)}`, { body: { ...body, baseVersion: tp.version } });
        else await api('POST', '/api/v1/templates', { body });
        toast(t('templates.saved'));
        pull({ fresh: true }); // the phones' copy of the checklists
        tools.hidden = false;
        await draw();
      } catch (err) {
        const fields = err instanceof ApiError ? Object.entries(err.fields || {}) : [];
        msg.append(failure(err), fields.length ? h('ul.fields', fields.map(([k, v]) => h('li', `${k}: ${v}`))) : null);
      } finally {
        save.disabled = false;
      }
    });
    tools.hidden = true;
    box.replaceChildren(h('section.card#template-editor',
      h('h3', tp ? t('templates.editing', { name: tp.name, v: tp.version }) : t('templates.new')),
      tp ? h('p.hint', t('templates.newVersion')) : null,
      field(t('templates.name'), name),
      h('table.data.template-items', h('thead', h('tr', h('th', t('templates.item')), h('th', t('templates.points')), h('th'))), rows),
      h('div.toolbar',
        h('button#template-add-item', { type: 'button', onclick: () => { rows.append(row({ id: nextId(), description: '', maxPoints: 5 })); showTotal(); } }, t('templates.addItem')),
        total),
      msg,
      h('div.toolbar', h('button', { type: 'button', onclick: () => { tools.hidden = false; draw(); } }, t('common.cancel')), save)));
    showTotal();
  }

  await draw();
  return null;
}
