// Builds the field app into build/, which pwa/embed.go embeds in the Go
// binary:
//   - src/app.js (with its CSS, Leaflet's included) bundled by esbuild, the
//     map code split into a chunk loaded on demand; every bundle file is
//     named by its content hash, so it can be cached for ever;
//   - static/index.html and manifest.webmanifest, with the bundle names
//     filled in; icons drawn here (SVG, and PNGs for Android);
//   - sw.js, bundled from static/sw.js with the shell's file list and a
//     VERSION (a hash of every shell file) injected, so a new release
//     installs a new cache and the old one is deleted.
// It fails when the first load would exceed the size budget.
//
// Usage: node build.mjs

import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const root = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(root, 'build');
const BUDGET_GZ = 200 * 1024; // the whole first load, gzipped
const TARGET = ['chrome80', 'firefox78', 'safari15']; // Android phones of 2020 and later, iPhones of 2021

// appVersion is "1.0.0+" and 8 hex digits of a hash of every source file.
async function appVersion() {
  const pkg = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8'));
  const h = createHash('sha256');
  const files = (await fs.readdir(path.join(root, 'src'), { recursive: true })).sort();
  for (const f of files) {
    const p = path.join(root, 'src', f);
    if ((await fs.stat(p)).isFile()) {
      h.update(f);
      h.update(await fs.readFile(p));
    }
  }
  return `${pkg.version}+${h.digest('hex').slice(0, 8)}`;
}

async function main() {
  await fs.rm(out, { recursive: true, force: true });
  await fs.mkdir(out, { recursive: true });

  // 1. The app bundle. APP_VERSION, which phones report on each sync, is
  // the package's version and a hash of the sources.
  const APP_VERSION = await appVersion();
  const app = await esbuild.build({
    define: { APP_VERSION: JSON.stringify(APP_VERSION) },
    entryPoints: [path.join(root, 'src/app.js')],
    bundle: true,
    format: 'esm',
    splitting: true,
    minify: true,
    target: TARGET,
    outdir: out,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunks/[name]-[hash]',
    assetNames: 'assets/[name]-[hash]',
    loader: { '.png': 'file', '.svg': 'file' },
    metafile: true,
    logLevel: 'warning',
  });

  const urlOf = (file) => `/${path.relative(out, file).split(path.sep).join('/')}`;
  const outputs = Object.keys(app.metafile.outputs).map((f) => path.resolve(f));
  const entryJs = outputs.find((f) => app.metafile.outputs[path.relative(process.cwd(), f)]?.entryPoint && f.endsWith('.js'));
  const entryCss = outputs.find((f) => /[\\/]app-[^\\/]+\.css$/.test(f));
  if (!entryJs || !entryCss) throw new Error('bundle outputs not found');

  // 2. Static files, with the bundle names filled in.
  const build = createHash('sha256');
  for (const f of [entryJs, entryCss]) build.update(await fs.readFile(f));
  const buildId = build.digest('hex').slice(0, 12);
  const html = (await fs.readFile(path.join(root, 'static/index.html'), 'utf8'))
    .replaceAll('{{JS}}', urlOf(entryJs).slice(1))
    .replaceAll('{{CSS}}', urlOf(entryCss).slice(1))
    .replaceAll('{{BUILD}}', buildId);
  await fs.writeFile(path.join(out, 'index.html'), html);
  await fs.copyFile(path.join(root, 'static/manifest.webmanifest'), path.join(out, 'manifest.webmanifest'));

  // 3. Icons: a white house on the app's green, drawn here so no binary
  // files live in the repository.
  await fs.writeFile(path.join(out, 'icon.svg'), iconSvg());
  await fs.writeFile(path.join(out, 'icon-192.png'), iconPng(192));
  await fs.writeFile(path.join(out, 'icon-512.png'), iconPng(512));

  // 4. The shell and its version.
  const hashed = outputs.map(urlOf);
  const shell = ['/index.html', '/manifest.webmanifest', '/icon.svg', '/icon-192.png', '/icon-512.png', ...hashed];
  const version = createHash('sha256');
  for (const u of [...shell].sort()) {
    version.update(u);
    version.update(await fs.readFile(path.join(out, u)));
  }
  const VERSION = version.digest('hex').slice(0, 16);

  // 5. The service worker, bundled with the outbox code it runs for
  // Background Sync.
  await esbuild.build({
    entryPoints: [path.join(root, 'static/sw.js')],
    bundle: true,
    format: 'iife',
    minify: true,
    target: TARGET,
    outfile: path.join(out, 'sw.js'),
    define: {
      APP_VERSION: JSON.stringify(APP_VERSION),
      SW_VERSION: JSON.stringify(VERSION),
      SW_SHELL: JSON.stringify(shell),
      SW_HASHED: JSON.stringify(hashed),
    },
    logLevel: 'warning',
  });

  // 6. Sizes. The first load is everything the browser fetches on the first
  // visit: the page, the bundle, the worker and what it precaches.
  let total = 0;
  const rows = [];
  for (const u of [...shell, '/sw.js']) {
    const data = await fs.readFile(path.join(out, u));
    const gz = zlib.gzipSync(data, { level: 9 }).length;
    total += gz;
    rows.push(`${u.padEnd(44)} ${String(data.length).padStart(8)} B ${String(gz).padStart(8)} B gz`);
  }
  console.log(rows.join('\n'));
  console.log(`version ${VERSION}; first load ${(total / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_GZ / 1024} KB)`);
  if (total > BUDGET_GZ) {
    console.error('over the size budget');
    process.exitCode = 1;
  }
}

// --- icons ---------------------------------------------------------------

// The house, in a unit square: is (x, y) inside, and is it the door?
function inHouse(x, y) {
  const roof = y >= 0.24 && y <= 0.5 && Math.abs(x - 0.5) <= ((y - 0.24) / 0.26) * 0.28;
  const body = x >= 0.3 && x <= 0.7 && y >= 0.5 && y <= 0.76;
  const door = x >= 0.45 && x <= 0.55 && y >= 0.6 && y <= 0.76;
  return (roof || body) && !door;
}

function iconSvg() {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">`
    + `<rect width="100" height="100" rx="18" fill="#2e7d32"/>`
    + `<path d="M50 24 78 50H70V76H55V60H45V76H30V50H22Z" fill="#fff"/></svg>\n`;
}

// iconPng draws the icon at size × size, 4×4 samples a pixel for smooth
// edges, on a full green square (Android masks it to its own shape).
function iconPng(size) {
  const green = [0x2e, 0x7d, 0x32];
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let py = 0; py < size; py++) {
    const row = py * (size * 4 + 1);
    raw[row] = 0; // no filter
    for (let px = 0; px < size; px++) {
      let white = 0;
      for (let sy = 0; sy < 4; sy++) {
        for (let sx = 0; sx < 4; sx++) {
          if (inHouse((px + (sx + 0.5) / 4) / size, (py + (sy + 0.5) / 4) / size)) white++;
        }
      }
      const k = white / 16;
      const o = row + 1 + px * 4;
      for (let c = 0; c < 3; c++) raw[o + c] = Math.round(green[c] * (1 - k) + 255 * k);
      raw[o + 3] = 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bits per channel
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

// CRC-32 as PNG defines it (node 20's zlib has no crc32 yet).
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

await main();
