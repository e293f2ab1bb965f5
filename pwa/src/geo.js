// Small geometry for the phone: the GCJ-02 shift that Chinese web maps
// (AMap/Gaode) use, point-in-village, and distances. Points are kept in
// WGS-84 everywhere; GCJ-02 is only for drawing on such tiles.

const A = 6378245.0; // Krasovsky 1940 semi-major axis, which GCJ-02 is defined on
const EE = 0.00669342162296594323; // its first eccentricity squared

function insideChina(lon, lat) {
  return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

// The published GCJ-02 distortion, in metres north and east, around (105°E, 35°N).
function shiftMetres(lon, lat) {
  const x = lon - 105;
  const y = lat - 35;
  const common = ((20 * Math.sin(6 * Math.PI * x) + 20 * Math.sin(2 * Math.PI * x)) * 2) / 3;
  const north = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) + common
    + ((20 * Math.sin(Math.PI * y) + 40 * Math.sin((Math.PI * y) / 3)) * 2) / 3
    + ((160 * Math.sin((Math.PI * y) / 12) + 320 * Math.sin((Math.PI * y) / 30)) * 2) / 3;
  const east = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) + common
    + ((20 * Math.sin(Math.PI * x) + 40 * Math.sin((Math.PI * x) / 3)) * 2) / 3
    + ((150 * Math.sin((Math.PI * x) / 12) + 300 * Math.sin((Math.PI * x) / 30)) * 2) / 3;
  return [east, north];
}

// wgs84ToGcj02 returns [lon, lat] shifted as GCJ-02 tiles expect.
export function wgs84ToGcj02(lon, lat) {
  if (!insideChina(lon, lat)) return [lon, lat];
  const [east, north] = shiftMetres(lon, lat);
  const rad = (lat * Math.PI) / 180;
  const s = Math.sin(rad);
  const w = 1 - EE * s * s;
  const meridian = (A * (1 - EE)) / (w * Math.sqrt(w)); // metres per radian north
  const parallel = (A / Math.sqrt(w)) * Math.cos(rad); // metres per radian east
  return [lon + (east * 180) / (parallel * Math.PI), lat + (north * 180) / (meridian * Math.PI)];
}

// gcj02ToWgs84 undoes the shift for a pin dragged on GCJ-02 tiles. There
// is no closed form, but the shift barely changes over its own size, so a
// few rounds of "move by the miss" converge to well below a millimetre.
export function gcj02ToWgs84(lon, lat) {
  let w = [lon, lat];
  for (let i = 0; i < 10; i++) {
    const g = wgs84ToGcj02(w[0], w[1]);
    const dx = g[0] - lon;
    const dy = g[1] - lat;
    if (Math.abs(dx) < 1e-9 && Math.abs(dy) < 1e-9) break;
    w = [w[0] - dx, w[1] - dy];
  }
  return w;
}

// Ray casting over one ring of [lon, lat] pairs.
function inRing(x, y, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function inPolygon(x, y, rings) {
  if (!rings.length || !inRing(x, y, rings[0])) return false;
  for (let i = 1; i < rings.length; i++) if (inRing(x, y, rings[i])) return false; // a hole
  return true;
}

// inGeometry tells whether a point lies in a GeoJSON Polygon or MultiPolygon.
export function inGeometry(lon, lat, g) {
  if (!g) return false;
  if (g.type === 'Polygon') return inPolygon(lon, lat, g.coordinates);
  if (g.type === 'MultiPolygon') return g.coordinates.some((p) => inPolygon(lon, lat, p));
  return false;
}

// locate returns the code of the village containing the point, or ''. The
// server decides for good; this only files a new record under a village
// before it has been sent.
export function locate(lon, lat, villages) {
  for (const v of villages) if (inGeometry(lon, lat, v.boundary)) return v.code;
  return '';
}

// distanceM is the great-circle distance in metres, plenty for "nearest first".
export function distanceM(a, b) {
  const r = Math.PI / 180;
  const dLat = (b.lat - a.lat) * r;
  const dLon = (b.lon - a.lon) * r;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}
