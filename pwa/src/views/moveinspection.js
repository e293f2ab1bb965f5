// A refused inspection of a closed month keeps its scores and problem
// photos: the person can record it into this month instead of discarding
// it (issue 15, item 2). Only when this month is a later one; a month that
// is closed while still running has no open month to move to.

import { t } from '../i18n.js';
import { h } from '../ui.js';
import { uuid } from '../api.js';
import { replaceOp } from '../outbox.js';
import { townMonth } from '../assess.js';
import { sync } from '../state.js';

export function moveButton(op) {
  const month = townMonth();
  if (op.type !== 'putInspection' || op.error?.fields?.month !== 'closed' || !(op.inspection.month < month)) return null;
  return h('button.move-month', {
    type: 'button',
    onclick: async () => {
      const opId = uuid();
      await replaceOp(op.seq, { type: 'putInspection', id: uuid(), opId, inspection: { ...op.inspection, opId, month } });
      sync({ force: true });
    },
  }, t('inspect.moveToMonth', { month }));
}
