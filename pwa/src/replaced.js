// Notices tell a person that a value they saved was replaced by someone
// else's: when a merge of two phones' edits (merge.js) kept the other
// phone's value for a field both changed, the person who lost sees it on
// their next sync. The phone remembers the fields each of its own applied
// edits set; the changes feed shows when another user set one otherwise.

import { getMeta, setMeta } from './idb.js';
import { same } from './merge.js';

const KEEP_FEATURES = 500; // features whose own fields are remembered
const KEEP_NOTICES = 50;

// rememberMine notes the fields an applied edit changed from the copy the
// phone had (before), so a later change of them by another user is seen.
export async function rememberMine(applied) {
  if (!applied.length) return;
  const mine = (await getMeta('mineFields')) || {};
  for (const { op, before } of applied) {
    const sent = op.feature.attrs || {};
    const was = before?.attrs || {};
    const fields = { ...(mine[op.id]?.fields || {}) };
    for (const [k, v] of Object.entries(sent)) if (!same(v, was[k])) fields[k] = v;
    delete mine[op.id]; // re-inserted last: the oldest go first
    if (Object.keys(fields).length) mine[op.id] = { fields, kind: op.feature.kind };
  }
  const ids = Object.keys(mine);
  for (const id of ids.slice(0, Math.max(0, ids.length - KEEP_FEATURES))) delete mine[id];
  await setMeta('mineFields', mine);
}

// noticeChanges compares features from the changes feed with the fields
// me set last; each one another user set otherwise becomes a notice.
export async function noticeChanges(features, me) {
  const mine = (await getMeta('mineFields')) || {};
  const found = [];
  for (const f of features) {
    const m = mine[f.id];
    if (!m || !f.updatedBy || f.updatedBy === me) continue;
    for (const [k, v] of Object.entries(m.fields)) {
      const now = f.deleted ? undefined : (f.attrs || {})[k];
      if (same(now, v)) continue;
      found.push({ id: `${f.id}:${k}:${f.version}`, feature: f.id, kind: f.kind, field: k, mine: v, theirs: now, by: f.updatedBy, at: f.updatedAt });
      delete m.fields[k];
    }
  }
  if (!found.length) return [];
  await setMeta('mineFields', mine);
  const all = [...found, ...((await getMeta('notices')) || [])].slice(0, KEEP_NOTICES);
  await setMeta('notices', all);
  return found;
}

export async function listNotices() {
  return (await getMeta('notices')) || [];
}

export async function dismissNotice(id) {
  await setMeta('notices', (await listNotices()).filter((n) => n.id !== id));
}
