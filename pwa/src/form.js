// Forms generated from the schema table: one control per attribute, read
// back into the attrs object the API takes. Empty fields are left out, so
// the server fills its defaults or keeps what it has; a field the person
// emptied is sent as null, which clears it. Attributes the role may not
// set are not shown (names and money for a cleaner) or shown fixed (the
// settled fields of an accepted record): left out, the server keeps them.

import { attrsOf, allowedValues, editable, titleOf, INPUT_TYPES } from './schema.js';
import { t, valueLabel } from './i18n.js';
import { h, field, setError, toast } from './ui.js';
import { savePhoto, photoURL } from './photos.js';
import { viewable } from './viewer.js';
import { del } from './idb.js';
import { featuresIn } from './features.js';

// stageOption labels a stage offered for a record at stage cur: the
// current one says so, and one before it says it sets the record back
// (which only staff are offered, and which asks them why).
export function stageOption(values, v, cur) {
  const label = valueLabel('stage', v);
  if (!cur) return label;
  if (v === cur) return `${label}${t('form.stageCurrent')}`;
  return values.indexOf(v) < values.indexOf(cur) ? `${label}${t('form.stageBack')}` : label;
}

// linkControl offers the records of the village a link may name (a
// toilet's household, a new house's old one), by code and name; the
// stored value stays chosen until they are read from the phone's copy.
function linkControl(spec, value, village) {
  const sel = h('select', { id: `attr-${spec.name}`, name: spec.name },
    h('option', { value: '' }, t('common.unset')), value ? h('option', { value }, value) : null);
  sel.value = value || '';
  featuresIn(village).then((fs) => {
    const options = fs.filter((f) => f.kind === spec.link)
      .sort((a, b) => String(a.code || '~').localeCompare(String(b.code || '~')))
      .map((f) => h('option', { value: f.id }, [f.code, titleOf(f)].filter(Boolean).join(' ') || t(`kind.${f.kind}`)));
    const chosen = sel.value;
    sel.replaceChildren(h('option', { value: '' }, t('common.unset')), ...options);
    if (chosen && !options.some((o) => o.value === chosen)) sel.append(h('option', { value: chosen }, chosen));
    sel.value = chosen;
  });
  return sel;
}

// LINE is the most characters of text that one line of input holds.
const LINE = 100;

function control(spec, value, role, cur, village) {
  const id = `attr-${spec.name}`;
  const hint = spec.default !== undefined ? valueLabel(spec.name, spec.default) : '';
  if (spec.link) return linkControl(spec, value, village);
  switch (spec.type) {
    case 'int':
    case 'number':
      return h('input', {
        id, name: spec.name, type: 'number', step: spec.type === 'int' ? '1' : 'any',
        inputMode: spec.type === 'int' ? 'numeric' : 'decimal',
        value: value ?? '', placeholder: hint,
      });
    case 'enum': {
      const values = allowedValues(spec, role, cur);
      const sel = h('select', { id, name: spec.name },
        h('option', { value: '' }, hint ? `${t('common.unset')} (${hint})` : t('common.unset')),
        values.map((v) => h('option', { value: v },
          spec.name === 'stage' ? stageOption(spec.enum, v, cur && cur.stage) : valueLabel(spec.name, v))));
      // A value this role may not choose (a cleaner editing an accepted
      // household) is shown as it is, not silently changed.
      if (value && !values.includes(value)) sel.append(h('option', { value }, valueLabel(spec.name, value)));
      sel.value = value ?? '';
      return sel;
    }
    case 'bool': {
      const sel = h('select', { id, name: spec.name },
        h('option', { value: '' }, hint ? `${t('common.unset')} (${hint})` : t('common.unset')),
        h('option', { value: 'true' }, t('common.yes')),
        h('option', { value: 'false' }, t('common.no')));
      sel.value = value === true ? 'true' : value === false ? 'false' : '';
      return sel;
    }
    case 'date':
      return h('input', { id, name: spec.name, type: 'date', value: value ?? '' });
    default:
      // Long free text (a note) gets a box of two lines; names a line.
      if (spec.maxLen > LINE) return h('textarea', { id, name: spec.name, rows: 2, maxLength: spec.maxLen, value: value ?? '' });
      return h('input', { id, name: spec.name, type: INPUT_TYPES[spec.name] || 'text', maxLength: spec.maxLen, value: value ?? '', autocomplete: 'off' });
  }
}

