// Label codes (一户一码): /f/<code> opens that feature's record, found on
// the phone first (its villages' copy, so it works offline), then asked of
// the server; an unknown code, or one of a village the person does not
// have, says so.

import { t } from './i18n.js';
import { h } from './ui.js';
import { getAll } from './idb.js';
import { featuresIn, storeServerFeature } from './features.js';
import { api, token } from './api.js';

const CODE = /^\d{3,12}-\d{4,}$/;

// takeCodeURL turns a /f/<code> address into the app's #/code/<code>
// route, before anything is drawn (the login comes first if needed).
export function takeCodeURL() {
  const m = location.pathname.match(/^\/f\/([^/]+)\/?$/);
  if (m) history.replaceState(null, '', `/#/code/${m[1]}`);
}

// findByCode answers {feature} or {error: key}.
export async function findByCode(code) {
  code = (code || '').trim().toUpperCase();
  if (!CODE.test(code)) return { error: 'code.bad' };
  const prefix = code.slice(0, code.indexOf('-'));
  const villages = (await getAll('villages')).filter((v) => v.code.endsWith(prefix));
  for (const v of villages) {
    const f = (await featuresIn(v.code)).find((x) => x.code === code);
    if (f) return { feature: f };
  }
  try {
    const fc = await api('GET', `/api/v1/features?code=${encodeURIComponent(code)}`);
    const g = fc.features && fc.features[0];
    // Not on the phone yet: the record as the server has it.
    if (g) return { feature: await api('GET', `/api/v1/features/${encodeURIComponent(g.id)}`), remote: true };
  } catch {
    if (!navigator.onLine || !villages.length) return { error: villages.length ? 'code.unknown' : 'code.otherVillage' };
  }
  return { error: villages.length ? 'code.unknown' : 'code.otherVillage' };
}

// codeView opens the record of code, or says why it cannot.
export async function codeView(main, code) {
  const box = h('div.code-view', h('p', t('code.looking', { code })));
  main.append(box);
  const r = await findByCode(code);
  if (r.feature) {
    if (r.remote) await storeServerFeature(r.feature);
    location.replace(`#/f/${encodeURIComponent(r.feature.id)}`);
    return null;
  }
  box.replaceChildren(h('p.error#code-error', t(r.error, { code })), h('a.button', { href: '#/list' }, t('common.back')));
  return null;
}

// labelView shows one feature's label as the server makes it (its QR
// code leads to this server's /f/<code>) and prints it. The server's page
// is read for its label only: the app's own style sheet lays it out, so
// the app's strict CSP holds.
export async function labelView(main, id) {
  const box = h('div.label-print');
  main.append(box);
  const f = await (await import('./features.js')).localFeature(id);
  if (!f || !f.code) { box.append(h('p.error', t('code.unknown', { code: f?.code || id }))); return null; }
  try {
    const res = await fetch(`/api/v1/villages/${encodeURIComponent(f.village)}/labels?feature=${encodeURIComponent(id)}`,
      { headers: { Authorization: `Bearer ${await token()}` }, cache: 'no-store' });
    if (!res.ok) throw new Error(String(res.status));
    const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
    const label = doc.querySelector('.label');
    box.append(document.importNode(label, true),
      h('div.actions.no-print', h('button.primary#print-label', { type: 'button', onclick: () => window.print() }, t('code.label')),
        h('a.button', { href: `#/f/${encodeURIComponent(id)}` }, t('common.back'))));
  } catch {
    box.append(h('p.error', t('err.network')));
  }
  return null;
}
