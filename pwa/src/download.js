// download fetches an authenticated file while counting the bytes that
// arrive, then hands it to the browser as a download. A long export (a
// county's XLSX, the notice) shows progress instead of a frozen button, and
// a stream that keeps arriving never looks timed out.
//
//   await download('/api/v1/export/features.xlsx', 'features.xlsx',
//     ({ received, total }) => { ... });   // total is 0 when unknown
//
// It resolves with { bytes } once the browser has the file; it throws the
// api's errors (ApiError, NetworkError) as api() does. downloadShown does
// the same with the progress and the outcome written in an element.

import { api } from './api.js';
import { t } from './i18n.js';

export async function download(url, filename, onProgress) {
  const res = await api('GET', url, { raw: true });
  const total = Number(res.headers.get('Content-Length')) || 0;
  const chunks = [];
  let received = 0;
  if (onProgress) onProgress({ received, total });
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    if (onProgress) onProgress({ received, total });
  }
  const blob = new Blob(chunks, { type: res.headers.get('Content-Type') || 'application/octet-stream' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
  return { bytes: received };
}

// downloadShown downloads with the bytes received shown in el, then the
// size of the file or what went wrong. It never throws.
export async function downloadShown(url, filename, el) {
  try {
    const { bytes } = await download(url, filename,
      ({ received }) => { el.textContent = t('download.received', { n: formatBytes(received) }); });
    el.textContent = t('download.done', { n: formatBytes(bytes) });
  } catch (err) {
    el.textContent = t('office.loadFailed', { msg: err.message });
  }
}

// formatBytes writes a byte count as people read it: 812 B, 35.2 KB, 4.1 MB.
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
