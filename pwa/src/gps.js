// The phone's position. One watch is shared by every view that wants it
// (capture form, event form, map), and stopped when none does: GPS drains
// a cheap phone's battery fast.

const subscribers = new Set();
let watchId = null;
let last = null; // {lon, lat, accuracy, at}
let lastError = null;

function start() {
  if (watchId !== null) return;
  if (!('geolocation' in navigator)) {
    // No location at all (an insecure page, a stripped in-app browser):
    // say so rather than wait for a fix that never comes.
    lastError = { code: 2, message: 'geolocation unavailable', none: true };
    setTimeout(() => { for (const fn of subscribers) fn(last, lastError); }, 0);
    return;
  }
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

// gpsMessage is what to tell the person about a location error, in words
// they can act on: a refused permission (WeChat asks once, and a "no" sticks
// until changed in the phone's settings), an insecure page, no location.
export function gpsMessage(err, t) {
  if (typeof window !== 'undefined' && window.isSecureContext === false) return t('gps.insecure');
  if (err.none) return t('gps.none');
  if (err.code === 1) return t('gps.deniedHelp');
  if (err.code === 3) return t('gps.timeout');
  return t('gps.unavailable', { msg: err.message });
}
