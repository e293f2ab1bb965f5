// Notices above the page: short, dismissible lines that say what the app
// cannot do in this browser and what to do about it. A notice dismissed
// stays dismissed on this phone (localStorage; if that is gone too, it
// shows again, which is harmless).

import { t } from './i18n.js';
import { h } from './ui.js';

let box = null;

// noticeBox is the element the shell puts under its header.
export function noticeBox() {
  if (!box) box = h('div.notices#notices');
  return box;
}

export function dismissed(id) {
  try { return localStorage.getItem(`cunjie.notice.${id}`) === '1'; } catch { return false; }
}

// showNotice adds notice id (once) with its content; the close button
// removes it and remembers that, unless remember is false.
export function showNotice(id, content, { remember = true } = {}) {
  if (document.getElementById(`notice-${id}`)) return null;
  const el = h(`section.notice#notice-${id}`, { role: 'note' },
    h('div.notice-body', content),
    h('button.notice-close', {
      type: 'button', 'aria-label': t('notice.close'),
      onclick: () => {
        el.remove();
        if (remember) { try { localStorage.setItem(`cunjie.notice.${id}`, '1'); } catch { /* shows again next time */ } }
      },
    }, t('notice.close')));
  noticeBox().append(el);
  return el;
}
