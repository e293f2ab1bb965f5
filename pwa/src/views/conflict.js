// The conflict card of a feature edit the server could merge against its
// base: only the fields both phones changed are shown, each with a choice
// between the two values; everything else merges by itself (issue 15).

import { attrsOf } from '../schema.js';
import { t, valueLabel } from '../i18n.js';
import { h } from '../ui.js';
import { mergeFeature } from '../merge.js';
import { mergeChoose } from '../outbox.js';
import { sync } from '../state.js';

function show(attr, v) {
  if (v === undefined || v === null || v === '') return t('merge.empty');
  return attr && (typeof v === 'boolean' || attr.type === 'enum') ? valueLabel(attr.name, v) : String(v);
}

// mergeCard answers the elements of the card, or null when the op cannot
// be merged field by field (no base from the server, a deleted feature).
export function mergeCard(op) {
  const base = op.error?.base;
  if (op.type !== 'putFeature' || !base || !op.server || op.server.deleted) return null;
  const { asks } = mergeFeature(base.attrs || {}, op.feature.attrs || {}, op.server.attrs || {});
  const specs = new Map(attrsOf(op.feature.kind).map((a) => [a.name, a]));
  const by = op.server.updatedBy || '';
  const choices = {};
  const rows = asks.map((a) => {
    const spec = specs.get(a.name);
    const pick = (side) => h(`label.merge-${side}`,
      h('input', { type: 'radio', name: `merge-${op.seq}-${a.name}`, value: side, onchange: () => { choices[a.name] = side; } }),
      ` ${t(side === 'mine' ? 'conflict.mine' : 'conflict.server')}：${show(spec, a[side])}`);
    return h('fieldset.merge-field', { dataset: { field: a.name } }, h('legend', t(`attr.${a.name}`)), pick('mine'), pick('server'));
  });
  const err = h('p.err', { hidden: true }, t('merge.chooseAll'));
  const done = h('button.primary.merge-save', {
    type: 'button',
    onclick: async () => {
      if (asks.some((a) => !choices[a.name])) { err.hidden = false; return; }
      await mergeChoose(op.seq, choices);
      sync({ force: true });
    },
  }, t('merge.save'));
  return [h('p', t('merge.explain', { user: by })), ...rows, err, h('div.row', done)];
}
