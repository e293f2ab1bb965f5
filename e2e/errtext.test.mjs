// Every error code and every message the server can send has a Chinese
// text (issue 15, item 4): the server's Go sources are read for the codes
// (errors.go) and for the message formats of Invalid, FieldErrors.Add,
// Errorf and Fields maps; each format, its verbs filled with samples, must
// have a text in pwa/src/errtext.js.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { REPO } from './lib.mjs';
import { CODES, messageText, errorText } from '../pwa/src/errtext.js';

async function goSources(dir, out = []) {
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && !['node_modules', 'pwa', 'e2e', '.git', 'bin'].includes(e.name)) await goSources(p, out);
    else if (e.name.endsWith('.go') && !e.name.endsWith('_test.go')) out.push(await fs.readFile(p, 'utf8'));
  }
  return out;
}

const sample = (format) => format.replace(/%\.\d+f|%[dsqv]/g, (v) => (v === '%d' ? '12' : v.endsWith('f') ? '1.5' : v === '%q' ? '"x1"' : 'x1'));

test('every error code has a Chinese text', async () => {
  const src = await fs.readFile(path.join(REPO, 'errors.go'), 'utf8');
  const codes = [...src.matchAll(/^\s+E[A-Z]+\s+= "(\w+)"/gm)].map((m) => m[1]);
  assert.ok(codes.length >= 9, `codes found: ${codes}`);
  for (const c of codes) assert.match(CODES[c] || '', /[\u4e00-\u9fff]/, `code ${c}`);
});

test('every message the server sends has a Chinese text', async () => {
  // A message joined from parts ("photo " + id + " is …") counts as one format.
  const src = (await goSources(REPO)).join('\n').replace(/" \+ \w+ \+ "/g, '%s');
  const formats = new Set();
  for (const re of [/(?:Invalid|\.Add)\("[\w.]*"(?: ?\+ ?[\w.]+)?, "([^"]*)"/g, /Errorf\((?:cunjie\.)?E[A-Z]+, "([^"]*)"/g, /Fields = map\[string\]string\{"\w+": "([^"]+)"/g]) {
    for (const m of src.matchAll(re)) formats.add(m[1]);
  }
  formats.delete('%s'); // a message built elsewhere, checked where it is built
  formats.delete('%v');
  assert.ok(formats.size > 100, `formats found: ${formats.size}`);
  const missing = [...formats].filter((f) => !/[\u4e00-\u9fff]/.test(messageText(sample(f))));
  assert.deepEqual(missing, [], 'messages without a Chinese text');
});

test('villages are named, fields are labelled, the code gives the next step', () => {
  const names = { 360803101202: '社上村' };
  const e = errorText({ code: 'forbidden', message: 'you may not record in village 360803101202', fields: { village: 'not one of your villages' } },
    { villageName: (c) => names[c] || c, label: (f) => ({ village: '村' }[f] || f) });
  assert.match(e.line, /社上村/);
  assert.doesNotMatch(e.line, /3608/);
  assert.deepEqual(e.fields, ['村：不是您负责的村']);
  assert.match(e.next, /联系镇办/);
  assert.equal(messageText('attrs.household_head: required'), '必填');
});
