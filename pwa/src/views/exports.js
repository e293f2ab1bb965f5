// The feature exports of a village or of the town, a row of buttons for
// the office's pages (village, map, report): CSV and Excel for
// spreadsheets, with values in Chinese; GeoJSON for GIS tools; KML for
// Google Earth and 奥维互动地图. The server streams them; the bytes
// received are shown while a big one arrives. Admins and inspectors get
// the row; the server leaves people's names out of an inspector's file.

import { t } from '../i18n.js';
import { h } from '../ui.js';
import { downloadFile } from '../download.js';
import { app, villageName } from '../state.js';
import { townDay } from '../assess.js';
import { isStaff } from '../schema.js';

// scopeName names what is exported: a village, or the town for ''.
const scopeName = (code) => (code ? villageName(code) : t('exports.town'));

const FORMATS = [['csv', 'CSV'], ['xlsx', 'Excel'], ['geojson', 'GeoJSON'], ['kml', 'KML']];

// featureExports returns the row for the village code ('' for the whole
// town), or null for a cleaner.
export function featureExports(code) {
  const role = app.session?.user?.role;
  if (!isStaff(role)) return null;
  const progress = h('span.muted.export-progress', { 'aria-live': 'polite' });
  const buttons = FORMATS.map(([ext, label]) => h(`button#features-${ext}`, {
    type: 'button',
    onclick: async () => {
      const file = `${scopeName(code)}-${t('exports.title')}-${townDay()}.${ext}`;
      buttons.forEach((b) => { b.disabled = true; });
      await downloadFile(`/api/v1/export/features.${ext}${code ? `?village=${code}` : ''}`, file, progress);
      buttons.forEach((b) => { b.disabled = false; });
    },
  }, label));
  return h('div.feature-exports',
    h('div', h('b', `${t('exports.title')} · ${scopeName(code)}`),
      role === 'admin' ? null : h('span.muted', ` · ${t('exports.noNames')}`)),
    h('div.exports', buttons, progress));
}
