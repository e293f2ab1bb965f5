// The check that the built app runs on the engines build.mjs targets
// (Chrome 78, the Android WebViews and in-app browsers of 2019–2020): every
// JavaScript file must parse as ES2019 (no ?., ??, dynamic import(), top-
// level await, class static blocks… — what esbuild could not lower fails
// here), must not call APIs those engines lack, and the CSS must not use
// selectors they ignore. build.mjs runs it after bundling and fails the
// build on any finding; `node check-target.mjs [dir]` checks a build.

import * as acorn from 'acorn';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ECMA_VERSION = 2019;

// Methods newer than Chrome 78, as `x.name(` calls. A fallback must be
// written so the name is not called where it may be missing (as uuid()
// in api.js builds v4 UUIDs from getRandomValues instead of randomUUID).
const METHODS = new Set([
  'randomUUID', // Chrome 92
  'at', // Array/String.prototype.at, Chrome 92
  'replaceAll', // Chrome 85
  'hasOwn', // Object.hasOwn, Chrome 93
  'findLast', 'findLastIndex', // Chrome 97
  'toSorted', 'toReversed', 'toSpliced', 'with', // Chrome 110
  'groupBy', // Chrome 117
  'any', // Promise.any, Chrome 85 (checked on Promise only)
  'timeout', // AbortSignal.timeout, Chrome 103 (checked on AbortSignal only)
]);
// Names common enough elsewhere to be checked only on their owner.
const ON_ONLY = { any: 'Promise', timeout: 'AbortSignal' };
// Globals newer than Chrome 78.
const GLOBALS = new Set(['structuredClone', 'WeakRef', 'FinalizationRegistry', 'AggregateError']);
// Selectors Chrome 78 does not know: a rule using them is dropped whole.
const CSS = [/:has\(/, /:is\(/, /:where\(/, /@container\b/, /@layer\b/, /:focus-visible/];

// checkJs returns the problems of one script (as strings).
export function checkJs(code, name, sourceType = 'module') {
  let ast;
  try {
    ast = acorn.parse(code, { ecmaVersion: ECMA_VERSION, sourceType, allowHashBang: false });
  } catch (err) {
    return [`${name}: not ES${ECMA_VERSION}: ${err.message} near «${code.slice(Math.max(0, err.pos - 30), err.pos + 30)}»`];
  }
  const found = [];
  walk(ast, (node) => {
    if (node.type === 'CallExpression' && node.callee.type === 'MemberExpression' && !node.callee.computed) {
      const prop = node.callee.property.name;
      if (!METHODS.has(prop)) return;
      const only = ON_ONLY[prop];
      if (only && !(node.callee.object.type === 'Identifier' && node.callee.object.name === only)) return;
      found.push(`${name}: calls .${prop}() (missing before Chrome 85–117) at ${node.start}`);
    } else if (node.type === 'Identifier' && GLOBALS.has(node.name)) {
      found.push(`${name}: uses ${node.name} (missing in Chrome 78) at ${node.start}`);
    }
  });
  return found;
}

export function checkCss(code, name) {
  return CSS.filter((re) => re.test(code)).map((re) => `${name}: uses ${re.source.replace(/\\/g, '')} (ignored by Chrome 78)`);
}

function walk(node, fn) {
  if (!node || typeof node.type !== 'string') return;
  fn(node);
  for (const key of Object.keys(node)) {
    const v = node[key];
    if (Array.isArray(v)) for (const c of v) walk(c, fn);
    else if (v && typeof v === 'object' && typeof v.type === 'string') walk(v, fn);
  }
}

// checkDir checks every .js and .css file under dir. The service worker
// is a classic script, the rest are modules.
export async function checkDir(dir) {
  const problems = [];
  for (const f of (await fs.readdir(dir, { recursive: true })).sort()) {
    const p = path.join(dir, f);
    if (f.endsWith('.js')) problems.push(...checkJs(await fs.readFile(p, 'utf8'), f, f === 'sw.js' ? 'script' : 'module'));
    else if (f.endsWith('.css')) problems.push(...checkCss(await fs.readFile(p, 'utf8'), f));
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] || path.join(path.dirname(fileURLToPath(import.meta.url)), 'build');
  const problems = await checkDir(dir);
  for (const p of problems) console.error(p);
  if (problems.length) process.exitCode = 1;
  else console.log(`${dir}: ES${ECMA_VERSION}, no API or selector beyond the target`);
}
