// How people, records and places are named on the screen. Records carry
// their authors' logins (inspector.sheshang); people read names (社上村检查员
// 张三), which the server's GET /people gives and the phone keeps for
// offline. A record without a name of its own is told apart by its code,
// and a place is told by how near it is, not by its coordinates.

import { api } from './api.js';
import { getMeta, setMeta } from './idb.js';
import { titleOf } from './schema.js';
import { t } from './i18n.js';
import { distanceM } from './geo.js';

let people = {}; // login → {name, role}

export async function loadPeople() {
  people = (await getMeta('people')) || {};
}

// pullPeople refreshes the names. An older server without the route, or
// no signal, leaves the kept ones.
export async function pullPeople() {
  try {
    const r = await api('GET', '/api/v1/people');
    people = {};
    for (const p of r.people || []) people[p.username] = { name: p.name, role: p.role };
    await setMeta('people', people);
  } catch (err) {
    if (err.status === 401) throw err;
  }
}

// personName is the name shown for a login: the person's name, or the
// login when the office gave none (or the phone has not learnt it yet).
export function personName(login) {
  const p = people[login];
  return (p && p.name) || login || '';
}

// featureName names a record in a title or a list: a household's head, a
// house's owner or its own name; else its kind and label code, so two
// bins of one village are "垃圾桶 201-0042" and "垃圾桶 201-0043".
export function featureName(f) {
  const title = titleOf(f);
  if (title) return title;
  const kind = t(`kind.${f.kind}`);
  return f.code ? `${kind} ${f.code}` : kind;
}

// distanceText says how far a thing is from the person: 距你 85 米, 距你 1.2 公里.
export function distanceText(m) {
  return m < 1000 ? t('place.distance', { m: Math.round(m) }) : t('place.distanceKm', { km: (m / 1000).toFixed(1) });
}

// placeText says where a thing is in words a person checks on the spot:
// how sure its point is (±5 米) and, when the phone knows where the person
// is, how far it is (距你 85 米); not its coordinates.
export function placeText(loc, fix) {
  if (!loc) return '';
  return [
    loc.accuracy ? t('place.accuracy', { m: Math.round(loc.accuracy) }) : '',
    fix ? distanceText(distanceM(fix, loc)) : '',
  ].filter(Boolean).join(' · ');
}
