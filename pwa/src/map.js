// Everything that uses Leaflet. It is in the app's one bundle, so the map
// opens offline without a service worker too.

import {
  map as leafletMap, tileLayer, geoJSON, circleMarker, circle, marker, divIcon, layerGroup, control, point, latLngBounds,
} from 'leaflet/dist/leaflet-src.esm.js';
import { wgs84ToGcj02, gcj02ToWgs84 } from './geo.js';
import { KINDS, statusAttr, stateColor } from './schema.js';

// Points are stored in WGS-84; on GCJ-02 tiles (AMap) they are shifted for
// drawing only, and a dragged pin is shifted back.
function projector(cfg) {
  const gcj = Boolean(cfg && cfg.tileUrl && cfg.tileGcj02);
  return {
    toLatLng(lon, lat) {
      const [x, y] = gcj ? wgs84ToGcj02(lon, lat) : [lon, lat];
      return [y, x];
    },
    fromLatLng(ll) {
      return gcj ? gcj02ToWgs84(ll.lng, ll.lat) : [ll.lng, ll.lat];
    },
  };
}

// baseMap makes a Leaflet map with the configured tiles, or none: without
// a tile source the map is a plain background with boundaries and points.
function baseMap(el, cfg, options = {}) {
  const m = leafletMap(el, { zoomSnap: 0.5, attributionControl: Boolean(cfg && cfg.tileUrl), ...options });
  if (cfg && cfg.tileUrl) {
    tileLayer(cfg.tileUrl, {
      attribution: cfg.tileAttribution || '',
      subdomains: cfg.tileSubdomains || 'abc',
      maxZoom: 19,
    }).addTo(m);
  } else {
    el.classList.add('no-tiles');
  }
  return m;
}

function boundaryLayer(villages, proj, selected) {
  const fc = {
    type: 'FeatureCollection',
    features: villages.filter((v) => v.boundary).map((v) => ({
      type: 'Feature', properties: { code: v.code, name: v.name }, geometry: v.boundary,
    })),
  };
  return geoJSON(fc, {
    coordsToLatLng: (c) => proj.toLatLng(c[0], c[1]),
    style: (f) => ({
      className: f.properties.code === selected ? 'cj-boundary cj-selected' : 'cj-boundary',
      color: f.properties.code === selected ? '#1b5e20' : '#558b2f',
      weight: f.properties.code === selected ? 3 : 1.5,
      fillColor: '#aed581',
      fillOpacity: f.properties.code === selected ? 0.15 : 0.05,
      interactive: false,
    }),
  });
}

// clusterSize is a cluster's diameter in px: larger for more, within a thumb's reach.
function clusterSize(n) {
  return n < 10 ? 26 : n < 100 ? 32 : n < 1000 ? 38 : 46;
}

// mergeClose merges clusters drawn nearer than gap px into the largest
// among them, at their weighted middle. The server's cells are a 24th of
// the view, which on a phone is narrower than a circle.
function mergeClose(clusters, toPx, gap) {
  const out = [];
  for (const c of [...clusters].sort((a, b) => b.count - a.count)) {
    const p = toPx(c);
    const near = out.find((o) => Math.hypot(o.x - p.x, o.y - p.y) < gap);
    if (!near) {
      out.push({ ...c, x: p.x, y: p.y });
      continue;
    }
    const n = near.count + c.count;
    near.lon = (near.lon * near.count + c.lon * c.count) / n;
    near.lat = (near.lat * near.count + c.lat * c.count) / n;
    near.count = n;
  }
  return out;
}

// FeatureMap is the map tab: boundaries, features coloured by kind (fill)
// and state (outline), the server's clusters on the town-wide view, the
// person's position.
export class FeatureMap {
  constructor(el, { cfg, popup, topInset = () => 5 }) {
    this.cfg = cfg;
    this.proj = projector(cfg);
    this.popup = popup; // (feature) => HTMLElement
    this.topInset = topInset; // px at the top hidden by the filter bar
    // Zoom buttons go bottom right, under the thumb and clear of the
    // filters at the top.
    this.map = baseMap(el, cfg, { zoomControl: false });
    control.zoom({ position: 'bottomright' }).addTo(this.map);
    this.boundaries = null;
    this.points = layerGroup().addTo(this.map);
    this.markers = new Map();
    this.problemLayer = layerGroup().addTo(this.map);
    this.problemMarkers = new Map();
    this.clusters = layerGroup().addTo(this.map);
    this.me = null;
    this.popupShown = false;
    this.map.on('popupopen', () => { this.popupShown = true; });
    this.map.on('popupclose', () => { this.popupShown = false; });
    this.map.setView([28.0, 115.0], 12);
  }

