// The list of the person's values that someone else replaced (replaced.js),
// shown on the outbox tab until dismissed.

import { attrsOf } from '../schema.js';
import { t, valueLabel } from '../i18n.js';
import { h } from '../ui.js';
import { listNotices, dismissNotice } from '../replaced.js';

function show(kind, name, v) {
  if (v === undefined || v === null || v === '') return t('merge.empty');
  const spec = attrsOf(kind).find((a) => a.name === name);
  return spec && (typeof v === 'boolean' || spec.type === 'enum') ? valueLabel(name, v) : String(v);
}

// drawNotices fills box with the notices, or hides it when there are none.
export async function drawNotices(box) {
  const all = await listNotices();
  box.hidden = !all.length;
  box.replaceChildren(...(all.length ? [h('h3', t('notice.title'))] : []), ...all.map((n) => h('div.replaced-item', { dataset: { feature: n.feature, field: n.field } },
    h('a', { href: `#/f/${encodeURIComponent(n.feature)}` }, t('notice.replaced', {
      user: n.by, field: t(`attr.${n.field}`), mine: show(n.kind, n.field, n.mine), theirs: show(n.kind, n.field, n.theirs),
    })),
    h('button.dismiss', { type: 'button', onclick: async () => { await dismissNotice(n.id); drawNotices(box); } }, t('notice.dismiss')))));
}
