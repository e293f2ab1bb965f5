// The outbox: every write made on the phone waits here until the server has
// answered it. One object store, auto-increment key, replayed oldest first.
// It runs in the page and in the service worker (Background Sync), so it
// touches no DOM; a Web Lock keeps the two from sending at the same time.
//
// Op states: waiting → sending → (removed when applied or duplicate)
//                              → conflict | rejected (the person decides)
// No answer (offline, 5xx, 429) puts the op back to waiting and backs off:
// nothing is dropped unless the person says so.
//
// Feature ops (putFeature, addEvent, deleteFeature) go up in batches through
// POST /sync. The assessment's ops go to their own routes, one request each,
// in their place in the queue; every route is idempotent by opId like /sync:
//   putInspection   PUT  /inspections/{id}        {inspection}
//   rectifyProblem  POST /problems/{id}/rectify   {rectify}
//   verifyProblem   POST /problems/{id}/verify    {verify}

import { tx, req, get, getAll, getMeta, setMeta } from './idb.js';
import { api, ApiError, uuid } from './api.js';
import { mergeFeature, mergedOp } from './merge.js';
import { rememberMine } from './replaced.js';

const BATCH = 100; // ops per POST /sync: small enough for a weak signal
const BACKOFF_BASE_MS = 3000;
const BACKOFF_MAX_MS = 5 * 60 * 1000;

// Changes are announced to this context's listeners and, through a
// BroadcastChannel, to the other context (page ↔ service worker).
const listeners = new Set();
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('cunjie-outbox') : null;
if (channel) channel.onmessage = (e) => { for (const fn of listeners) fn(e.data); };

export function onOutboxChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function announce(detail = {}) {
  for (const fn of listeners) fn(detail);
  if (channel) channel.postMessage(detail);
}

// The photo ids an op refers to; they go up before the op.
export function photosOf(op) {
  return [
    ...(op.feature?.photos || []), ...(op.event?.photos || []),
    ...(op.inspection?.problems || []).flatMap((p) => p.photos || []),
    ...(op.rectify?.photos || []),
  ];
}

// The ops POST /sync takes; the others have a route of their own.
const SYNC_TYPES = new Set(['putFeature', 'addEvent', 'deleteFeature']);

// directRequest is [method, path, body] of an op sent on its own route.
export function directRequest(op) {
  const id = encodeURIComponent(op.id);
  switch (op.type) {
    case 'putInspection': return ['PUT', `/api/v1/inspections/${id}`, op.inspection];
    case 'rectifyProblem': return ['POST', `/api/v1/problems/${id}/rectify`, op.rectify];
    case 'verifyProblem': return ['POST', `/api/v1/problems/${id}/verify`, op.verify];
    default: return null;
  }
}

// What goes over the wire: the op without the phone's bookkeeping.
function wire(op) {
  const o = { type: op.type, id: op.id, opId: op.opId };
  if (op.feature) o.feature = op.feature;
  if (op.event) o.event = op.event;
  return o;
}

// enqueue keeps a new op; it is sent by the next sync.
export async function enqueue(op) {
  const session = await getMeta('session');
  const row = {
    ...op, state: 'waiting', owner: session?.user?.username || '', createdAt: new Date().toISOString(),
  };
  row.seq = await tx('outbox', 'readwrite', (s) => req(s.add(row)));
  announce({ queued: row.seq });
  return row;
}

export function listOps() {
  return getAll('outbox');
}

// syncOutbox sends photos and then ops. Calls made while one runs share
// it. force ignores the backoff (the person pressed the button, or the
// network just came back).
let running = null;
export function syncOutbox(opts = {}) {
  if (!running) {
    const locked = (fn) => (typeof navigator !== 'undefined' && navigator.locks
      ? navigator.locks.request('cunjie-sync', fn)
      : fn());
    running = locked(() => runSync(opts)).finally(() => { running = null; });
  }
  return running;
}

