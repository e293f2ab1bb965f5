// Tests of the app's pure functions, run by node without a browser: the
// GCJ-02 shift (checked against the server's geo package) and how pending
// ops are laid over the server's copy of a feature.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wgs84ToGcj02, gcj02ToWgs84, inGeometry } from '../pwa/src/geo.js';
import { applyOp } from '../pwa/src/features.js';

test('wgs84ToGcj02 agrees with the server (geo.WGS84ToGCJ02) and inverts', () => {
  // Expected values printed by the Go implementation for the same points.
  const cases = [
    [[114.8808137, 27.0928181], [114.885606651, 27.089304306]],
    [[116.397428, 39.90923], [116.403671626, 39.910633506]],
  ];
  for (const [[lon, lat], [glon, glat]] of cases) {
    const [x, y] = wgs84ToGcj02(lon, lat);
    assert.ok(Math.abs(x - glon) < 1e-8 && Math.abs(y - glat) < 1e-8, `${lon},${lat} → ${x},${y}`);
    const [bx, by] = gcj02ToWgs84(x, y);
    assert.ok(Math.abs(bx - lon) < 1e-8 && Math.abs(by - lat) < 1e-8, 'the inverse returns the point');
  }
  assert.deepEqual(wgs84ToGcj02(2.35, 48.85), [2.35, 48.85], 'outside China nothing moves');
});

test('inGeometry honours holes and multipolygons', () => {
  const square = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]];
  const hole = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]];
  const poly = { type: 'Polygon', coordinates: [square, hole] };
  assert.equal(inGeometry(1, 1, poly), true);
  assert.equal(inGeometry(5, 5, poly), false);
  assert.equal(inGeometry(11, 1, poly), false);
  assert.equal(inGeometry(21, 1, { type: 'MultiPolygon', coordinates: [[square], [square.map(([x, y]) => [x + 20, y])]] }), true);
});

test('applyOp counts versions as the server will', () => {
  const base = { id: 'f1', kind: 'household_toilet', version: 3, attrs: { stage: 'planned' }, events: [] };
  const stage = { type: 'addEvent', id: 'f1', opId: 'o1', event: { id: 'e1', type: 'stage_changed', at: '2026-01-01T00:00:00Z', status: 'building', photos: [] } };
  const seen = { type: 'addEvent', id: 'f1', opId: 'o2', event: { id: 'e2', type: 'inspected', at: '2026-01-02T00:00:00Z', photos: [] } };
  const edit = { type: 'putFeature', id: 'f1', opId: 'o3', feature: { kind: 'household_toilet', location: { lon: 1, lat: 2 }, attrs: { stage: 'building', subsidy_yuan: 900 }, photos: [], baseVersion: 4 } };
  let f = applyOp(base, stage);
  assert.equal(f.version, 4, 'a status change makes a version');
  assert.equal(f.attrs.stage, 'building');
  f = applyOp(f, seen);
  assert.equal(f.version, 4, 'an event without a status does not');
  assert.equal(f.events.length, 2);
  f = applyOp(f, edit);
  assert.equal(f.version, 5);
  assert.equal(f.attrs.tap_water, false, 'the server default is shown until it answers');
  assert.equal(base.version, 3, 'the server copy is left alone');

  const bin = { id: 'b1', kind: 'bin', version: 1, attrs: { status: 'overflowing' }, events: [] };
  const emptied = applyOp(bin, { type: 'addEvent', id: 'b1', opId: 'o4', event: { id: 'e3', type: 'emptied', at: '2026-01-01T00:00:00Z', photos: [] } });
  assert.equal(emptied.attrs.status, 'ok', 'emptying a bin sets it ok, as the server does');
});

