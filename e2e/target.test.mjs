// The build check of old engines (issue 14): the built app parses as
// ES2019 and calls no API Chrome 78 lacks, and the checker build.mjs runs
// really refuses what those engines cannot run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { REPO } from './lib.mjs';
import { checkDir, checkJs, checkCss } from '../pwa/check-target.mjs';

test('the built app is ES2019 with no API or selector beyond Chrome 78', async () => {
  assert.deepEqual(await checkDir(path.join(REPO, 'pwa/build')), []);
});

test('the checker refuses syntax and APIs newer than the target', () => {
  const bad = {
    'optional chaining': 'export const a = x?.y;',
    'nullish coalescing': 'export const a = x ?? 1;',
    'dynamic import': 'import("./map.js").then(() => {});',
    'top-level await': 'await fetch("/");',
    'logical assignment': 'x ||= 1;',
    'class fields': 'class A { b = 1 }',
    'crypto.randomUUID': 'crypto.randomUUID();',
    structuredClone: 'const b = structuredClone(a);',
    'Array.prototype.at': 'const last = list.at(-1);',
    replaceAll: 's.replaceAll("a", "b");',
    'Promise.any': 'Promise.any([p]);',
  };
  for (const [what, code] of Object.entries(bad)) {
    assert.equal(checkJs(code, what).length, 1, `${what} is refused`);
  }
  assert.deepEqual(checkJs('const a = x && x.y; Promise.all([p]); o.any(); const {b, ...c} = d;', 'ok'), []);
  assert.equal(checkCss('.a:has(.b) { color: red }', 'x.css').length, 1);
  assert.deepEqual(checkCss('.a > .b { color: red }', 'x.css'), []);
});
