// The warning before saving a new record whose point lies outside the
// villages the person may record in (issue 15, item 4): the server would
// refuse it, and the person is told so while still standing there.

import { t } from '../i18n.js';
import { locate } from '../geo.js';
import { app, villageName } from '../state.js';

// outsideWarning answers the warning for loc, or '' when the point lies in
// a village the person may record in (or the phone cannot tell yet).
export function outsideWarning(loc) {
  const user = app.session?.user || {};
  // Just after the first login the boundaries may still be on their way:
  // without them the phone cannot tell, and the server will.
  if (!app.villages.length || app.villages.some((v) => !v.boundary)) return '';
  const code = locate(loc.lon, loc.lat, app.villages);
  if (user.role === 'cleaner') {
    const own = user.villages || [];
    if (code && own.includes(code)) return '';
    return t('capture.outsideMine', { villages: own.map(villageName).join('、') });
  }
  return code ? '' : t('capture.outsideAll');
}
