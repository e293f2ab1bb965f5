// download fetches an authenticated file while counting the bytes that
// arrive, then hands it to the browser as a download. A long export (a
// county's XLSX, the notice) shows progress instead of a frozen button, and
// a stream that keeps arriving never looks timed out.
//
//   await download('/api/v1/export/features.xlsx', 'features.xlsx',
//     ({ received, total }) => { ... });   // total is 0 when unknown
//
// It resolves with { bytes } once the browser has the file; it throws the
// api's errors (ApiError, NetworkError) as api() does. downloadFile does the
// same for a button, with what happens written on the page.

import { api, ApiError } from './api.js';
import { t } from './i18n.js';
import { toast } from './ui.js';
import { oneLine } from './views/errview.js';

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

// downloadFile downloads with the bytes received shown in linkBox while a
// long export arrives, then the file's name and size; a failure is said
// in a toast. It never throws.
export async function downloadFile(path, name, linkBox) {
  const say = (text) => { if (linkBox) linkBox.textContent = text; };
  try {
    const { bytes } = await download(path, name, ({ received }) => say(t('wb.received', { n: formatBytes(received) })));
    say(t('export.done', { name, n: formatBytes(bytes) }));
  } catch (err) {
    say('');
    toast(err instanceof ApiError ? oneLine(err) : t('office.offline'));
  }
}

// formatBytes writes a byte count as people read it: 812 B, 35.2 KB, 4.1 MB.
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