// attrForm returns the form's element and read(), which gives the attrs
// or null after marking the fields that are wrong.
// cur is the stored feature's attrs when editing one; village is the one
// whose records a link may name.
export function attrForm(kind, attrs = {}, role = '', cur = undefined, village = '') {
  const specs = attrsOf(kind).filter((s) => !s.staffOnly || editable(kind, s, role, undefined));
  const controls = specs.map((s) => {
    const c = control(s, attrs[s.name], role, cur, village);
    if (!editable(kind, s, role, cur)) c.disabled = true;
    return [s, c];
  });
  // A field the record says nothing without (the server's "must") is
  // marked, and an empty one refused before saving, naming it.
  const label = (s, c) => (s.must && !c.disabled ? `${t(`attr.${s.name}`)} ${t('form.mustMark')}` : t(`attr.${s.name}`));
  const el = h('div.attrs', controls.map(([s, c]) => field(label(s, c), c)));

  function read() {
    const out = {};
    let ok = true;
    for (const [s, c] of controls) {
      if (c.disabled) continue;
      const raw = c.value.trim();
      let problem = '';
      if (raw === '' && s.must) {
        problem = t('form.required');
      } else if (raw === '' && attrs[s.name] !== undefined && attrs[s.name] !== null && attrs[s.name] !== '') {
        out[s.name] = null; // emptied by the person: clear it
      } else if (raw !== '') {
        if (s.type === 'int' || s.type === 'number') {
          const n = Number(raw);
          if (!Number.isFinite(n) || (s.type === 'int' && !Number.isInteger(n))) problem = t(s.type === 'int' ? 'form.int' : 'form.number');
          else if (s.min !== undefined && (n < s.min || (s.exclusiveMin && n === s.min))) problem = t(s.exclusiveMin ? 'form.minEx' : 'form.min', { v: s.min });
          else if (s.max !== undefined && n > s.max) problem = t('form.max', { v: s.max });
          else out[s.name] = n;
        } else if (s.type === 'bool') {
          out[s.name] = raw === 'true';
        } else if (s.type === 'string' && s.maxLen && [...raw].length > s.maxLen) {
          problem = t('form.tooLong', { n: s.maxLen });
        } else {
          out[s.name] = raw;
        }
      }
      setError(c, problem);
      if (problem) ok = false;
    }
    if (!ok) {
      toast(t('form.invalid'));
      el.querySelector('.invalid')?.scrollIntoView({ block: 'center' });
      return null;
    }
    return out;
  }
  // values are the fields as typed, unchecked (enabled ones only): what
  // the form would change, to know before saving whether it needs a reason.
  const values = () => Object.fromEntries(controls.filter(([, c]) => !c.disabled).map(([s, c]) => [s.name, c.value.trim()]));
  return { el, read, values };
}

// photoPicker takes photos with the camera (or the gallery), shrinks them
// and keeps them; ids() lists the ones kept. discardNew() removes photos
// taken in a form that was left without saving. A form with two pickers
// (a demolition's before and after) gives each its own id and title.
export function photoPicker(existing = [], { id: inputId = 'photo-input', title = t('photos.title') } = {}) {
  const ids = [...existing];
  const fresh = new Set();
  const thumbs = h('div.thumbs');
  const input = h('input.photo-input', { id: inputId, type: 'file', accept: 'image/*', capture: 'environment', multiple: true });
  input.setAttribute('capture', 'environment');
  const take = h('label.button.photo-take', { htmlFor: inputId }, t('photos.take'));

  async function addThumb(id) {
    const img = h('img', { alt: '' });
    viewable(img, () => ids, () => ids.indexOf(id));
    const box = h('div.thumb', img, h('button.remove', {
      type: 'button', 'aria-label': t('photos.remove'),
      onclick: async () => {
        ids.splice(ids.indexOf(id), 1);
        box.remove();
        if (fresh.has(id)) { fresh.delete(id); await del('photos', id); }
      },
    }, '×'));
    thumbs.append(box);
    img.src = await photoURL(id);
  }

  input.addEventListener('change', async () => {
    const files = [...input.files];
    input.value = '';
    for (const f of files) {
      try {
        const id = await savePhoto(f);
        ids.push(id);
        fresh.add(id);
        addThumb(id);
      } catch {
        toast(t('photos.failed'));
      }
    }
  });
  for (const id of existing) addThumb(id);
  const el = h('div.photos', title ? h('div.label', title) : null, thumbs, take, input);
  return {
    el,
    ids: () => [...ids],
    saved: () => fresh.clear(),
    discardNew: async () => { for (const id of fresh) await del('photos', id); },
  };
}
