// The date a work's stage carries (the domain table's stageDate, from
// stagedates.go): 拆除日期 once a house is demolished, 完工日期 once a toilet
// or a house is done. The server fills it when a write reaches the stage
// without one; the form fills it first, where the person sees it and may
// change it, and the phone's copy as the server will.

import { KINDS, statusAttr } from './schema.js';

// stageDate is kind's {attr, stages}, or undefined.
export function stageDate(kind) {
  return KINDS[kind]?.stageDate;
}

// fillStageDate sets the stage date in next (a copy of the attrs) to day
// when the change from cur (undefined for a new record) moves the stage to
// one of the date's stages and the date is empty.
export function fillStageDate(kind, cur, next, day) {
  const d = stageDate(kind);
  if (!d) return next;
  const stage = next[statusAttr(kind)];
  if (!d.stages.includes(stage) || (cur && cur[statusAttr(kind)] === stage)) return next;
  if (!next[d.attr]) next[d.attr] = day;
  return next;
}
