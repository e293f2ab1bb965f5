// The town-wide map (staff, online): the features in view come from the
// server, one viewport query at a time, as points or, past LIMIT, as the
// server's grid clusters. The map never holds the town's features, only
// what the view shows, asked for once a pan or zoom has settled.

import { api, NetworkError } from '../api.js';
import { toast } from '../ui.js';
import { oneLine } from './errview.js';

const LIMIT = 1000; // points drawn at most, which a cheap phone still pans smoothly
const SETTLE_MS = 250; // how long a view stays put before it is asked for

// fromGeo is a feature of the server's GeoJSON as the app keeps features.
export function fromGeo(g) {
  const p = g.properties;
  const [lon, lat] = g.geometry.coordinates;
  return {
    id: g.id, kind: p.kind, village: p.village, code: p.code, attrs: p.attrs || {}, flags: p.flags || {},
    photos: p.photos || [], version: p.version, updatedAt: p.updatedAt, events: p.events || [],
    location: { lon, lat, accuracy: p.accuracy },
  };
}

// townLoader keeps fm's points and clusters those of the view while
// started. filters() gives {kinds, state}; offline() is called when the
// server cannot be reached (the loader has stopped and says offline).
export function townLoader(fm, mapEl, { filters, offline }) {
  let on = false;
  let dirty = false;
  let timer = 0;
  let asked = 0;
  const self = { offline: false, start, stop };

  const schedule = () => {
    if (!on) return;
    clearTimeout(timer);
    timer = setTimeout(load, SETTLE_MS);
  };
  fm.on('moveend', () => { dirty = true; schedule(); });
  // A popup's own pan must not reload the points under it (that would
  // close it): the view is asked for when the popup closes.
  fm.on('popupclose', () => { if (dirty) schedule(); });

  async function load() {
    if (!on || fm.popupShown) return;
    dirty = false;
    const mine = ++asked;
    const { kinds, state } = filters();
    const q = new URLSearchParams({ bbox: fm.viewBBox().join(','), limit: String(LIMIT) });
    q.set('kind', kinds.join(','));
    if (state) q.set('status', state);
    let fc = { features: [] };
    try {
      if (kinds.length) fc = await api('GET', `/api/v1/features?${q}`);
    } catch (err) {
      if (mine !== asked || !on) return;
      if (err instanceof NetworkError) {
        stop();
        self.offline = true;
        offline();
      } else {
        toast(oneLine(err));
      }
      return;
    }
    if (mine !== asked || !on) return; // a newer view was asked for, or the town view left
    const clusters = [];
    const points = [];
    for (const g of fc.features || []) {
      if (g.properties.cluster) {
        clusters.push({ lon: g.geometry.coordinates[0], lat: g.geometry.coordinates[1], count: g.properties.count });
      } else {
        points.push(fromGeo(g));
      }
    }
    fm.setFeatures(points);
    mapEl.dataset.features = String(points.length);
    mapEl.dataset.clusters = String(fm.setClusters(clusters));
    mapEl.dataset.total = String(points.length + clusters.reduce((n, c) => n + c.count, 0));
    mapEl.dataset.villages = [...new Set(points.map((f) => f.village))].sort().join(',');
  }

  function start() {
    on = true;
    dirty = true;
    schedule();
  }

  function stop() {
    on = false;
    asked++;
    clearTimeout(timer);
    fm.setClusters([]);
    delete mapEl.dataset.clusters;
    delete mapEl.dataset.total;
  }

  return self;
}