  // bindPopup builds a marker's popup when it opens. The filter bar lies
  // over the map's top, above Leaflet's popups: an opening popup pans
  // clear of it, by the bar's height at that moment (it wraps differently
  // on a phone and a desktop).
  bindPopup(m, content) {
    m.bindPopup(() => {
      m.getPopup().options.autoPanPaddingTopLeft = point(10, this.topInset());
      return content();
    }, { maxWidth: 260, minWidth: 200 });
  }

  // fit shows bounds b whole, below the filter bar.
  fit(b) {
    this.map.fitBounds(b, { paddingTopLeft: [12, this.topInset()], paddingBottomRight: [12, 12] });
  }

  // fitVillages shows all the villages at once; false when there are none yet.
  fitVillages(villages) {
    let b = null;
    for (const v of villages) {
      if (!v.boundary) continue;
      const vb = geoJSON(v.boundary, { coordsToLatLng: (c) => this.proj.toLatLng(c[0], c[1]) }).getBounds();
      if (!vb.isValid()) continue;
      b = b ? b.extend(vb) : latLngBounds(vb.getSouthWest(), vb.getNorthEast());
    }
    if (b) this.fit(b);
    return Boolean(b);
  }

  // viewBBox is the view as WGS-84 [minLon, minLat, maxLon, maxLat].
  viewBBox() {
    const b = this.map.getBounds();
    const [w, s] = this.proj.fromLatLng(b.getSouthWest());
    const [e, n] = this.proj.fromLatLng(b.getNorthEast());
    const clamp = (x, lim) => Math.max(-lim, Math.min(lim, x));
    return [clamp(w, 180), clamp(s, 90), clamp(e, 180), clamp(n, 90)];
  }

  // on listens to the map's events (moveend, popupclose).
  on(name, fn) {
    this.map.on(name, fn);
  }

  // setClusters draws the server's counts of a crowded view as numbered
  // circles; a tap zooms in on one.
  setClusters(clusters) {
    this.clusters.clearLayers();
    const toPx = (c) => this.map.latLngToContainerPoint(this.proj.toLatLng(c.lon, c.lat));
    const merged = mergeClose(clusters, toPx, 36);
    for (const c of merged) {
      const d = clusterSize(c.count);
      const ll = this.proj.toLatLng(c.lon, c.lat);
      const m = marker(ll, {
        icon: divIcon({ className: 'cj-cluster', html: `<span>${Number(c.count) || 0}</span>`, iconSize: [d, d], iconAnchor: [d / 2, d / 2] }),
        title: String(c.count),
        keyboard: false,
      });
      m.on('click', () => this.map.setView(ll, Math.min(this.map.getZoom() + 2, 18)));
      m.addTo(this.clusters);
    }
    return merged.length;
  }

  setVillages(villages, selected) {
    if (this.boundaries) this.boundaries.remove();
    this.boundaries = boundaryLayer(villages, this.proj, selected).addTo(this.map);
    this.boundaries.bringToBack();
  }

  // fitVillage shows the selected village whole; false when it has no
  // boundary yet (the first pull has not brought it).
  fitVillage(village) {
    if (!village || !village.boundary) return false;
    const b = geoJSON(village.boundary, { coordsToLatLng: (c) => this.proj.toLatLng(c[0], c[1]) }).getBounds();
    if (b.isValid()) this.fit(b);
    return b.isValid();
  }

  setFeatures(features) {
    this.points.clearLayers();
    this.markers.clear();
    for (const f of features) {
      if (!f.location) continue;
      const state = (f.attrs || {})[statusAttr(f.kind)];
      const m = circleMarker(this.proj.toLatLng(f.location.lon, f.location.lat), {
        className: `cj-feature cj-kind-${f.kind}${f.pending ? ' cj-pending' : ''}`,
        radius: 8,
        weight: 3,
        color: stateColor(state),
        fillColor: KINDS[f.kind] ? KINDS[f.kind].color : '#000',
        fillOpacity: 0.9,
        dashArray: f.pending ? '3 3' : null,
      });
      // Popups are built when opened: a thumbnail is fetched only for the
      // feature the person looks at.
      this.bindPopup(m, () => this.popup(f));
      m.addTo(this.points);
      this.markers.set(f.id, m);
    }
  }