async function runSync({ force = false } = {}) {
  const session = await getMeta('session');
  if (!session || !session.token) return { needLogin: true };
  const backoff = (await getMeta('backoff')) || { failures: 0, nextAt: 0 };
  if (!force && backoff.nextAt > Date.now()) return { retryAt: backoff.nextAt };
  const me = session.user.username;
  const tried = new Set(); // ops sent in this run: what the server left waiting waits for the next run
  const sendable = async () => (await listOps())
    .filter((o) => o.owner === me && (o.state === 'waiting' || o.state === 'sending') && !tried.has(o.seq));
  const result = { sent: 0, attention: 0, again: 0 };
  try {
    // Work saved while a round was on its way goes up in the next round.
    for (let ops = await sendable(); ops.length; ops = await sendable()) {
      await sendRound(ops, me, result);
      for (const o of ops) tried.add(o.seq);
    }
    // Ops the server asked to have again (a busy village) go in a few
    // seconds, not at the next minute's run.
    const nextAt = result.again ? Date.now() + Math.round(BACKOFF_BASE_MS * (0.75 + Math.random() * 0.5)) : 0;
    await setMeta('backoff', { failures: 0, nextAt });
    if (tried.size) {
      await setMeta('lastSync', new Date().toISOString());
      await forgetSentPhotos();
    }
    return nextAt ? { ...result, retryAt: nextAt } : result;
  } catch (err) {
    await setStates((await listOps()).filter((o) => o.state === 'sending'), 'waiting');
    if (err instanceof ApiError && err.status === 401) {
      await setMeta('session', { ...session, expired: true });
      return { ...result, needLogin: true };
    }
    if (!err.retryable) throw err;
    const failures = backoff.failures + 1;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
    // Jitter spreads the retries of a village's phones when the signal returns.
    const nextAt = Date.now() + Math.round(delay * (0.75 + Math.random() * 0.5));
    await setMeta('backoff', { failures, nextAt, error: err.message });
    return { ...result, retryAt: nextAt };
  } finally {
    announce({ progress: null });
  }
}

// sendRound sends the photos the ops need, then the ops in batches. It
// throws when an answer did not arrive (the caller backs off).
async function sendRound(ops, me, result) {
  const ids = [...new Set(ops.flatMap(photosOf))];
  const photos = (await Promise.all(ids.map((id) => get('photos', id)))).filter((p) => p && !p.uploaded);
  const total = photos.length + ops.length;
  let done = 0;
  announce({ progress: { done, total } });
  for (const p of photos) {
    await uploadPhoto(p, me);
    announce({ progress: { done: ++done, total } });
  }
  // A photo the server refused has put its ops aside: read them again.
  const still = new Set((await listOps()).filter((o) => o.state === 'waiting' || o.state === 'sending').map((o) => o.seq));
  ops = ops.filter((o) => still.has(o.seq));
  done = total - ops.length;
  // In queue order: a run of feature ops goes as batches to /sync, an
  // assessment op alone to its route.
  for (let i = 0; i < ops.length;) {
    if (!SYNC_TYPES.has(ops[i].type)) {
      await sendDirect(ops[i], result);
      announce({ progress: { done: ++done, total } });
      i++;
      continue;
    }
    let j = i;
    while (j < ops.length && j - i < BATCH && SYNC_TYPES.has(ops[j].type)) j++;
    const batch = ops.slice(i, j);
    i = j;
    await setStates(batch, 'sending');
    let answer;
    try {
      answer = await api('POST', '/api/v1/sync', { body: { ops: batch.map(wire), ...(await deviceReport(me, batch)) } });
    } catch (err) {
      // A refusal of the whole batch (malformed, too large) is shown on
      // its ops; no answer at all is retried by the caller.
      if (!(err instanceof ApiError) || err.retryable || err.status === 401) throw err;
      await setStates(batch, 'rejected', { code: err.code, message: err.message, fields: err.fields });
      result.attention += batch.length;
      continue;
    }
    const r = await applyResults(batch, answer.results || []);
    result.sent += r.sent;
    result.attention += r.attention;
    result.again += r.again;
    done += batch.length;
    announce({ progress: { done, total } });
  }
}

// sendDirect sends one assessment op on its route. A replayed opId answers
// the first outcome, so an answer lost on the way is harmless. A refusal
// (400, 403, 404, or 409: the problem moved on, the month is closed) puts
// the op aside with the server's message; no answer throws for a retry.
async function sendDirect(op, result) {
  const req = directRequest(op);
  await setStates([op], 'sending');
  let answer;
  try {
    answer = await api(req[0], req[1], { body: req[2] });
  } catch (err) {
    if (!(err instanceof ApiError) || err.retryable || err.status === 401) throw err;
    await setStates([op], 'rejected', {
      code: err.code, message: err.message, fields: err.fields, status: err.status,
    });
    result.attention++;
    return;
  }
  const problems = op.type === 'putInspection' ? (answer && answer.problems) || [] : answer ? [answer] : [];
  await tx(['outbox', 'meta'], 'readwrite', async (ob, meta) => {
    ob.delete(op.seq);
    await keepProblems(meta, problems);
  });
  result.sent++;
  announce({ done: [{ ...op, state: 'done', doneAt: new Date().toISOString() }] });
}

