// The field app's entry: the shell (header, progress bar, bottom tabs for
// one thumb), the hash router, and the service worker registration.

import './compat.js';
import './app.css';
import './desktop.css';
import { t, getLang, setLang } from './i18n.js';
import { h, clear } from './ui.js';
import { app, loadLocal, onChange, startSyncing, myOps } from './state.js';
import { kindGrid, captureForm } from './views/capture.js';
import { listView } from './views/list.js';
import { detailView, eventForm } from './views/detail.js';
import { mapView } from './views/mapview.js';
import { outboxView } from './views/outbox.js';
import { loginView, meView, askPersist } from './views/me.js';
// Every page is in the one bundle: where no service worker keeps the app
// (WeChat, a refused worker) a page fetched on first use fails offline.
import * as inspectModule from './views/inspect.js';
import * as problemModule from './views/problems.js';
import * as officeModule from './views/office.js';
import * as workbenchModule from './views/workbench.js';
import * as usersModule from './views/users.js';
import { scanView } from './scan.js';
import { noticeBox } from './notices.js';
import { watchShell } from './shell-offline.js';
import { showInAppGuide } from './wechat.js';
import { noteStart, checkWiped } from './wiped.js';
import { takeCodeURL, codeView, labelView } from './code.js';
import { householdView } from './views/household.js';

// The fourth tab is the person's part of the monthly assessment: a
// cleaner's problems to fix, or an inspector's and the office's assessment.
function tabs() {
  const cleaner = app.session?.user?.role === 'cleaner';
  return [
    ['capture', '#/capture'],
    ['list', '#/list'],
    cleaner ? ['problems', '#/problems'] : ['assess', '#/assess'],
    ['map', '#/map'],
    ['outbox', '#/outbox'],
    ['me', '#/me'],
    // The office's workbench, on a desktop screen (issue 16).
    wide() && app.session?.user?.role !== 'cleaner' ? ['workbench', '#/workbench'] : null,
  ].filter(Boolean);
}

const inspectPages = () => Promise.resolve(inspectModule);
const problemPages = () => Promise.resolve(problemModule);
const officePages = () => Promise.resolve(officeModule);
const workbenchPage = () => Promise.resolve(workbenchModule);
const usersPage = () => Promise.resolve(usersModule);

// wide is a desktop screen: the side navigation and the workbench.
const wide = () => typeof matchMedia === 'function' && matchMedia('(min-width: 1200px)').matches;

// lazy draws a page of one of those modules; a page that fails to draw
// (an office page offline) says so instead of staying blank.
function lazy(loader, draw, mine) {
  return loader().then((m) => (mine === routing ? draw(m) : null)).catch(() => {
    if (mine === routing) shell.main.append(h('p.err', t('office.offline')));
    return null;
  });
}

const shell = {};

function buildShell() {
  shell.update = h('button.update#update', { type: 'button', hidden: true, onclick: () => location.reload() }, t('app.update'));
  shell.badge = h('span.badge#outbox-count', { hidden: true });
  shell.progress = h('div.progress#progress', h('div.bar'));
  shell.title = h('span.title', t('app.title'));
  shell.header = h('header', shell.title, h('a.sync-chip#sync-chip', { href: '#/outbox' }));
  shell.main = h('main#view');
  shell.nav = h('nav.tabs');
  document.body.replaceChildren(shell.update, shell.header, shell.progress, noticeBox(), shell.main, shell.nav);
}

function drawNav(active) {
  shell.nav.replaceChildren(...tabs().map(([name, href]) => h(`a.tab${active === name ? '.active' : ''}`, {
    href, id: `tab-${name}`, dataset: { tab: name },
  }, h('span', t(`nav.${name}`)), name === 'outbox' ? shell.badge : null)));
  shell.title.textContent = t('app.title');
  shell.update.textContent = t('app.update');
}

// drawStatus keeps the header chip, the tab badge and the progress bar in
// step with the outbox and the pull.
function drawStatus() {
  const n = myOps().length;
  const attention = myOps().filter((o) => o.state === 'conflict' || o.state === 'rejected').length;
  shell.badge.hidden = !n;
  shell.badge.textContent = String(n);
  shell.badge.classList.toggle('alert', attention > 0);
  const chip = document.getElementById('sync-chip');
  chip.textContent = n ? t('outbox.count', { n }) : navigator.onLine === false ? t('err.network') : '✓';
  chip.classList.toggle('alert', attention > 0);
  const p = app.progress || app.pulling;
  shell.progress.classList.toggle('active', Boolean(p));
  const bar = shell.progress.firstChild;
  bar.style.width = p && p.total ? `${Math.round((100 * p.done) / p.total)}%` : '100%';
  shell.progress.title = app.progress ? t('outbox.syncing', app.progress) : app.pulling ? t('outbox.pulling', app.pulling) : '';
}

