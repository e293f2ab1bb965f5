// The date a work's stage carries, as the server's stagedates.go (and
// GET /kinds, stageDate) says: 拆除日期 once a house is demolished, 完工日期
// once a toilet or a house is done. The server fills it when a write
// reaches the stage without one; the form fills it first, where the person
// sees it and may change it, and the phone's copy as the server will.

import { statusAttr } from './schema.js';

export const STAGE_DATES = {
  household_toilet: { attr: 'completed_on', stages: ['done', 'accepted'] },
  demolition: { attr: 'demolished_on', stages: ['demolished'] },
  housing_reform: { attr: 'completed_on', stages: ['completed', 'accepted'] },
};

// fillStageDate sets the stage date in next (a copy of the attrs) to day
// when the change from cur (undefined for a new record) moves the stage to
// one of the date's stages and the date is empty.
export function fillStageDate(kind, cur, next, day) {
  const d = STAGE_DATES[kind];
  if (!d) return next;
  const stage = next[statusAttr(kind)];
  if (!d.stages.includes(stage) || (cur && cur[statusAttr(kind)] === stage)) return next;
  if (!next[d.attr]) next[d.attr] = day;
  return next;
}
