// How the app shows a server refusal: in Chinese with the next step
// (errtext.js), fields by their labels, villages by name. In English the
// server's own words are shown.

import { errorText } from '../errtext.js';
import { t, getLang } from '../i18n.js';
import { villageName } from '../state.js';

// fieldLabel names a field the server named: "attrs.household_head" → 户主.
export function fieldLabel(f) {
  const name = f.replace(/^attrs\./, '').replace(/\[\d+\].*$/, '');
  const key = f.startsWith('attrs.') ? `attr.${name}` : `field.${name}`;
  const s = t(key);
  return s === key ? f : s;
}

// explain answers {line, fields} for an error ({code, message, fields}).
export function explain(err) {
  if (!getLang().startsWith('zh')) {
    return { line: err?.message || '', fields: Object.entries(err?.fields || {}).map(([k, v]) => `${k}: ${v}`) };
  }
  return errorText(err, { label: fieldLabel, villageName });
}

// oneLine is explain as one line, for a toast.
export function oneLine(err) {
  const e = explain(err);
  return [e.line, ...e.fields].join('；');
}