let cleanup = null;
let routing = 0;

// route draws the view the hash names. Each view may return a cleanup
// (stop GPS, remove a map), run before the next view is drawn.
async function route() {
  const mine = ++routing;
  if (typeof cleanup === 'function') {
    try { cleanup(); } catch { /* a view that failed to clean up must not block the next */ }
  }
  cleanup = null;
  const main = shell.main;
  clear(main);
  main.className = '';
  window.scrollTo(0, 0);
  if (!app.session || app.session.expired) {
    shell.nav.hidden = true;
    shell.header.hidden = true;
    loginView(main);
    return;
  }
  shell.nav.hidden = false;
  shell.header.hidden = false;
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const [page, a, b, c, d] = parts;
  const assessTab = app.session.user.role === 'cleaner' ? 'problems' : 'assess';
  const tab = {
    f: 'list', household: 'list', code: 'list', scan: 'list', label: 'list', edit: 'list', redo: 'outbox', problem: assessTab, problems: assessTab, inspect: 'assess',
    ranking: 'assess', village: 'assess', villages: 'assess', history: 'assess', report: 'assess', users: 'assess', templates: 'assess',
  }[page] || page || 'capture';
  drawNav(tab);
  let result;
  switch (page) {
    case '':
    case undefined:
    case 'capture':
      result = a ? captureForm(main, { kind: a, household: b }) : kindGrid(main);
      break;
    case 'household':
      result = householdView(main, a);
      break;
    case 'edit':
      result = captureForm(main, { editId: a });
      break;
    case 'redo':
      result = captureForm(main, { redoSeq: a });
      break;
    case 'list':
      result = listView(main);
      break;
    case 'code':
      result = codeView(main, a);
      break;
    case 'label':
      result = labelView(main, a);
      break;
    case 'scan':
      result = scanView(main);
      break;
    case 'f':
      result = b === 'event' ? eventForm(main, a, c, d) : detailView(main, a);
      break;
    case 'map':
      result = mapView(main, a);
      break;
    case 'outbox':
      result = outboxView(main);
      break;
    case 'me':
      result = meView(main);
      break;
    case 'assess':
      result = lazy(inspectPages, (m) => m.assessHub(main), mine);
      break;
    case 'inspect':
      result = lazy(inspectPages, (m) => m.inspectForm(main), mine);
      break;
    case 'problems':
      result = lazy(problemPages, (m) => m.problemsView(main, a), mine);
      break;
    case 'problem':
      result = lazy(problemPages, (m) => m.problemView(main, a), mine);
      break;
    case 'ranking':
    case 'village':
    case 'villages':
    case 'history':
    case 'report':
    case 'templates': {
      const view = {
        ranking: 'rankingView', village: 'villageView', villages: 'villagesView',
        history: 'historyView', report: 'reportView', templates: 'templatesView',
      }[page];
      result = lazy(officePages, (m) => m[view](main, a), mine);
      break;
    }
    case 'users':
      result = lazy(usersPage, (m) => m.usersView(main), mine);
      break;
    case 'workbench':
      result = lazy(workbenchPage, (m) => m.workbenchView(main), mine);
      break;
    default:
      location.hash = '#/capture';
      return;
  }
  const done = await result;
  if (mine === routing) cleanup = done;
  else if (typeof done === 'function') done(); // already left this view
}

function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) { watchShell(null); return; }
  const hadController = Boolean(navigator.serviceWorker.controller);
  // Registered once the page has loaded, so the worker's precache does not
  // compete with the first screen for a slow connection. Without it the
  // app works online and keeps its outbox; watchShell tells the person.
  const registered = new Promise((resolve, reject) => {
    const register = () => navigator.serviceWorker.register('/sw.js').then(resolve, reject);
    if (document.readyState === 'complete') register();
    else window.addEventListener('load', register, { once: true });
  });
  watchShell(registered);
  // A new release took over: offer a reload instead of swapping the page
  // under a half-filled form.
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (hadController) shell.update.hidden = false;
  });
}

async function main() {
  takeCodeURL();
  setLang(getLang());
  buildShell();
  showInAppGuide();
  registerServiceWorker();
  await noteStart();
  await loadLocal();
  let wasLoggedIn = Boolean(app.session && !app.session.expired);
  onChange((what) => {
    if (what === 'session') {
      const now = Boolean(app.session && !app.session.expired);
      if (now && !wasLoggedIn) startOnce();
      wasLoggedIn = now;
      route();
    } else if (what === 'lang') {
      route();
    }
    drawStatus();
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('online', drawStatus);
  window.addEventListener('offline', drawStatus);
  await route();
  drawStatus();
  if (wasLoggedIn) startOnce();
}

let started = false;
function startOnce() {
  if (started) return;
  started = true;
  askPersist();
  startSyncing();
  checkWiped();
}

main();
