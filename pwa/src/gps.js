// The phone's position. One watch is shared by every view that wants it
// (capture form, event form, map), and stopped when none does: GPS drains
// a cheap phone's battery fast.

const subscribers = new Set();
let watchId = null;
let last = null; // {lon, lat, accuracy, at}
let lastError = null;

function start() {
  if (watchId !== null || !('geolocation' in navigator)) return;
  watchId = navigator.geolocation.watchPosition(
    (p) => {
      last = { lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy, at: Date.now() };
      lastError = null;
      for (const fn of subscribers) fn(last, null);
    },
    (err) => {
      lastError = err;
      for (const fn of subscribers) fn(last, err);
    },
    // A fresh, precise fix: an old cached one would put the bin at the
    // previous bin's place.
    { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 },
  );
}

function stop() {
  if (watchId === null) return;
  navigator.geolocation.clearWatch(watchId);
  watchId = null;
}

// watchGps calls fn(fix, error) with each new fix and returns the function
// that stops watching. A recent fix is handed over at once.
export function watchGps(fn) {
  subscribers.add(fn);
  start();
  if (last && Date.now() - last.at < 60000) fn(last, null);
  else if (lastError) fn(null, lastError);
  return () => {
    subscribers.delete(fn);
    if (!subscribers.size) stop();
  };
}

// recentFix is the last fix if it is younger than maxAgeMs.
export function recentFix(maxAgeMs = 120000) {
  return last && Date.now() - last.at < maxAgeMs ? last : null;
}
