// The phone's copy of features. The `features` store holds only what the
// server last said; what the person sees is that copy with the outbox's
// pending ops applied on top. Keeping the two apart means an answer from the
// server, a pull or a discarded op never has to "undo" a local change.

import { tx, req, get, getAll, getMeta } from './idb.js';
import { api } from './api.js';
import { statusAttr, statusValues, withDefaults, mergeAttrs, RESTORING_EVENTS } from './schema.js';
import { locate } from './geo.js';
import { noticeChanges } from './replaced.js';
import { fillStageDate } from './stagedates.js';
import { townDay } from './assess.js';

const LATEST_EVENTS = 5; // as many as the server keeps inline

// applyOp returns the feature as it will be once op is applied (or the
// feature unchanged when the op does not apply to what we have). The
// version is counted as the server will count it, so an edit made on top
// of unsent changes names the version it will really edit.
export function applyOp(f, op, villages = []) {
  if (op.type === 'putFeature') {
    const w = op.feature;
    const next = f
      ? { ...f, version: (f.version || 0) + 1 }
      : {
          id: op.id, village: locate(w.location.lon, w.location.lat, villages) || w.village || '',
          flags: {}, version: 1, events: [], createdBy: op.owner, createdAt: op.createdAt, unsentCreate: true,
        };
    next.kind = w.kind;
    next.location = w.location;
    next.attrs = fillStageDate(w.kind, f ? f.attrs : undefined,
      withDefaults(w.kind, f ? mergeAttrs(f.attrs, w.attrs) : mergeAttrs({}, w.attrs)), townDay(new Date(op.createdAt || Date.now())));
    next.photos = [...(w.photos || [])];
    next.updatedAt = op.createdAt;
    next.pending = true;
    return next;
  }
  if (!f) return f;
  if (op.type === 'addEvent') {
    const ev = { ...op.event, by: op.owner, pending: true };
    if (!ev.status && RESTORING_EVENTS.includes(ev.type) && statusValues(f.kind).includes('ok')) ev.status = 'ok';
    const events = [...(f.events || []).filter((e) => e.id !== ev.id), ev]
      .sort((a, b) => String(a.at).localeCompare(String(b.at)))
      .slice(-LATEST_EVENTS);
    const next = { ...f, events, pending: true };
    const attr = statusAttr(f.kind);
    if (ev.status && ev.status !== (f.attrs || {})[attr]) {
      next.attrs = fillStageDate(f.kind, f.attrs, { ...f.attrs, [attr]: ev.status }, townDay(new Date(ev.at)));
      next.version = (f.version || 0) + 1;
    }
    return next;
  }
  if (op.type === 'deleteFeature') return { ...f, deleted: true, pending: true, version: (f.version || 0) + 1 };
  return f;
}

// overlay applies every pending op to the features in byId (a Map), adding
// the new ones that accept(feature) admits.
function overlay(byId, ops, villages, accept) {
  for (const op of ops) {
    const cur = byId.get(op.id);
    if (!cur && !(op.type === 'putFeature' && !op.feature.baseVersion)) continue;
    const next = applyOp(cur, op, villages);
    if (cur || accept(next)) byId.set(op.id, next);
  }
  for (const [id, f] of byId) if (f.deleted) byId.delete(id);
  return [...byId.values()];
}

// featuresIn lists a village's features as the person should see them.
export async function featuresIn(village) {
  const [bases, ops, villages] = await Promise.all([
    tx('features', 'readonly', (s) => req(s.index('village').getAll(village))),
    getAll('outbox'),
    getAll('villages'),
  ]);
  const byId = new Map(bases.map((f) => [f.id, f]));
  return overlay(byId, ops, villages, (f) => f.village === village);
}

// localFeature is one feature as the person should see it, or undefined.
export async function localFeature(id) {
  const [base, ops, villages] = await Promise.all([get('features', id), getAll('outbox'), getAll('villages')]);
  const byId = new Map(base ? [[id, base]] : []);
  return overlay(byId, ops.filter((o) => o.id === id), villages, () => true)[0];
}

// storeServerFeature keeps the server's copy of a feature after a write.
export function storeServerFeature(f) {
  if (!f || !f.id) return Promise.resolve();
  return tx('features', 'readwrite', (s) => req(f.deleted ? s.delete(f.id) : s.put(f)));
}

// pullVillages refreshes the list of villages the user may see and fetches
// the boundaries it lacks. Villages no longer visible are forgotten with
// their features.
export async function pullVillages() {
  const { villages } = await api('GET', '/api/v1/villages');
  const have = new Map((await getAll('villages')).map((v) => [v.code, v]));
  for (const v of villages) {
    let boundary = have.get(v.code)?.boundary;
    if (!boundary) boundary = (await api('GET', `/api/v1/villages/${encodeURIComponent(v.code)}`)).boundary;
    await tx('villages', 'readwrite', (s) => req(s.put({ ...v, boundary })));
    have.delete(v.code);
  }
  for (const code of have.keys()) await forgetVillage(code);
  return villages;
}

async function forgetVillage(code) {
  await tx(['villages', 'features', 'meta'], 'readwrite', async (vs, fs, meta) => {
    vs.delete(code);
    meta.delete(`cursor:${code}`);
    const keys = await req(fs.index('village').getAllKeys(code));
    for (const k of keys) fs.delete(k);
  });
}

// pullChanges pages through a village's changes feed from the stored
// cursor. Each page and its cursor are stored in one transaction, so an
// interrupted pull resumes where it stopped and never skips a change.
export async function pullChanges(code) {
  let since = (await getMeta(`cursor:${code}`)) || '0';
  for (;;) {
    const q = new URLSearchParams({ village: code, since, limit: '500' });
    const page = await api('GET', `/api/v1/changes?${q}`);
    await noticeChanges(page.features || [], (await getMeta('session'))?.user?.username);
    await tx(['features', 'meta'], 'readwrite', (fs, meta) => {
      for (const f of page.features || []) {
        if (f.deleted) fs.delete(f.id);
        else fs.put(f);
      }
      meta.put({ key: `cursor:${code}`, value: page.next });
    });
    since = page.next;
    if (!page.more) return;
  }
}

// pullAll refreshes villages and then every village's features, reporting
// progress as (done, total).
export async function pullAll(onProgress = () => {}) {
  const villages = await pullVillages();
  onProgress(0, villages.length);
  for (let i = 0; i < villages.length; i++) {
    await pullChanges(villages[i].code);
    onProgress(i + 1, villages.length);
  }
}

export async function countFeatures() {
  return tx('features', 'readonly', (s) => req(s.count()));
}
