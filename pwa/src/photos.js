// Photos taken on the phone: shrunk on the device (a 12-megapixel photo is
// 4 MB; over a weak signal that is minutes), kept as Blobs in IndexedDB
// until uploaded, and shown from there or fetched from the server.

import { get, put, getMeta } from './idb.js';
import { api, uuid } from './api.js';

const MAX_SIDE = 1600;
const QUALITY = 0.8;

// toJpeg draws the picture at most 1600 px on its longer side and encodes
// it as JPEG. createImageBitmap applies the EXIF rotation, so a photo taken
// upright stays upright.
export async function toJpeg(file) {
  let img;
  try {
    img = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    img = await loadImage(file);
  }
  const w0 = img.width;
  const h0 = img.height;
  const scale = Math.min(1, MAX_SIDE / Math.max(w0, h0));
  const w = Math.max(1, Math.round(w0 * scale));
  const h = Math.max(1, Math.round(h0 * scale));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff'; // a transparent PNG would turn black in JPEG
  ctx.fillRect(0, 0, w, h);
  ctx.drawImage(img, 0, 0, w, h);
  if (img.close) img.close();
  return new Promise((resolve, reject) => {
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('encode failed'))), 'image/jpeg', QUALITY);
  });
}

// The fallback for browsers whose createImageBitmap cannot read a file.
function loadImage(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => { URL.revokeObjectURL(url); resolve(img); };
    img.onerror = () => { URL.revokeObjectURL(url); reject(new Error('unreadable image')); };
    img.src = url;
  });
}

// savePhoto shrinks a picked file and keeps it; it returns the new photo id.
export async function savePhoto(file) {
  const blob = await toJpeg(file);
  const id = uuid();
  await put('photos', { id, blob, uploaded: false, takenAt: new Date().toISOString() });
  return id;
}

// Blob URLs made for display, by photo id, so each is made once per page.
const urls = new Map();

// photoURL gives a URL to show a photo: the local Blob while it is on the
// phone, else the server's thumbnail (fetched with the token, since an
// <img> cannot send one). It resolves to '' when neither is available.
export async function photoURL(id) {
  if (urls.has(id)) return urls.get(id);
  let blob;
  const local = await get('photos', id);
  const kept = local ? null : await getMeta(`thumb:${id}`); // a problem's photo kept for offline
  if (local) blob = local.blob;
  else if (kept) blob = kept;
  else {
    try {
      const res = await api('GET', `/api/v1/photos/${encodeURIComponent(id)}?size=thumb`, { raw: true });
      blob = await res.blob();
    } catch {
      return ''; // offline or not uploaded yet: no picture, no error
    }
  }
  const url = URL.createObjectURL(blob);
  urls.set(id, url);
  return url;
}

// fullPhoto gives the photo at full size as a Blob: the phone's own while
// it is not uploaded, else the server's. It resolves to null offline.
export async function fullPhoto(id) {
  const local = await get('photos', id);
  if (local) return local.blob;
  try {
    const res = await api('GET', `/api/v1/photos/${encodeURIComponent(id)}`, { raw: true });
    return await res.blob();
  } catch {
    return null;
  }
}
