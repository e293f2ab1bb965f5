// The full-size photo: a light overlay opened from any thumbnail. It shows
// the thumbnail at once and the full picture when it has come (the phone's
// own until uploaded, else the server's, fetched with the token an <img>
// cannot send). Two fingers zoom, one finger pans a zoomed picture or
// swipes to the next, a double tap zooms in and out, and the mouse wheel
// zooms on a desktop. Back, the close button and Escape close it.

import { t } from './i18n.js';
import { h } from './ui.js';
import { photoURL, fullPhoto } from './photos.js';

const MAX_SCALE = 6;
const DOUBLE_TAP_MS = 300;
const SWIPE_PX = 60;

// openPhotos shows the photos ids, starting at index start.
export function openPhotos(ids, start = 0) {
  if (!ids.length || document.getElementById('viewer')) return; // it covers every thumbnail: one at a time
  let index = Math.min(Math.max(0, start), ids.length - 1);
  let fullURL = '';
  let shown = 0; // which load the picture belongs to, so a late answer for an earlier photo is dropped
  const z = { s: 1, x: 0, y: 0 }; // scale, and the picture's centre from the stage's centre

  const img = h('img.viewer-img#viewer-img', { alt: '', draggable: false });
  const stage = h('div.viewer-stage', img);
  const count = h('span.viewer-count');
  const note = h('span.viewer-note#viewer-note');
  const close = h('button.viewer-close#viewer-close', { type: 'button', 'aria-label': t('viewer.close') }, '×');
  const prev = h('button.viewer-step.prev', { type: 'button', 'aria-label': t('viewer.prev'), hidden: ids.length < 2 }, '‹');
  const next = h('button.viewer-step.next', { type: 'button', 'aria-label': t('viewer.next'), hidden: ids.length < 2 }, '›');
  const box = h('div.viewer#viewer', { role: 'dialog', 'aria-modal': 'true', 'aria-label': t('viewer.title') },
    stage, h('div.viewer-bar', count, note, close), prev, next);
  const opener = document.activeElement;

  function apply() {
    if (z.s > 1) {
      // Keep some of the picture on the screen.
      const mx = Math.max(0, (img.clientWidth * z.s - stage.clientWidth) / 2);
      const my = Math.max(0, (img.clientHeight * z.s - stage.clientHeight) / 2);
      z.x = Math.min(mx, Math.max(-mx, z.x));
      z.y = Math.min(my, Math.max(-my, z.y));
    }
    img.style.transform = `translate(${z.x}px, ${z.y}px) scale(${z.s})`;
    box.dataset.scale = z.s.toFixed(2);
  }

  // zoomAt scales to s keeping the point f (from the stage's centre) where it is.
  function zoomAt(f, s) {
    s = Math.min(MAX_SCALE, Math.max(1, s));
    const k = s / z.s;
    z.x = f.x - k * (f.x - z.x);
    z.y = f.y - k * (f.y - z.y);
    z.s = s;
    if (s === 1) { z.x = 0; z.y = 0; }
    apply();
  }

  async function load(i) {
    index = (i + ids.length) % ids.length;
    const mine = ++shown;
    z.s = 1; z.x = 0; z.y = 0;
    apply();
    if (fullURL) { URL.revokeObjectURL(fullURL); fullURL = ''; }
    count.textContent = ids.length > 1 ? `${index + 1} / ${ids.length}` : '';
    note.textContent = t('viewer.loading');
    box.dataset.full = 'false';
    img.removeAttribute('src');
    const id = ids[index];
    photoURL(id).then((u) => { if (mine === shown && u && !fullURL) img.src = u; });
    const blob = await fullPhoto(id);
    if (mine !== shown || !box.isConnected) return;
    if (!blob) { note.textContent = t('viewer.offline'); return; }
    fullURL = URL.createObjectURL(blob);
    img.src = fullURL;
    note.textContent = '';
    box.dataset.full = 'true';
  }

  // Pointers: two pinch, one pans (zoomed) or swipes (not zoomed).
  const points = new Map();
  let gesture = null;
  let lastTap = null;
  const at = (e) => {
    const r = stage.getBoundingClientRect();
    return { x: e.clientX - r.left - r.width / 2, y: e.clientY - r.top - r.height / 2 };
  };
  const dist = (a, b) => Math.hypot(a.x - b.x, a.y - b.y);
  const mid = (a, b) => ({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
  function begin() {
    const p = [...points.values()];
    gesture = p.length === 0 ? null
      : p.length === 1 ? { from: p[0], x: z.x, y: z.y, moved: 0 }
        : { dist: dist(p[0], p[1]) || 1, mid: mid(p[0], p[1]), s: z.s, x: z.x, y: z.y, moved: Infinity };
  }
  stage.addEventListener('pointerdown', (e) => {
    try { stage.setPointerCapture(e.pointerId); } catch { /* a pointer the browser does not track: moves still reach the stage */ }
    points.set(e.pointerId, at(e));
    begin();
  });
  stage.addEventListener('pointermove', (e) => {
    if (!points.has(e.pointerId) || !gesture) return;
    points.set(e.pointerId, at(e));
    const p = [...points.values()];
    if (p.length >= 2 && gesture.dist) {
      const s = Math.min(MAX_SCALE, Math.max(1, (gesture.s * dist(p[0], p[1])) / gesture.dist));
      const k = s / gesture.s;
      const m = mid(p[0], p[1]);
      z.s = s;
      z.x = m.x - k * (gesture.mid.x - gesture.x);
      z.y = m.y - k * (gesture.mid.y - gesture.y);
    } else if (p.length === 1 && gesture.from) {
      const dx = p[0].x - gesture.from.x;
      const dy = p[0].y - gesture.from.y;
      gesture.moved = Math.max(gesture.moved, Math.abs(dx), Math.abs(dy));
      z.x = gesture.x + dx;
      z.y = z.s > 1 ? gesture.y + dy : 0; // not zoomed: the picture follows a swipe sideways
    }
    apply();
  });
  function end(e) {
    if (!points.has(e.pointerId)) return;
    const p = at(e);
    const g = gesture;
    points.delete(e.pointerId);
    if (g && g.from && points.size === 0) {
      const dx = p.x - g.from.x;
      if (z.s === 1 && Math.abs(dx) > SWIPE_PX && ids.length > 1) { load(index + (dx < 0 ? 1 : -1)); return; }
      if (z.s === 1) { z.x = 0; z.y = 0; apply(); }
      if (g.moved < 10) {
        const now = Date.now();
        if (lastTap && now - lastTap.t < DOUBLE_TAP_MS && dist(lastTap.p, p) < 30) {
          zoomAt(p, z.s > 1 ? 1 : 2.5);
          lastTap = null;
        } else {
          lastTap = { t: now, p };
        }
      }
    }
    begin();
  }
  stage.addEventListener('pointerup', end);
  stage.addEventListener('pointercancel', end);
  stage.addEventListener('wheel', (e) => {
    e.preventDefault();
    zoomAt(at(e), z.s * Math.exp(-e.deltaY / 300));
  }, { passive: false });

  // Back closes the viewer, not the page under it: opening it adds a step
  // to the history (the same address, so the router does not redraw).
  function teardown() {
    window.removeEventListener('popstate', teardown);
    document.removeEventListener('keydown', onKey);
    if (fullURL) URL.revokeObjectURL(fullURL);
    shown++;
    box.remove();
    document.body.classList.remove('viewing');
    if (opener && opener.focus) opener.focus();
  }
  const closeByHand = () => history.back();
  function onKey(e) {
    if (e.key === 'Escape') closeByHand();
    else if (e.key === 'ArrowRight' && ids.length > 1) load(index + 1);
    else if (e.key === 'ArrowLeft' && ids.length > 1) load(index - 1);
  }
  close.addEventListener('click', closeByHand);
  prev.addEventListener('click', () => load(index - 1));
  next.addEventListener('click', () => load(index + 1));

  history.pushState({ cjPhoto: true }, '');
  window.addEventListener('popstate', teardown);
  document.addEventListener('keydown', onKey);
  document.body.append(box);
  document.body.classList.add('viewing');
  close.focus();
  load(index);
}

// thumbs shows photos as thumbnails, each opening the viewer on it. A
// photo neither on the phone nor reachable (offline) has no picture: its
// frame is hidden.
export function thumbs(ids) {
  const box = h('div.thumbs');
  (ids || []).forEach((id, i) => {
    const img = h('img', { alt: '', loading: 'lazy' });
    const frame = h('div.thumb', { role: 'button', tabIndex: 0, title: t('viewer.open'), dataset: { photo: id } }, img);
    viewable(frame, () => ids, () => i);
    box.append(frame);
    photoURL(id).then((u) => { if (u) img.src = u; else frame.classList.add('missing'); });
  });
  return box;
}

// viewable makes el open the viewer on photo index() of list() when
// tapped (or Enter is pressed on it); both are asked then, since a form's
// photos come and go. A thumbnail inside a link (a problem's row) opens
// the photo, not the link.
export function viewable(el, list, index) {
  const open = (e) => {
    e.preventDefault();
    e.stopPropagation();
    openPhotos(list(), index());
  };
  el.addEventListener('click', open);
  el.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(e); });
}
