// 扫码: the camera reads a label's QR code and opens its record. The
// browser's BarcodeDetector is used where it reads QR codes; elsewhere
// (Chromium on desktop Linux, Firefox) jsQR decodes the camera's frames.
// Loaded only when a scan starts, so the first load does not carry it.

import { t } from './i18n.js';
import { h } from './ui.js';

// codeOf takes the code out of what a label says: this server's
// /f/<code> URL, or a code typed on its own.
export function codeOf(text) {
  const s = String(text || '').trim();
  const m = s.match(/\/f\/([^/?#]+)\/?$/);
  return decodeURIComponent(m ? m[1] : s);
}

async function detector() {
  if ('BarcodeDetector' in window) {
    try {
      if ((await window.BarcodeDetector.getSupportedFormats()).includes('qr_code')) {
        const d = new window.BarcodeDetector({ formats: ['qr_code'] });
        return async (video) => (await d.detect(video))[0]?.rawValue;
      }
    } catch { /* fall back to jsQR */ }
  }
  const { default: jsQR } = await import('jsqr');
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  return async (video) => {
    const w = video.videoWidth;
    const ht = video.videoHeight;
    if (!w || !ht) return undefined;
    canvas.width = w;
    canvas.height = ht;
    ctx.drawImage(video, 0, 0, w, ht);
    return jsQR(ctx.getImageData(0, 0, w, ht).data, w, ht)?.data;
  };
}

export async function scanView(main) {
  const video = h('video#scan-video', { playsInline: true, muted: true, autoplay: true });
  const msg = h('p#scan-msg', t('code.scanHint'));
  main.append(h('div.scan', video, msg, h('a.button', { href: '#/list' }, t('common.back'))));
  let stream;
  let stopped = false;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch {
    msg.textContent = t('code.noCamera');
    return null;
  }
  video.srcObject = stream;
  await video.play().catch(() => {});
  const read = await detector();
  (async function loop() {
    while (!stopped) {
      const text = await read(video).catch(() => undefined);
      if (text && !stopped) {
        location.hash = `#/code/${encodeURIComponent(codeOf(text))}`;
        return;
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }());
  return () => {
    stopped = true;
    for (const tr of stream.getTracks()) tr.stop();
  };
}
