// A demolition's photos side by side: the house before (the record's own
// photos) and after (the photos of the events that recorded it
// demolished: the stage event to 已拆除, which may carry them).

import { t } from '../i18n.js';
import { h } from '../ui.js';
import { thumbs } from '../viewer.js';

// afterPhotos are the photos of a demolition's events to demolished,
// newest first, among the latest events the record keeps.
export function afterPhotos(f) {
  return [...(f.events || [])].reverse()
    .filter((e) => e.status === 'demolished')
    .reduce((all, e) => all.concat(e.photos || []), []);
}

// slot is one side: its title, then its photos or what is to be done.
export function slot(side, content) {
  return h(`div.slot.slot-${side}`, { dataset: { slot: side } }, h('div.label', t(`demolition.${side}`)), content);
}

// beforeAfter shows both sides on a demolition's page; an empty "after"
// offers to record the demolition with its photo.
export function beforeAfter(f) {
  const before = f.photos || [];
  const after = afterPhotos(f);
  return h('div.before-after#before-after',
    slot('before', before.length ? thumbs(before) : h('p.empty', t('demolition.noPhoto'))),
    slot('after', after.length ? thumbs(after) : h('div',
      h('p.empty', t('demolition.noPhoto')),
      h('a.button#take-after', { href: `#/f/${f.id}/event/stage_changed/demolished` }, t('demolition.takeAfter')))));
}
