// What each feature kind records: the server's table (kinds.go, rules.go),
// bundled as domain.gen.js by `go generate ./pwa`, so the app has it
// offline from the first start and never disagrees with the server. Each
// attribute is as GET /api/v1/kinds gives it: name, type, enum, min, max,
// exclusiveMin, maxLen, default (the value the server stores when the field
// is left empty: the form shows it as a hint and the local copy uses it
// until the server answers), must, staffOnly, settled. Forms, lists, the
// map legend and the event buttons are all generated from it; the words
// shown to people come with it (see i18n.js). Only the colours are the
// app's own.

import { KINDS as TABLE, STATUS_EVENTS, RESTORING_EVENTS } from './domain.gen.js';

// Each kind's fill colour on the map, in the lists and on the buttons.
const KIND_COLORS = {
  bin: '#1e88e5',
  garbage_pool: '#6d4c41',
  collection_point: '#00897b',
  transfer_station: '#3949ab',
  public_toilet: '#8e24aa',
  household_toilet: '#f4511e',
  demolition: '#757575',
  housing_reform: '#c0ca33',
  household: '#d81b60',
};

// INPUT_TYPES: attributes whose box is not plain text on a phone's keyboard.
export const INPUT_TYPES = { phone: 'tel' };

// KINDS is kind → { color, attrs (its own, then name and note), events,
// settledStages }, in the order people think of them: the garbage chain
// from the household bin to the town's station, then toilets, then housing.
export const KINDS = {};
for (const k of TABLE) KINDS[k.kind] = { ...k, color: KIND_COLORS[k.kind] || '#000000' };

export const KIND_IDS = Object.keys(KINDS);

// STATUS_EVENTS exist to set a status or stage, so the form asks for one.
// RESTORING_EVENTS put a thing back in order: without a status they set
// "ok" (the server does the same, so the local copy shows what it will store).
export { STATUS_EVENTS, RESTORING_EVENTS };

export function attrsOf(kind) {
  return KINDS[kind]?.attrs || [];
}

// The attribute that carries a kind's state: status or stage.
export function statusAttr(kind) {
  return KINDS[kind]?.statusAttr || '';
}

export function statusValues(kind) {
  const name = statusAttr(kind);
  return attrsOf(kind).find((x) => x.name === name)?.enum || [];
}

// The outline colour of a state on the map: green is fine or finished,
// orange wants attention soon, red is broken, grey is gone or not started,
// blue is work in progress.
const STATE_COLORS = {
  ok: '#2e7d32', accepted: '#2e7d32', done: '#43a047', completed: '#43a047', demolished: '#43a047',
  full: '#fb8c00', dirty: '#fb8c00',
  overflowing: '#e53935', damaged: '#e53935',
  missing: '#616161', closed: '#616161',
  planned: '#9e9e9e', surveyed: '#9e9e9e', applied: '#9e9e9e', scheduled: '#9e9e9e',
  building: '#1565c0', approved: '#1565c0', started: '#1565c0',
};

export function stateColor(value) {
  return STATE_COLORS[value] || '#000000';
}

// Every state value of every kind, in table order, for the map's filter.
export function allStates() {
  const out = [];
  for (const k of KIND_IDS) for (const v of statusValues(k)) if (!out.includes(v)) out.push(v);
  return out;
}

// The field that names a feature in a list: a household's head, a house's
// owner, the free name, or a household's address (all a cleaner sees).
export function titleOf(f) {
  const a = f.attrs || {};
  return a.household_head || a.owner || a.name || a.address || '';
}

// Who may change what, as the server's rules (rules.go) say: names and
// money are staff's; a settled record (accepted, completed, demolished)
// has its settled fields changed by staff only, with a reason; a stage
// goes back only by staff, with a reason.
export const isStaff = (role) => role === 'admin' || role === 'inspector';

export function settled(kind, attrs) {
  return (KINDS[kind]?.settledStages || []).includes((attrs || {})[statusAttr(kind)]);
}

// editable says whether role may change attribute spec of a feature whose
// stored attrs are cur (undefined for a new one).
export function editable(kind, spec, role, cur) {
  if (isStaff(role)) return true;
  if (spec.staffOnly) return false;
  return !(cur && spec.settled && settled(kind, cur));
}

// needsReason says whether a change from cur to next needs a reason.
export function needsReason(kind, cur, next) {
  if (!cur) return false;
  const attr = statusAttr(kind);
  const values = statusValues(kind);
  if (attr === 'stage' && values.indexOf(next[attr]) < values.indexOf(cur[attr])) return true;
  if (!settled(kind, cur)) return false;
  return attrsOf(kind).some((s) => s.settled && String(cur[s.name] ?? '') !== String(next[s.name] ?? ''));
}

// A cleaner may not accept works (acceptance releases the subsidy), nor
// set a stage back: the form offers only what the server takes.
export function allowedValues(spec, role, cur) {
  if (spec.name !== 'stage' || isStaff(role)) return spec.enum;
  const from = cur ? spec.enum.indexOf(cur.stage) : 0;
  return spec.enum.filter((v, i) => v !== 'accepted' && i >= Math.max(from, 0));
}

// mergeAttrs applies an update as the server does: an attribute sent
// replaces the stored one, null or blank clears it, one left out stays.
export function mergeAttrs(stored, sent) {
  const out = { ...stored };
  for (const [k, v] of Object.entries(sent || {})) {
    if (v === null || (typeof v === 'string' && v.trim() === '')) delete out[k];
    else out[k] = v;
  }
  return out;
}

// withDefaults fills what the server will fill, so a record not yet sent
// shows (and is coloured) as it will be stored.
export function withDefaults(kind, attrs) {
  const out = { ...attrs };
  for (const a of attrsOf(kind)) if (out[a.name] === undefined && a.default !== undefined) out[a.name] = a.default;
  return out;
}