// keepProblems stores the server's copies of problems in the phone's list
// (meta "problems"), inside a transaction on the meta store; a copy older
// than the one kept is ignored.
async function keepProblems(meta, problems) {
  if (!problems.length) return;
  const row = (await req(meta.get('problems'))) || { key: 'problems', value: { at: '', list: [] } };
  const byId = new Map((row.value.list || []).map((p) => [p.id, p]));
  for (const p of problems) {
    const had = byId.get(p.id);
    if (!had || (had.version || 0) <= (p.version || 0)) byId.set(p.id, p);
  }
  meta.put({ key: 'problems', value: { ...row.value, list: [...byId.values()] } });
}

export function storeProblems(problems) {
  return tx('meta', 'readwrite', (meta) => keepProblems(meta, problems));
}

// uploadPhoto sends one photo. PUT is idempotent: a photo sent before
// whose answer was lost answers 200 again. A 4xx means the server will
// never take it (409: another photo has this id); the ops that need it
// are put aside for the person.
async function uploadPhoto(p, me) {
  try {
    await api('PUT', `/api/v1/photos/${encodeURIComponent(p.id)}`, {
      body: p.blob, headers: { 'Content-Type': p.blob.type || 'image/jpeg' },
    });
  } catch (err) {
    if (!(err instanceof ApiError) || err.retryable || err.status === 401) throw err;
    const error = { code: err.code || 'photo', message: err.message, photo: p.id, photoConflict: err.status === 409 };
    const blocked = (await listOps()).filter((o) => o.owner === me && photosOf(o).includes(p.id));
    await setStates(blocked, 'rejected', error);
    return;
  }
  await tx('photos', 'readwrite', (s) => req(s.put({ ...p, uploaded: true })));
}

function setStates(ops, state, error) {
  if (!ops.length) return Promise.resolve();
  return tx('outbox', 'readwrite', (s) => {
    for (const op of ops) {
      const row = { ...op, state };
      if (error) row.error = error;
      s.put(row);
    }
  }).then(() => announce({ states: ops.map((o) => o.seq) }));
}

// TRANSIENT are the error codes of an op's result that say nothing of the
// op itself: it goes again, unchanged (every op is idempotent).
const TRANSIENT = new Set(['busy', 'internal', 'timeout']);

// applyResults stores what the server said about each op of a batch, in
// one transaction with the server copies of the features.
async function applyResults(batch, results) {
  const byOp = new Map(results.map((r) => [r.opId, r]));
  const out = { sent: 0, attention: 0, again: 0, done: [] };
  // The copies each edit was made on, to remember which fields it set.
  const edits = batch.filter((op) => op.type === 'putFeature' && byOp.get(op.opId)?.result === 'applied');
  const before = await Promise.all(edits.map((op) => get('features', op.id)));
  await tx(['outbox', 'features'], 'readwrite', (ob, fs) => {
    for (const op of batch) {
      const r = byOp.get(op.opId);
      const merged = r && r.result === 'conflict' ? autoMerge(op, r) : null;
      const keep = (f) => { if (f && f.id) { if (f.deleted) fs.delete(f.id); else fs.put(f); } };
      if (!r || TRANSIENT.has(r.error?.code)) {
        // No answer for this op, or one that is no fault of it (a busy
        // village, a server error): send it again shortly.
        ob.put({ ...op, state: 'waiting' });
        out.again++;
      } else if (r.result === 'applied' || r.result === 'duplicate') {
        ob.delete(op.seq);
        keep(r.feature);
        out.sent++;
        out.done.push({ ...op, state: 'done', doneAt: new Date().toISOString() });
      } else if (merged) {
        // Nothing both sides changed: the merge goes up as an edit of the
        // server's version, in this same run.
        ob.delete(op.seq);
        ob.add(mergedOp(op, r.feature, merged.attrs, uuid()));
        keep(r.feature);
      } else if (r.result === 'conflict') {
        // The server copy becomes the base; the op stays on top of it until
        // the person chooses.
        ob.put({ ...op, state: 'conflict', server: r.feature || null, error: r.error || null });
        keep(r.feature);
        out.attention++;
      } else {
        ob.put({ ...op, state: 'rejected', error: r.error || { message: r.result } });
        out.attention++;
      }
    }
  });
  await rememberMine(edits.map((op, i) => ({ op, before: before[i] })));
  announce({ done: out.done });
  return out;
}

// autoMerge answers the field-by-field merge of a conflicted edit when
// it needs no question, else null (also when the server sent no base: an
// older server, or a deleted feature).
function autoMerge(op, r) {
  const base = r.error?.base;
  if (op.type !== 'putFeature' || !base || !r.feature || r.feature.deleted) return null;
  const m = mergeFeature(base.attrs || {}, op.feature.attrs || {}, r.feature.attrs || {});
  return m.asks.length ? null : m;
}

