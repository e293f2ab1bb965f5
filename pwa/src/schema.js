// What each feature kind records, mirroring the server's table in kinds.go.
// def is the value the server stores when the field is left empty: the form
// shows it as a hint and the local copy uses it until the server answers.
// Forms, lists, the map legend and the event buttons are all generated from
// this one table; the words shown to people are in i18n.js, keyed by the
// names used here.

const facilityStatus = ['ok', 'full', 'overflowing', 'damaged'];
const builtYear = { name: 'built_year', type: 'int', min: 1950, max: 2100 };
// A household's works name their household (一户一档): link is the kind
// of record the attribute holds the id of; the form offers those of the
// village.
const householdLink = { name: 'household', type: 'string', maxLen: 64, link: 'household' };

// Attributes every kind may carry, shown after the kind's own.
const common = [
  { name: 'name', type: 'string', maxLen: 64 },
  { name: 'note', type: 'text', maxLen: 500 },
];

// Kinds in the order people think of them: the garbage chain from the
// household bin to the town's station, then toilets, then housing.
export const KINDS = {
  bin: {
    color: '#1e88e5',
    attrs: [
      { name: 'capacity_l', type: 'int', min: 1, max: 10000, def: 240 },
      { name: 'status', type: 'enum', values: ['ok', 'full', 'overflowing', 'damaged', 'missing'], def: 'ok' },
    ],
    events: ['emptied', 'status_reported', 'repaired', 'replaced', 'inspected'],
  },
  garbage_pool: {
    color: '#6d4c41',
    attrs: [
      { name: 'volume_m3', type: 'number', min: 0, exclusiveMin: true, max: 1000, must: true },
      { name: 'status', type: 'enum', values: facilityStatus, def: 'ok' },
      builtYear,
    ],
    events: ['cleared', 'status_reported', 'repaired', 'inspected'],
  },
  collection_point: {
    color: '#00897b',
    attrs: [
      { name: 'bin_count', type: 'int', min: 0, max: 200 },
      { name: 'status', type: 'enum', values: facilityStatus, def: 'ok' },
    ],
    events: ['cleared', 'status_reported', 'repaired', 'inspected'],
  },
  transfer_station: {
    color: '#3949ab',
    attrs: [
      { name: 'capacity_tpd', type: 'number', min: 0, exclusiveMin: true, max: 5000 },
      { name: 'status', type: 'enum', values: ['ok', 'damaged', 'closed'], def: 'ok' },
    ],
    events: ['inspected', 'status_reported'],
  },
  public_toilet: {
    color: '#8e24aa',
    attrs: [
      { name: 'type', type: 'enum', values: ['flush', 'dry', 'eco', 'other'], def: 'flush' },
      { name: 'stalls', type: 'int', min: 1, max: 200 },
      { name: 'status', type: 'enum', values: ['ok', 'dirty', 'damaged', 'closed'], def: 'ok' },
      builtYear,
    ],
    events: ['cleaned', 'inspected', 'status_reported', 'repaired'],
  },
  household_toilet: {
    color: '#f4511e',
    attrs: [
      { name: 'household_head', type: 'string', maxLen: 32, staffOnly: true, must: true },
      { name: 'type', type: 'enum', values: ['three_compartment', 'double_urn', 'sewer_flush', 'biogas'], settled: true, must: true },
      { name: 'tap_water', type: 'bool', def: false },
      { name: 'subsidy_yuan', type: 'number', min: 0, max: 1000000, staffOnly: true, settled: true },
      { name: 'stage', type: 'enum', values: ['planned', 'building', 'done', 'accepted'], def: 'planned', settled: true },
      { name: 'completed_on', type: 'date', settled: true },
      householdLink,
    ],
    events: ['stage_changed', 'inspected', 'corrected'],
    settledStages: ['accepted'],
  },
  demolition: {
    color: '#757575',
    attrs: [
      { name: 'owner', type: 'string', maxLen: 32, staffOnly: true, must: true },
      { name: 'structure', type: 'enum', values: ['adobe', 'brick_wood', 'other'], settled: true, must: true },
      { name: 'area_m2', type: 'number', min: 1, max: 10000, settled: true },
      { name: 'stage', type: 'enum', values: ['surveyed', 'scheduled', 'demolished'], def: 'surveyed', settled: true },
      { name: 'demolished_on', type: 'date', settled: true },
      householdLink,
    ],
    events: ['stage_changed', 'inspected', 'corrected'],
    settledStages: ['demolished'],
  },
  housing_reform: {
    color: '#c0ca33',
    attrs: [
      { name: 'household_head', type: 'string', maxLen: 32, staffOnly: true, must: true },
      { name: 'category', type: 'enum', values: ['homeless', 'dilapidated', 'five_guarantees', 'minimum_living', 'hardship'], must: true },
      { name: 'mode', type: 'enum', values: ['new_build', 'repair'], settled: true },
      { name: 'subsidy_yuan', type: 'number', min: 0, max: 1000000, staffOnly: true, settled: true },
      { name: 'plot_area_m2', type: 'number', min: 1, max: 10000 },
      { name: 'building_area_m2', type: 'number', min: 1, max: 10000, settled: true },
      { name: 'one_household_one_homestead', type: 'bool' },
      { name: 'old_house', type: 'string', maxLen: 64, link: 'demolition' },
      { name: 'stage', type: 'enum', values: ['surveyed', 'applied', 'approved', 'started', 'completed', 'accepted'], def: 'surveyed', settled: true },
      { name: 'completed_on', type: 'date', settled: true },
      householdLink,
    ],
    events: ['stage_changed', 'inspected', 'corrected'],
    settledStages: ['completed', 'accepted'],
  },
  // 农户（一户一档）: the household its toilet, housing reform and
  // demolished old house link to; no state of its own.
  household: {
    color: '#d81b60',
    attrs: [
      { name: 'household_head', type: 'string', maxLen: 32, staffOnly: true, must: true },
      { name: 'address', type: 'string', maxLen: 100 },
      { name: 'members', type: 'int', min: 1, max: 50 },
      { name: 'phone', type: 'string', maxLen: 20, staffOnly: true, input: 'tel' },
    ],
    events: ['inspected'],
  },
};

export const KIND_IDS = Object.keys(KINDS);

// Events that exist to set a status or stage, so the form asks for one.
export const STATUS_EVENTS = ['status_reported', 'stage_changed'];

// Events that put a thing back in order: without a status they set "ok"
// (the server does the same, so the local copy shows what it will store).
export const RESTORING_EVENTS = ['emptied', 'cleared', 'repaired', 'replaced', 'cleaned'];

export function attrsOf(kind) {
  return [...(KINDS[kind]?.attrs || []), ...common];
}

// The attribute that carries a kind's state: status or stage.
export function statusAttr(kind) {
  const a = (KINDS[kind]?.attrs || []).find((x) => x.name === 'status' || x.name === 'stage');
  return a ? a.name : '';
}

export function statusValues(kind) {
  const name = statusAttr(kind);
  return (KINDS[kind]?.attrs || []).find((x) => x.name === name)?.values || [];
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
  if (spec.name !== 'stage' || isStaff(role)) return spec.values;
  const from = cur ? spec.values.indexOf(cur.stage) : 0;
  return spec.values.filter((v, i) => v !== 'accepted' && i >= Math.max(from, 0));
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
  for (const a of attrsOf(kind)) if (out[a.name] === undefined && a.def !== undefined) out[a.name] = a.def;
  return out;
}
