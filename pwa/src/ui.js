// DOM helpers. Everything is built with createElement and textContent:
// names typed by other people never become markup, and the CSP needs no
// inline handlers.

import { t } from './i18n.js';

// h('button.primary#save', {onclick, disabled}, 'text', child...) makes an
// element. Keys starting with "on" become listeners; "class", "dataset"
// and "style" are handled; the rest are properties or attributes.
export function h(spec, props, ...children) {
  const m = /^([a-z0-9-]+)?((?:[.#][\w-]+)*)$/i.exec(spec);
  const el = document.createElement((m && m[1]) || 'div');
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === '#') el.id = part.slice(1);
      else el.classList.add(part.slice(1));
    }
  }
  if (props && (typeof props !== 'object' || props instanceof Node || Array.isArray(props))) {
    children.unshift(props);
    props = null;
  }
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = `${el.className} ${v}`.trim();
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && k !== 'list' && k !== 'form') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

// add appends children to el, skipping null, undefined and false (which
// the DOM's own append would print as text) and flattening arrays.
export function add(el, ...children) {
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// ask shows a modal question with buttons [{label, value, primary}] and
// resolves with the chosen value (cancel: null).
export function ask(message, buttons) {
  return new Promise((resolve) => {
    const dlg = h('dialog.ask');
    const close = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    dlg.append(
      h('p', message),
      h('div.row', buttons.map((b) => h(b.primary ? 'button.primary' : 'button', { type: 'button', onclick: () => close(b.value) }, b.label))),
    );
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); close(null); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

export function confirmAsk(message, okLabel) {
  return ask(message, [
    { label: t('common.cancel'), value: false },
    { label: okLabel || t('common.ok'), value: true, primary: true },
  ]);
}

let toastTimer;
// toast shows a short message at the bottom for a few seconds.
export function toast(message) {
  let el = document.getElementById('toast');
  if (!el) {
    el = h('div#toast', { role: 'status' });
    document.body.append(el);
  }
  el.textContent = message;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 3500);
}

// savedToast says a record is saved, and what happens to it next: with a
// signal it is being sent (the text key + "Online"); only without one does
// it wait for the network ("联网后自动上传").
export function savedToast(key) {
  toast(t(navigator.onLine === false ? key : `${key}Online`));
}

// field wraps a control with its label and a place for its error.
export function field(label, control, hint) {
  return h('label.field', h('span.label', label), control, hint ? h('small.hint', hint) : null, h('small.err'));
}

export function setError(control, message) {
  const box = control.closest('.field');
  if (!box) return;
  box.classList.toggle('invalid', Boolean(message));
  box.querySelector('.err').textContent = message || '';
}

export function dot(color, outline) {
  const el = h('span.dot');
  el.style.background = color;
  if (outline) el.style.borderColor = outline;
  return el;
}