test('an edit merges as the server merges, and the rules match the server rules', async () => {
  const { mergeAttrs, needsReason, editable, allowedValues, attrsOf } = await import('../pwa/src/schema.js');
  const stored = { stage: 'accepted', household_head: '李四', subsidy_yuan: 800, note: '旧' };
  assert.deepEqual(mergeAttrs(stored, { note: '新', subsidy_yuan: null, type: 'biogas' }),
    { stage: 'accepted', household_head: '李四', note: '新', type: 'biogas' });
  const f = applyOp({ id: 'x', kind: 'household_toilet', version: 3, attrs: stored },
    { type: 'putFeature', id: 'x', feature: { kind: 'household_toilet', location: { lon: 1, lat: 1 }, attrs: { note: '新' }, baseVersion: 3 } });
  assert.equal(f.attrs.household_head, '李四', 'a field left out keeps its value');
  assert.equal(f.attrs.stage, 'accepted');
  assert.ok(needsReason('household_toilet', stored, { ...stored, subsidy_yuan: 900 }));
  assert.ok(!needsReason('household_toilet', stored, { ...stored, note: 'x' }));
  assert.ok(needsReason('housing_reform', { stage: 'approved' }, { stage: 'applied' }));
  assert.ok(!needsReason('housing_reform', { stage: 'approved' }, { stage: 'started' }));
  const spec = (kind, name) => attrsOf(kind).find((s) => s.name === name);
  assert.ok(!editable('household_toilet', spec('household_toilet', 'household_head'), 'cleaner'));
  assert.ok(!editable('household_toilet', spec('household_toilet', 'stage'), 'cleaner', stored));
  assert.ok(editable('household_toilet', spec('household_toilet', 'note'), 'cleaner', stored));
  assert.deepEqual(allowedValues(spec('household_toilet', 'stage'), 'cleaner', { stage: 'building' }), ['building', 'done']);
});

test('a stage reached fills its date with the town\'s day, as the server does (stagedates.go)', () => {
  const dem = { id: 'd1', kind: 'demolition', version: 2, attrs: { stage: 'scheduled' }, events: [] };
  const razed = (attrs) => applyOp({ ...dem, attrs }, { type: 'addEvent', id: 'd1', opId: 'o1',
    event: { id: 'e1', type: 'stage_changed', at: '2026-11-20T20:00:00Z', status: 'demolished', photos: [] } });
  assert.equal(razed({ stage: 'scheduled' }).attrs.demolished_on, '2026-11-21', '20:00 UTC is the next morning in the town');
  assert.equal(razed({ stage: 'scheduled', demolished_on: '2026-11-02' }).attrs.demolished_on, '2026-11-02', 'a date given stays');
  const done = applyOp({ id: 't1', kind: 'household_toilet', version: 1, attrs: { stage: 'building' } },
    { type: 'putFeature', id: 't1', createdAt: '2026-11-20T01:00:00Z', feature: { kind: 'household_toilet', location: { lon: 1, lat: 1 }, attrs: { stage: 'done' }, baseVersion: 1 } });
  assert.equal(done.attrs.completed_on, '2026-11-20');
});

test('the app names every kind, attribute, value and event type of the server\'s table, in both languages', async () => {
  const { KINDS, KIND_IDS, attrsOf } = await import('../pwa/src/schema.js');
  const { t, valueLabel, setLang, LANGS } = await import('../pwa/src/i18n.js');
  const { KINDS: TABLE } = await import('../pwa/src/domain.gen.js');
  assert.deepEqual(KIND_IDS, TABLE.map((k) => k.kind), 'every kind of the table, in its order');
  globalThis.document = { documentElement: {} }; // setLang marks the page's language
  for (const lang of LANGS) {
    setLang(lang);
    const named = (key, word) => assert.ok(word && word !== key && !word.includes('.'), `${lang}: ${key} is "${word}"`);
    for (const k of KIND_IDS) {
      named(`kind.${k}`, t(`kind.${k}`));
      for (const a of attrsOf(k)) {
        named(`attr.${a.name}`, t(`attr.${a.name}`));
        for (const v of a.enum || []) named(`${a.name}.${v}`, valueLabel(a.name, v));
      }
      for (const e of KINDS[k].events) named(`event.${e}`, t(`event.${e}`));
    }
  }
  setLang('zh-CN');
  assert.equal(valueLabel('type', 'three_compartment'), '三格式化粪池');
  assert.equal(t('attr.capacity_l'), '容量（升）');
  delete globalThis.document;
});
