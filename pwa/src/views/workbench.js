// The town office's workbench, for a desktop screen: the overview table of
// every village (sortable, with the town's totals, what changed today and
// a small chart of its recent scores; a row opens the village on the map),
// the month's red and black list, the monthly notice to download or print,
// and the people whose phones have not synced.

import { t, formatTime } from '../i18n.js';
import { h, add, clear } from '../ui.js';
import { api } from '../api.js';
import { app, chooseVillage } from '../state.js';
import { download, formatBytes } from '../download.js';
import { svg, linePath } from '../svg.js';

// STALE_DAYS: a phone not heard from for this long is marked.
const STALE_DAYS = 3;
// TREND_MONTHS of scores are drawn in each village's row.
const TREND_MONTHS = 6;
// TODAY_VILLAGES: the busiest villages of the day listed by name.
const TODAY_VILLAGES = 5;

// The overview's columns: [key, label key, value of a row].
const columns = [
  ['name', 'wb.village', (r) => r.name],
  ['bins', 'wb.bins', (r) => r.figures.bins.total],
  ['binsBad', 'wb.binsBad', (r) => r.figures.bins.full + r.figures.bins.overflowing + r.figures.bins.damaged],
  ['pools', 'wb.pools', (r) => r.figures.garbagePools.total],
  ['points', 'wb.points', (r) => r.figures.collectionPoints.total],
  ['toilets', 'wb.toilets', (r) => (r.figures.householdToilets.done || 0) + (r.figures.householdToilets.accepted || 0)],
  ['housing', 'wb.housing', (r) => (r.figures.housingReform.completed || 0) + (r.figures.housingReform.accepted || 0)],
  ['demolished', 'wb.demolished', (r) => r.figures.demolitions.demolished || 0],
  ['coverage', 'wb.coverage', (r) => r.coveragePercent],
  ['score', 'wb.score', (r) => r.score],
  ['rank', 'wb.rank', (r) => r.rank || null],
  ['open', 'wb.open', (r) => r.openProblems],
  ['overdue', 'wb.overdue', (r) => r.overdueProblems],
];

function month() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

export async function workbenchView(main) {
  main.className = 'workbench';
  const m = month();
  const status = h('p.muted#wb-status', t('office.loading'));
  const table = h('table.wb-table#wb-overview');
  const lists = h('section.wb-lists#wb-redblack');
  const people = h('section.wb-people#wb-devices');
  const today = h('section.wb-today#wb-today');
  const progress = h('span.muted#wb-progress');
  const noticeBtn = h('button.primary#wb-notice', {
    type: 'button',
    onclick: async () => {
      noticeBtn.disabled = true;
      try {
        const { bytes } = await download(`/api/v1/assessments/${m}/notice.docx`, `月度考评通报-${m}.docx`,
          ({ received }) => { progress.textContent = t('wb.received', { n: formatBytes(received) }); });
        progress.textContent = t('wb.downloaded', { n: formatBytes(bytes) });
      } catch (err) {
        progress.textContent = t('office.loadFailed', { msg: err.message });
      } finally {
        noticeBtn.disabled = false;
      }
    },
  }, t('wb.notice'));
  add(main,
    h('h2', t('wb.title', { month: m })),
    status,
    h('div.wb-grid',
      h('section.wb-main', table),
      h('aside.wb-side',
        h('h3', t('wb.today')), today,
        h('h3', t('wb.redblack')), lists,
        h('p', noticeBtn, ' ', h('a#wb-print', { href: `/api/v1/assessments/${m}/notice.html`, target: '_blank', onclick: (e) => printPage(e, m) }, t('wb.print')), ' ', progress),
        h('h3', t('wb.people')), people)));

  let ov;
  try {
    ov = await api('GET', `/api/v1/overview?month=${m}`);
  } catch (err) {
    status.textContent = t('office.loadFailed', { msg: err.message });
    return;
  }
  status.textContent = t('wb.unsent', { pending: ov.pendingOps, rejected: ov.rejectedOps });
  drawToday(today, ov);
  // The trend is an extra: the table is drawn without it and again with it.
  let trend = {};
  api('GET', `/api/v1/assessments/trend?months=${TREND_MONTHS}&to=${m}`).then((tr) => {
    trend = Object.fromEntries(tr.villages.map((v) => [v.village, v.scores]));
    drawTable();
  }, () => {});
  let sort = { key: 'rank', dir: 1 };
  const drawTable = () => {
    const col = columns.find((c) => c[0] === sort.key);
    const rows = [...ov.villages].sort((a, b) => {
      const x = col[2](a); const y = col[2](b);
      if (x === y) return a.village < b.village ? -1 : 1;
      if (x === null || x === undefined) return 1; // nothing to rank by: last
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * sort.dir;
    });
    const show = (v) => (v === null || v === undefined ? '—' : String(v));
    clear(table).append(
      h('thead', h('tr', columns.map(([key, label]) => h(`th${sort.key === key ? '.sorted' : ''}`, {
        dataset: { key },
        onclick: () => { sort = { key, dir: sort.key === key ? -sort.dir : (key === 'score' || key === 'coverage' ? -1 : 1) }; drawTable(); },
      }, t(label), sort.key === key ? (sort.dir > 0 ? ' ▲' : ' ▼') : '')), h('th.wb-trend', t('wb.trend')))),
      h('tbody', rows.map((r) => h('tr.wb-row', {
        dataset: { village: r.village },
        onclick: () => { chooseVillage(r.village); location.hash = '#/map'; },
      }, columns.map((c) => h('td', show(c[2](r)))), h('td.wb-trend', sparkline(trend[r.village]))))),
      h('tfoot', h('tr', columns.map((c) => h('td', show(c[0] === 'rank' ? null : c[2](ov.totals)))), h('td'))),
    );
  };
  drawTable();

  try {
    const rb = await api('GET', `/api/v1/assessments/${m}/redblack`);
    const list = (title, ls, cls) => h(`div.${cls}`, h('h4', title),
      ls.length ? h('ol', ls.map((l) => h('li', h('b', `${l.name} ${l.score}`), h('br'), l.reasons.join('；')))) : h('p.muted', t('wb.none')));
    lists.replaceChildren(list(t('wb.red'), rb.red, 'red'), list(t('wb.black'), rb.black, 'black'));
  } catch (err) {
    lists.textContent = t('office.loadFailed', { msg: err.message });
  }

  if (app.session.user.role !== 'admin') return;
  try {
    const { users } = await api('GET', '/api/v1/users');
    const stale = Date.now() - STALE_DAYS * 86400_000;
    people.replaceChildren(h('table.wb-table', h('tbody', users.filter((u) => !u.disabled).map((u) => {
      const old = !u.lastSyncAt || Date.parse(u.lastSyncAt) < stale;
      return h(`tr${old ? '.stale' : ''}`, { dataset: { user: u.username } },
        h('td', u.name || u.username),
        h('td', u.lastSyncAt ? formatTime(u.lastSyncAt) : t('wb.never')),
        h('td', u.appVersion || '—'),
        h('td', t('wb.sent', { n: lastSent(u) })),
        h('td', t('wb.pending', { n: u.pendingOps })),
        h('td', old ? t('wb.stale', { n: STALE_DAYS }) : ''));
    }))));
  } catch (err) {
    people.textContent = t('office.loadFailed', { msg: err.message });
  }
}