  // setProblems draws the problems to rectify as red squares (orange once
  // rectified, with a dark outline when overdue), above the features.
  setProblems(problems, popup) {
    this.problemLayer.clearLayers();
    this.problemMarkers.clear();
    for (const p of problems) {
      if (!p.location) continue;
      const state = p.overdue ? 'overdue' : p.status;
      const m = marker(this.proj.toLatLng(p.location.lon, p.location.lat), {
        icon: divIcon({ className: `cj-problem cj-problem-${state}`, iconSize: [18, 18], iconAnchor: [9, 9] }),
        zIndexOffset: 1000,
        title: p.description,
      });
      this.bindPopup(m, () => popup(p));
      m.addTo(this.problemLayer);
      this.problemMarkers.set(p.id, m);
    }
  }

  focusProblem(id) {
    const m = this.problemMarkers.get(id);
    if (!m) return false;
    this.map.setView(m.getLatLng(), Math.max(this.map.getZoom(), 17));
    m.openPopup();
    return true;
  }

  focus(id) {
    const m = this.markers.get(id);
    if (!m) return false;
    this.map.setView(m.getLatLng(), Math.max(this.map.getZoom(), 17));
    m.openPopup();
    return true;
  }

  setPosition(fix) {
    if (!fix) return;
    const ll = this.proj.toLatLng(fix.lon, fix.lat);
    if (!this.me) {
      this.me = {
        ring: circle(ll, { radius: fix.accuracy, className: 'cj-me-ring', weight: 1, interactive: false }).addTo(this.map),
        dot: circleMarker(ll, { radius: 6, className: 'cj-me', color: '#fff', weight: 2, fillColor: '#d50000', fillOpacity: 1 }).addTo(this.map),
      };
    } else {
      this.me.ring.setLatLng(ll).setRadius(fix.accuracy);
      this.me.dot.setLatLng(ll);
    }
  }

  centreOn(fix) {
    if (fix) this.map.setView(this.proj.toLatLng(fix.lon, fix.lat), Math.max(this.map.getZoom(), 16));
  }

  resize() {
    this.map.invalidateSize();
  }

  destroy() {
    this.map.remove();
  }
}

// PinMap is the small map of the capture form: a draggable pin on the fix.
// Once the person drags it (or taps the map, the way to place a point when
// the phone finds no position at all), new fixes no longer move it.
export class PinMap {
  constructor(el, { cfg, villages, onMove }) {
    this.proj = projector(cfg);
    this.map = baseMap(el, cfg, { zoomControl: false });
    // Leaflet draws nothing (and throws) before the map has a view: start
    // on the villages, then move to the fix.
    const outline = boundaryLayer(villages, this.proj, '');
    const b = outline.getBounds();
    if (b.isValid()) this.map.fitBounds(b);
    else this.map.setView([28.0, 115.0], 12);
    outline.addTo(this.map);
    this.onMove = onMove;
    this.pin = null;
    this.ring = null;
    this.dragged = false;
    this.map.on('click', (e) => {
      if (!this.pin) this.place(e.latlng, 0);
      this.pin.setLatLng(e.latlng);
      this.placedByHand();
    });
  }

  placedByHand() {
    this.dragged = true;
    const [lon, lat] = this.proj.fromLatLng(this.pin.getLatLng());
    this.ring.setLatLng(this.pin.getLatLng());
    this.onMove({ lon, lat });
  }

  place(ll, accuracy) {
    this.pin = marker(ll, {
      draggable: true, autoPan: true,
      // Leaflet moves the icon with a CSS transform, so the pin's own
      // shape (a rotated square) is drawn by an inner element.
      icon: divIcon({ className: 'cj-pin', html: document.createElement('span'), iconSize: [26, 34], iconAnchor: [13, 34] }),
    }).addTo(this.map);
    this.ring = circle(ll, { radius: accuracy, weight: 1, className: 'cj-me-ring', interactive: false }).addTo(this.map);
    this.pin.on('dragend', () => this.placedByHand());
  }

  setFix(fix) {
    if (!fix || this.dragged) return;
    const ll = this.proj.toLatLng(fix.lon, fix.lat);
    if (!this.pin) {
      this.place(ll, fix.accuracy || 0);
      this.map.setView(ll, 18);
    } else {
      this.pin.setLatLng(ll);
      this.ring.setLatLng(ll).setRadius(fix.accuracy || 0);
      this.map.panTo(ll);
    }
  }

  resize() {
    this.map.invalidateSize();
  }

  destroy() {
    this.map.remove();
  }
}
