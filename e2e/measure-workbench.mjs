// Measures the town office's workbench on a county-sized town: 100,000
// features in 50 villages (2,000 each: bins, pools, collection points,
// toilets, household toilets, housing reform, demolitions), loaded through
// the API into a fresh server. Then, on a 1366×800 desktop as the admin:
//   the overview's API answer: the first after the fill, then p50 and p99
//   of 50 calls
//   the page usable: from opening #/workbench to every village's row drawn,
//   median and worst of 5 opens (after the first login has pulled the town)
//
// Usage: node measure-workbench.mjs   (part of `make bench-web`)

import { startEmptyServer, launchBrowser, Api, ADMIN_PASSWORD } from './lib.mjs';

const VILLAGES = 50;
const PER_VILLAGE = 2000;
const COLS = 10;
const ORIGIN = [114.9, 27.0]; // near Ji'an
const CELL = [0.03, 0.02];

function townGeoJSON() {
  const features = [];
  for (let i = 0; i < VILLAGES; i++) {
    const [x, y] = [ORIGIN[0] + (i % COLS) * CELL[0], ORIGIN[1] + Math.floor(i / COLS) * CELL[1]];
    features.push({
      type: 'Feature',
      properties: { code: `3608031${String(i + 1).padStart(2, '0')}201`, name: `测${i + 1}村`, town: '测试镇' },
      geometry: { type: 'Polygon', coordinates: [[[x, y], [x + CELL[0], y], [x + CELL[0], y + CELL[1]], [x, y + CELL[1]], [x, y]]] },
    });
  }
  return { type: 'FeatureCollection', features };
}

const MIX = [
  ['bin', 0.4, () => ({ status: ['ok', 'ok', 'full', 'damaged'][Math.floor(Math.random() * 4)] })],
  ['garbage_pool', 0.05, () => ({ volume_m3: 4 })],
  ['collection_point', 0.05, () => ({})],
  ['public_toilet', 0.05, () => ({})],
  ['household_toilet', 0.3, () => ({ household_head: '张三', type: 'three_compartment', stage: 'done', completed_on: '2026-05-01' })],
  ['housing_reform', 0.1, () => ({ household_head: '李四', category: 'dilapidated', stage: 'started' })],
  ['demolition', 0.05, () => ({ owner: '王五', structure: 'adobe', stage: 'surveyed' })],
];

function kindAt(r) {
  let acc = 0;
  for (const m of MIX) {
    acc += m[1];
    if (r < acc) return m;
  }
  return MIX[0];
}

const ms = (x) => `${x.toFixed(1)} ms`;
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

async function main() {
  const server = await startEmptyServer({ logName: 'measure-workbench-server.log' });
  try {
    const admin = await Api.login(server.url, 'admin', ADMIN_PASSWORD);
    const town = townGeoJSON();
    await admin.call('POST', '/api/v1/villages/import', town);
    const t0 = Date.now();
    for (const v of town.features) {
      const [x, y] = v.geometry.coordinates[0][0];
      for (let from = 0; from < PER_VILLAGE; from += 500) {
        const ops = [];
        for (let i = from; i < from + 500; i++) {
          const [kind, , attrs] = kindAt(Math.random());
          const id = `m-${v.properties.code}-${i}`;
          ops.push({ type: 'putFeature', id, opId: `op-${id}`, feature: { kind, attrs: attrs(),
            location: { lon: x + CELL[0] * (0.05 + 0.9 * Math.random()), lat: y + CELL[1] * (0.05 + 0.9 * Math.random()), accuracy: 5 } } });
        }
        await admin.call('POST', '/api/v1/sync', { ops });
      }
    }
    const fill = (Date.now() - t0) / 1000;
    console.log(`workbench: ${VILLAGES * PER_VILLAGE} features in ${VILLAGES} villages stored through /sync in ${fill.toFixed(1)} s`);

    // The first answer after the fill counts every village afresh (its
    // coverage most); later ones read what is kept until a village changes.
    const c0 = performance.now();
    await admin.call('GET', '/api/v1/overview');
    console.log(`workbench: overview API, first after the fill ${ms(performance.now() - c0)}`);
    const api = [];
    for (let i = 0; i < 50; i++) {
      const a = performance.now();
      await admin.call('GET', '/api/v1/overview');
      api.push(performance.now() - a);
    }
    console.log(`workbench: overview API n=50 p50 ${ms(pct(api, 50))} p99 ${ms(pct(api, 99))}`);

    const browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1366, height: 800 }, locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.fill('#username', 'admin');
    await page.fill('#password', ADMIN_PASSWORD);
    await page.click('#login');
    await page.waitForSelector('#tab-workbench');
    // The first login pulls the town's features to this browser; the
    // workbench is measured once that is done, as the office opens it every day.
    const p0 = Date.now();
    await page.waitForFunction(() => !document.querySelector('#progress.active'), null, { timeout: 600000 });
    console.log(`workbench: first login pulled the town in ${((Date.now() - p0) / 1000).toFixed(1)} s`);
    const opens = [];
    for (let i = 0; i < 5; i++) {
      await page.goto(`${server.url}/#/capture`);
      await page.waitForSelector('#tab-workbench');
      const a = Date.now();
      await page.click('#tab-workbench');
      await page.waitForFunction((n) => document.querySelectorAll('#wb-overview tr.wb-row').length === n, VILLAGES, { timeout: 60000 });
      opens.push(Date.now() - a);
    }
    console.log(`workbench: page usable (every village's row drawn) n=5 median ${ms(pct(opens, 50))} worst ${ms(Math.max(...opens))}`);
    await browser.close();
  } finally {
    await server.stop();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
