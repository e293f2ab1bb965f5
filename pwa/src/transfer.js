// Export of unsent work to a file, and its import: the way out when a phone
// cannot reach the server for days, or must be handed in. The file is JSON
// with the photos inside as base64, so one file carries everything.

import { get, tx, req, getMeta } from './idb.js';
import { listOps, photosOf } from './outbox.js';

const FORMAT = 'cunjie-outbox';

function toBase64(buf) {
  const bytes = new Uint8Array(buf);
  let s = '';
  // In slices: String.fromCharCode with a whole photo overflows the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(b64, type) {
  const s = atob(b64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return new Blob([bytes], { type });
}

// buildExport makes the file of every op of the outbox with its photos:
// {file, n} (a File, so it can be shared as well as downloaded).
async function buildExport() {
  const ops = await listOps();
  const ids = [...new Set(ops.flatMap(photosOf))];
  const photos = [];
  for (const id of ids) {
    const p = await get('photos', id);
    if (!p) continue;
    photos.push({ id, type: p.blob.type || 'image/jpeg', uploaded: Boolean(p.uploaded), data: toBase64(await p.blob.arrayBuffer()) });
  }
  const session = await getMeta('session');
  const data = {
    format: FORMAT, version: 1, exportedAt: new Date().toISOString(), exportedBy: session?.user?.username || '',
    ops: ops.map(({ seq, ...op }) => op),
    photos,
  };
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '');
  const file = new File([JSON.stringify(data)], `cunjie-unsent-${stamp}.json`, { type: 'application/json' });
  return { file, n: ops.length };
}

function download(file) {
  const url = URL.createObjectURL(file);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// exportOutbox downloads the outbox's file and returns how many ops went
// into it.
export async function exportOutbox() {
  const { file, n } = await buildExport();
  download(file);
  return n;
}

// canShareFiles tells whether the browser can hand a file to another app
// (Web Share with files: Chrome 89 on Android, Safari 15); elsewhere
// shareOutbox downloads.
export function canShareFiles() {
  try {
    return Boolean(navigator.canShare && navigator.canShare({ files: [new File(['{}'], 'x.json', { type: 'application/json' })] }));
  } catch { return false; }
}

// shareOutbox shares the outbox's file (to WeChat, a chat with oneself,
// the phone's files), or downloads it where sharing files is not offered.
export async function shareOutbox() {
  const { file, n } = await buildExport();
  if (canShareFiles()) {
    try {
      await navigator.share({ files: [file], title: file.name });
      return n;
    } catch (err) {
      if (err && err.name === 'AbortError') return 0; // the person cancelled
    }
  }
  download(file);
  return n;
}

// importOutbox adds the file's ops the outbox does not have yet (by opId;
// the server would treat a repeat as a duplicate anyway) and their photos.
export async function importOutbox(file) {
  const data = JSON.parse(await file.text());
  if (!data || data.format !== FORMAT || !Array.isArray(data.ops)) throw new Error('not a Cunjie export');
  const have = new Set((await listOps()).map((o) => o.opId));
  const session = await getMeta('session');
  let added = 0;
  for (const p of data.photos || []) {
    if (!p.id || !p.data || (await get('photos', p.id))) continue;
    await tx('photos', 'readwrite', (s) => req(s.put({ id: p.id, blob: fromBase64(p.data, p.type || 'image/jpeg'), uploaded: false })));
  }
  for (const op of data.ops) {
    if (!op || !op.opId || !op.type || have.has(op.opId)) continue;
    // A conflict or refusal noted on the other phone is asked again: the
    // server answers the op afresh.
    const row = { ...op, state: 'waiting', owner: op.owner || session?.user?.username || '' };
    delete row.server;
    delete row.error;
    await tx('outbox', 'readwrite', (s) => req(s.add(row)));
    have.add(op.opId);
    added++;
  }
  return added;
}
