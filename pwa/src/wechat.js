// Inside WeChat or DingTalk (told by the user agent) the app works, but the
// in-app browser may keep no service worker, offers no home-screen icon and
// clears its storage with the app's cache. A short guide, dismissible,
// shows how to open the page in the phone's browser; nothing is blocked.

import { t } from './i18n.js';
import { h } from './ui.js';
import { showNotice, dismissed } from './notices.js';

// inAppBrowser names the host app from a user agent: 'wechat', 'dingtalk' or ''.
export function inAppBrowser(ua = navigator.userAgent) {
  if (/MicroMessenger\//i.test(ua)) return 'wechat';
  if (/DingTalk\//i.test(ua)) return 'dingtalk';
  return '';
}

const NS = 'http://www.w3.org/2000/svg';

function s(name, attrs, ...children) {
  const el = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

// picture draws the host app's title bar with its ··· button ringed, and
// the menu it opens with "在浏览器打开" pointed at (attributes only, no
// inline style, so it passes the strict CSP).
function picture() {
  return s('svg', { viewBox: '0 0 280 150', role: 'img', 'aria-label': t('wechat.picture'), class: 'wechat-picture' },
    s('rect', { x: 1, y: 1, width: 278, height: 148, rx: 10, fill: '#fff', stroke: '#bbb' }),
    s('rect', { x: 1, y: 1, width: 278, height: 34, rx: 10, fill: '#ededed' }),
    s('text', { x: 14, y: 24, 'font-size': 16, fill: '#333' }, '×'),
    s('text', { x: 110, y: 23, 'font-size': 13, fill: '#333' }, '村洁'),
    s('circle', { cx: 250, cy: 18, r: 14, fill: 'none', stroke: '#e53935', 'stroke-width': 2.5 }),
    s('circle', { cx: 243, cy: 18, r: 2, fill: '#333' }),
    s('circle', { cx: 250, cy: 18, r: 2, fill: '#333' }),
    s('circle', { cx: 257, cy: 18, r: 2, fill: '#333' }),
    // The menu sheet at the bottom, its "open in browser" entry marked.
    s('rect', { x: 20, y: 70, width: 240, height: 70, rx: 8, fill: '#f7f7f7', stroke: '#ccc' }),
    s('rect', { x: 36, y: 80, width: 36, height: 36, rx: 8, fill: '#fff', stroke: '#ccc' }),
    s('rect', { x: 92, y: 80, width: 36, height: 36, rx: 8, fill: '#fff', stroke: '#ccc' }),
    s('rect', { x: 148, y: 80, width: 36, height: 36, rx: 8, fill: '#fff', stroke: '#e53935', 'stroke-width': 2.5 }),
    // A compass-like globe: the browser.
    s('circle', { cx: 166, cy: 98, r: 10, fill: 'none', stroke: '#1976d2', 'stroke-width': 2 }),
    s('path', { d: 'M156 98h20M166 88v20', stroke: '#1976d2', 'stroke-width': 1.5 }),
    s('text', { x: 166, y: 133, 'font-size': 10, fill: '#e53935', 'text-anchor': 'middle' }, t('wechat.menuItem')),
    // The arrow from the ··· button down to the entry.
    s('path', { d: 'M246 36 C236 60 200 62 182 78', fill: 'none', stroke: '#e53935', 'stroke-width': 2 }),
    s('path', { d: 'M182 78 l9 -2 -4 -7z', fill: '#e53935' }));
}

// showInAppGuide shows the guide inside WeChat or DingTalk, until dismissed.
export function showInAppGuide() {
  const host = inAppBrowser();
  document.documentElement.dataset.inApp = host || 'none';
  if (!host || dismissed('in-app')) return;
  showNotice('in-app', [h('b', t(`${host}.title`)), ' ', t(`${host}.steps`), picture()]);
}