// mergeChoose answers a conflict field by field: choices names, for each
// field both sides changed, 'mine' or 'server'; the rest merges by itself.
export async function mergeChoose(seq, choices) {
  const op = await get('outbox', seq);
  if (!op || !op.server || !op.error?.base) return;
  const m = mergeFeature(op.error.base.attrs || {}, op.feature.attrs || {}, op.server.attrs || {}, choices);
  const next = mergedOp(op, op.server, m.attrs, uuid());
  await tx('outbox', 'readwrite', (s) => { s.delete(seq); s.add(next); });
  announce({ resolved: seq });
}

// forgetSentPhotos drops uploaded photos no waiting op needs, so the phone
// does not fill up; the server has them.
async function forgetSentPhotos() {
  const needed = new Set((await listOps()).flatMap(photosOf));
  await tx('photos', 'readwrite', async (s) => {
    const all = await req(s.getAll());
    for (const p of all) if (p.uploaded && !needed.has(p.id)) s.delete(p.id);
  });
}

// keepMine answers a conflict for the phone: the same change is queued
// again as an edit of the server's current version. An event is sent again
// under new ids (its first ids are taken or refused).
export async function keepMine(seq) {
  const op = await get('outbox', seq);
  if (!op) return;
  const opId = uuid();
  const next = { type: op.type, id: op.id, opId, owner: op.owner, createdAt: op.createdAt, state: 'waiting' };
  if (op.type === 'putFeature') {
    const server = op.server;
    if (server && server.deleted) {
      // Nothing left to edit: record it again as a new feature.
      next.id = uuid();
      next.feature = { ...op.feature, opId, baseVersion: 0 };
    } else {
      next.feature = { ...op.feature, opId, baseVersion: server ? server.version : op.feature.baseVersion };
    }
  } else if (op.type === 'addEvent') {
    next.event = { ...op.event, opId, id: uuid() };
  }
  await tx('outbox', 'readwrite', (s) => { s.delete(seq); s.add(next); });
  announce({ resolved: seq });
}

// takeServer answers a conflict for the server: the op goes, the server
// copy stays.
export async function takeServer(seq) {
  const op = await get('outbox', seq);
  if (!op) return;
  await tx(['outbox', 'features'], 'readwrite', (ob, fs) => {
    ob.delete(seq);
    if (op.server) {
      if (op.server.deleted) fs.delete(op.server.id);
      else fs.put(op.server);
    }
  });
  announce({ resolved: seq });
}

// discard drops an op the person gave up on, and its photos.
export async function discard(seq) {
  const op = await get('outbox', seq);
  if (!op) return;
  const others = new Set((await listOps()).filter((o) => o.seq !== seq).flatMap(photosOf));
  await tx(['outbox', 'photos'], 'readwrite', (ob, ps) => {
    ob.delete(seq);
    for (const id of photosOf(op)) if (!others.has(id)) ps.delete(id);
  });
  announce({ resolved: seq });
}

// replaceOp puts a corrected op in the place of an earlier one (a refused
// op, or a create not sent yet), under a new opId: the server remembers
// the old one's outcome. It keeps its place in the queue, so the events
// recorded on a new feature still go up after the feature.
export async function replaceOp(seq, op) {
  const old = await get('outbox', seq);
  if (!old) return;
  await tx('outbox', 'readwrite', (s) => req(s.put({ ...op, seq, owner: old.owner, createdAt: old.createdAt, state: 'waiting' })));
  announce({ resolved: seq });
}

// backoffState tells the page when the next automatic try is due.
export async function backoffState() {
  return (await getMeta('backoff')) || { failures: 0, nextAt: 0 };
}

export async function resetBackoff() {
  await setMeta('backoff', { failures: 0, nextAt: 0 });
}

// The build of the app, set by build.mjs (absent when the sources are
// loaded unbundled, as in unit tests).
/* global APP_VERSION */
export const appVersion = typeof APP_VERSION === 'string' ? APP_VERSION : 'dev';

// deviceReport is what a sync tells the server of this phone: its id (made
// once, kept with the app's data), the app's build, and how many of the
// person's ops the outbox holds besides this batch, waiting or put aside.
// The office sees who has records stuck on a phone; a person whose phone
// lost its storage learns from the server what it last held.
export async function deviceReport(me, batch = []) {
  let device = await getMeta('deviceId');
  if (!device) {
    device = uuid();
    await setMeta('deviceId', device);
  }
  const inBatch = new Set(batch.map((o) => o.seq));
  const mine = (await listOps()).filter((o) => o.owner === me && !inBatch.has(o.seq));
  const pendingOps = mine.filter((o) => o.state === 'waiting' || o.state === 'sending').length;
  const rejectedOps = mine.length - pendingOps;
  return { device, appVersion, pendingOps, rejectedOps };
}
