// The phone's side of the monthly assessment (月度考评) and of the
// rectification loop (整改): checklist templates and the problems of the
// person's villages, pulled when online and kept in IndexedDB (meta
// "templates" and "problems") so they can be scored and fixed offline.
// As with features, what the person sees is the server's copy with the
// outbox's pending ops applied on top.

import { getMeta, setMeta, getAll, tx, req } from './idb.js';
import { api } from './api.js';

// The town's days and months are China's, whatever the phone's zone.
const TOWN_ZONE = 'Asia/Shanghai';

// townDay is the town's date of d, YYYY-MM-DD.
export function townDay(d = new Date()) {
  try {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
      timeZone: TOWN_ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
    }).formatToParts(d).map((p) => [p.type, p.value]));
    return `${parts.year}-${parts.month}-${parts.day}`;
  } catch {
    return new Date(d.getTime() + 8 * 3600000).toISOString().slice(0, 10);
  }
}

export function townMonth(d = new Date()) {
  return townDay(d).slice(0, 7);
}

// addDays moves a day YYYY-MM-DD by n days.
export function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// addMonths moves a month YYYY-MM by n months.
export function addMonths(month, n) {
  const [y, m] = month.split('-').map(Number);
  const d = new Date(Date.UTC(y, m - 1 + n, 1));
  return d.toISOString().slice(0, 7);
}

// The default time a village has to fix a problem, as on the server.
export const DEADLINE_DAYS = 7;

export function isOverdue(p, today = townDay()) {
  return p.status === 'open' && Boolean(p.deadline) && today > p.deadline;
}

// pullAssessment refreshes the templates and the open and rectified
// problems of the villages the person may see. A problem changed on the
// phone more recently than this answer (a sync in between) keeps its copy.
export async function pullAssessment() {
  const { templates } = await api('GET', '/api/v1/templates');
  await setMeta('templates', templates || []);
  const fresh = await api('GET', '/api/v1/problems?status=open,rectified&limit=2000');
  const had = new Map((((await getMeta('problems')) || {}).list || []).map((p) => [p.id, p]));
  const list = (fresh.problems || []).map((p) => {
    const mine = had.get(p.id);
    return mine && (mine.version || 0) > (p.version || 0) ? mine : p;
  });
  await setMeta('problems', { at: new Date().toISOString(), list });
  keepThumbs(list).catch(() => { /* the next pull tries again */ }); // not holding up the features

}

// Photos of the problems to fix are kept small on the phone (meta
// "thumb:<photo id>"), so a cleaner with no signal still sees what to look
// for; those of problems no longer open are dropped.
const MAX_THUMBS = 150;

async function keepThumbs(list) {
  const want = [...new Set(list.filter((p) => p.status === 'open')
    .sort((a, b) => String(a.deadline).localeCompare(String(b.deadline)))
    .flatMap((p) => (p.photos || []).slice(0, 2)))].slice(0, MAX_THUMBS);
  const keep = new Set(want.map((id) => `thumb:${id}`));
  const have = new Set();
  await tx('meta', 'readwrite', async (s) => {
    for (const k of await req(s.getAllKeys())) {
      if (!String(k).startsWith('thumb:')) continue;
      if (keep.has(k)) have.add(k);
      else s.delete(k);
    }
  });
  for (const id of want) {
    if (have.has(`thumb:${id}`)) continue;
    try {
      const res = await api('GET', `/api/v1/photos/${encodeURIComponent(id)}?size=thumb`, { raw: true });
      await setMeta(`thumb:${id}`, await res.blob());
    } catch (err) {
      if (!err.status) return; // the network went: the next pull goes on
    }
  }
}

export async function localTemplates() {
  return (await getMeta('templates')) || [];
}

// applyProblemOp changes byId as op will once the server has it.
function applyProblemOp(byId, op) {
  if (op.state === 'rejected' || op.state === 'conflict') return; // the outbox asks the person
  if (op.type === 'putInspection') {
    const w = op.inspection;
    for (const pw of w.problems || []) {
      if (byId.has(pw.id)) continue;
      byId.set(pw.id, {
        id: pw.id, inspection: op.id, village: w.village, month: w.month, location: pw.location,
        description: pw.description, photos: pw.photos || [], deadline: pw.deadline, status: 'open',
        createdBy: op.owner, createdAt: w.at, version: 0, pending: true,
        history: [{ action: 'created', by: op.owner, at: w.at, photos: pw.photos || [], deadline: pw.deadline }],
      });
    }
    return;
  }
  const p = byId.get(op.id);
  if (!p) return;
  if (op.type === 'rectifyProblem' && p.status === 'open') {
    const r = op.rectify;
    byId.set(p.id, {
      ...p, status: 'rectified', pending: true,
      history: [...(p.history || []), { action: 'rectified', by: op.owner, at: r.at, note: r.note, photos: r.photos || [] }],
    });
  } else if (op.type === 'verifyProblem' && p.status === 'rectified') {
    const v = op.verify;
    const deadline = v.accept ? p.deadline : v.deadline || addDays(townDay(new Date(v.at)), DEADLINE_DAYS);
    byId.set(p.id, {
      ...p, status: v.accept ? 'verified' : 'open', deadline, pending: true,
      history: [...(p.history || []), {
        action: v.accept ? 'verified' : 'reopened', by: op.owner, at: v.at, note: v.note, photos: [],
        deadline: v.accept ? undefined : deadline,
      }],
    });
  }
}

// localProblems lists the problems as the person should see them.
export async function localProblems() {
  const [stored, ops] = await Promise.all([getMeta('problems'), getAll('outbox')]);
  const byId = new Map(((stored || {}).list || []).map((p) => [p.id, p]));
  for (const op of ops) applyProblemOp(byId, op);
  const today = townDay();
  return [...byId.values()].map((p) => ({ ...p, overdue: isOverdue(p, today) }));
}

export async function localProblem(id) {
  return (await localProblems()).find((p) => p.id === id);
}

// problemsSince tells when the problems were last pulled.
export async function problemsPulledAt() {
  return ((await getMeta('problems')) || {}).at || '';
}