// drawToday writes what the town recorded today, and which villages.
function drawToday(box, ov) {
  const line = (d) => t('wb.todayLine', { features: d.newFeatures, events: d.events, opened: d.problemsOpened, rectified: d.problemsRectified });
  const size = (d) => d.newFeatures + d.events + d.problemsOpened + d.problemsRectified;
  const busy = (d) => size(d) > 0;
  if (!ov.totals.today || !busy(ov.totals.today)) {
    box.replaceChildren(h('p.muted', t('wb.todayNone')));
    return;
  }
  // The busiest villages first; the rest are in the town's line.
  const villages = ov.villages.filter((v) => busy(v.today)).sort((a, b) => size(b.today) - size(a.today));
  add(clear(box), h('p', h('b', line(ov.totals.today))),
    h('ul', villages.slice(0, TODAY_VILLAGES).map((v) => h('li', { dataset: { village: v.village } }, h('b', v.name), ' ', line(v.today)))),
    villages.length > TODAY_VILLAGES && h('p.muted', t('wb.todayMore', { n: villages.length - TODAY_VILLAGES })));
}

// lastSent is how many ops the user's phone sent on its last sync.
function lastSent(u) {
  const d = (u.devices || []).reduce((a, b) => (!a || b.lastSyncAt > a.lastSyncAt ? b : a), null);
  return d ? d.opsSent : 0;
}

// sparkline draws a few month scores (null where none) as a small line,
// the last one as a dot; a village with no scores gets a dash.
function sparkline(scores) {
  const have = (scores || []).filter((x) => x !== null && x !== undefined);
  if (!have.length) return '—';
  const W = 72; const H = 20;
  const lo = Math.min(60, ...have); const hi = 100;
  const x = (i) => (scores.length < 2 ? W / 2 : 2 + (i * (W - 4)) / (scores.length - 1));
  const y = (v) => 2 + ((hi - v) * (H - 4)) / (hi - lo || 1);
  let last = scores.length - 1;
  while (scores[last] === null || scores[last] === undefined) last--;
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'sparkline', role: 'img', 'aria-label': have.join(' → ') },
    svg('path', { d: linePath(scores, x, y) }), svg('circle', { cx: x(last), cy: y(scores[last]), r: 2 }));
}

// printPage opens the printable notice: the page needs the token, so it is
// fetched and shown from a blob rather than by its address.
async function printPage(e, m) {
  e.preventDefault();
  const w = window.open('', '_blank');
  const res = await api('GET', `/api/v1/assessments/${m}/notice.html`, { raw: true });
  const blob = new Blob([await res.text()], { type: 'text/html' });
  if (w) w.location = URL.createObjectURL(blob);
}
