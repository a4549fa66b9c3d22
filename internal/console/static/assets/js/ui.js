// DOM helpers: element building, labelled form fields, API errors shown
// next to their fields, confirmation dialogs and notices.

let uid = 0;

// h builds an element: h('a', {href: '#/'}, 'text', child...). Attributes
// starting with "on" add listeners; false, null and undefined children
// are skipped; text is never parsed as HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElementNS(
    tag === 'svg' || attrs.svg ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml', tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'svg' || v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') el.style.cssText = v; // CSSOM: allowed by the page's CSP, a style attribute is not
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// svg builds an SVG element (h for the SVG namespace).
export const svg = (tag, attrs = {}, ...children) => h(tag, { ...attrs, svg: true }, ...children);

// field wraps a control with its label; apiField names the request field
// the API reports violations on (camelCase, as in the JSON body).
export function field(labelText, control, { apiField, wide, hint } = {}) {
  if (!control.id) control.id = `f${++uid}`;
  if (apiField) control.dataset.field = apiField;
  const isCheck = control.type === 'checkbox';
  const lab = h('label', { for: control.id }, labelText);
  const parts = isCheck ? [control, lab] : [lab, control];
  if (hint) {
    const hid = `${control.id}-hint`;
    control.setAttribute('aria-describedby', hid);
    parts.push(h('small', { id: hid, class: 'muted' }, hint));
  }
  return h('div', { class: `field${wide ? ' wide' : ''}${isCheck ? ' check' : ''}` }, parts);
}

export function select(name, options, value) {
  return h('select', { name }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}

// camel turns "patient.gl_string" into "patient.glString", the JSON
// spelling the console's fields carry.
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

// fieldFor finds the control a violation's field path names: the exact
// path, then shorter prefixes ("hla[2].typing" → "hla").
function fieldFor(form, path) {
  let p = camel(path);
  while (p) {
    const el = form.querySelector(`[data-field="${CSS.escape(p)}"]`);
    if (el) return el;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut > 0 ? p.slice(0, cut) : '';
  }
  return null;
}

export function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => {
    e.removeAttribute('aria-invalid');
    const ids = (e.getAttribute('aria-describedby') || '').split(' ').filter((i) => !i.endsWith('-err'));
    if (ids.length) e.setAttribute('aria-describedby', ids.join(' ')); else e.removeAttribute('aria-describedby');
  });
  const top = form.querySelector('.form-error');
  if (top) top.textContent = '';
}

// describe is an API error as one line: its code, message and reason.
export function describe(err) {
  if (!err || !err.codeName) return String(err && err.message ? err.message : err);
  return `${err.codeName}: ${err.message}${err.reason ? ` (${err.reason})` : ''}`;
}

// showError shows err in form: each field violation after its field (the
// control marked invalid and described by it), the rest in the form's
// .form-error region. The first bad field gets the focus.
export function showError(form, err) {
  clearErrors(form);
  let top = form.querySelector('.form-error');
  if (!top) {
    top = h('p', { class: 'form-error', role: 'alert' });
    form.append(top);
  }
  const loose = [];
  let first = null;
  for (const v of err.violations || []) {
    const el = fieldFor(form, v.field || '');
    if (!el) { loose.push(`${v.field}: ${v.description}`); continue; }
    const id = `${el.id}-err`;
    let msg = document.getElementById(id);
    if (!msg) {
      msg = h('p', { class: 'field-error', id, dataset: { for: el.dataset.field } });
      el.closest('.field, fieldset')?.append(msg) || el.after(msg);
    }
    msg.textContent = msg.textContent ? `${msg.textContent}; ${v.description}` : v.description;
    el.setAttribute('aria-invalid', 'true');
    el.setAttribute('aria-describedby', [el.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
    first = first || el;
  }
  top.textContent = [describe(err), ...loose].join('\n');
  (first || top).focus?.();
}

// notice shows a short message (text or nodes) for a few seconds.
export function notice(...content) {
  const box = document.getElementById('toast');
  const item = h('div', {}, ...content);
  box.append(item);
  setTimeout(() => item.remove(), 8000);
}

// confirmAction opens the confirmation dialog with title, body (nodes, may
// hold form fields) and a confirm label; run(form) performs the action
// and may throw an ApiError, shown in the dialog. It resolves to run's
// result, or undefined when the user cancels.
export function confirmAction({ title, body = [], confirm = 'Confirm', danger = false, run }) {
  const dlg = document.getElementById('dialog');
  const form = document.getElementById('dialog-form');
  const ok = document.getElementById('dialog-ok');
  document.getElementById('dialog-title').textContent = title;
  const bodyEl = document.getElementById('dialog-body');
  bodyEl.replaceChildren(...[body].flat());
  ok.textContent = confirm;
  ok.className = danger ? 'danger' : 'primary';
  clearErrors(form);
  return new Promise((resolve) => {
    const done = (v) => {
      form.removeEventListener('submit', onSubmit);
      cancel.removeEventListener('click', onCancel);
      dlg.removeEventListener('cancel', onCancel);
      if (dlg.open) dlg.close();
      resolve(v);
    };
    const onSubmit = async (e) => {
      e.preventDefault();
      ok.disabled = true;
      try {
        done(await run(form));
      } catch (err) {
        showError(form, err);
      } finally {
        ok.disabled = false;
      }
    };
    const onCancel = (e) => { e.preventDefault(); done(undefined); };
    const cancel = document.getElementById('dialog-cancel');
    form.addEventListener('submit', onSubmit);
    cancel.addEventListener('click', onCancel);
    dlg.addEventListener('cancel', onCancel);
    dlg.showModal();
    (bodyEl.querySelector('input, select, textarea') || ok).focus();
  });
}

// table builds a table from column headings and rows of cells; a heading
// starting with "#" is numeric (right-aligned).
export function table(caption, headings, rows) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    caption ? h('caption', { class: 'muted' }, caption) : null,
    h('thead', {}, h('tr', {}, headings.map((t) => h('th', { scope: 'col', class: t.startsWith('#') ? 'num' : null }, t.replace(/^#/, ''))))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => h('td', { class: headings[i].startsWith('#') ? 'num' : null }, c)))))));
}

// loading replaces el's content with a busy message while promise runs,
// and with the error if it fails.
export async function loading(el, promise) {
  el.setAttribute('aria-busy', 'true');
  try {
    return await promise;
  } catch (err) {
    el.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, describe(err)));
    throw err;
  } finally {
    el.removeAttribute('aria-busy');
  }
}

export const dl = (pairs) => h('dl', { class: 'fields' },
  pairs.filter(Boolean).map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v === undefined || v === null || v === '' ? '—' : v))));
