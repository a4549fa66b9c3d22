// The console's shell: sign-in, the role's navigation and the router
// (#/page/args?query), which renders one view into <main>.

import { h, field, showError, describe, notice } from './ui.js';
import * as session from './session.js';
import { token } from './api.js';
import { dashboardView } from './dashboard.js';
import { unitsView, unitView } from './units.js';
import { searchView } from './search.js';
import { freezerView } from './freezer.js';
import { auditView } from './audit.js';

const pages = [
  { id: 'dashboard', label: 'Dashboard', view: dashboardView },
  { id: 'units', label: 'Units', view: unitsView },
  { id: 'freezer', label: 'Freezer', view: freezerView },
  { id: 'search', label: 'Search', view: searchView },
  { id: 'audit', label: 'Audit', view: auditView },
];

const main = document.getElementById('main');

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, q = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || '', args: parts.slice(1), query: new URLSearchParams(q) };
}

function renderNav(s, current) {
  const nav = document.getElementById('nav');
  nav.replaceChildren(...pages.filter((p) => session.can(s, p.id)).map((p) =>
    h('a', { href: `#/${p.id}`, 'aria-current': p.id === current ? 'page' : null, dataset: { page: p.id } }, p.label)));
  const who = document.getElementById('who');
  who.replaceChildren();
  if (!s) return;
  who.append(h('span', { id: 'role' }, s.role, s.ownBank ? ` · banks/${s.ownBank}` : ''));
  if (session.can(s, 'chooseBank') && s.banks.length) {
    const sel = h('select', { id: 'bank-choice', onchange: () => { s.bank = sel.value; session.save(s); route(); } },
      s.banks.map((b) => h('option', { value: b.id, selected: b.id === s.bank }, b.id)));
    who.append(h('label', { for: 'bank-choice', class: 'muted' }, 'Bank'), sel);
  }
  who.append(h('button', { type: 'button', id: 'sign-out', onclick: () => { session.signOut(); if (location.hash && location.hash !== '#/') location.hash = '#/'; else route(); } }, 'Sign out'));
}

function signInView() {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
  const form = h('form', { class: 'signin', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const secret = input.value.trim();
    if (!secret) { showError(form, { codeName: 'INVALID_ARGUMENT', message: 'paste your API token', violations: [{ field: 'token', description: 'required' }] }); return; }
    form.querySelector('button').disabled = true;
    try {
      await session.discover(secret);
      if (location.hash && location.hash !== '#/') location.hash = '#/'; // the hashchange routes
      else route();
    } catch (err) {
      showError(form, err);
    } finally {
      form.querySelector('button').disabled = false;
    }
  } },
  h('h1', {}, 'Sign in'),
  h('p', {}, 'Paste your cordbank API token. The console keeps it in this browser tab only, and sends it with every call to the API; closing the tab forgets it.'),
  field('API token', input, { apiField: 'token', hint: '`cordbank token create` prints one; `make run` prints one per role.' }),
  h('p', { class: 'form-error', role: 'alert' }),
  h('div', { class: 'actions-row' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  main.replaceChildren(form);
  input.focus();
}

let renderSeq = 0;

// route renders the page the hash names; body[data-ready] then holds the
// hash it rendered (tests wait for it instead of sleeping).
// A slower earlier route that finishes later does not claim to be ready.
let routeSeq = 0;

export async function route() {
  const hash = location.hash || '#/';
  const seq = ++routeSeq;
  await render();
  if (seq === routeSeq) document.body.dataset.ready = hash;
}

async function render() {
  const s = session.load();
  const { page, args, query } = parseHash();
  if (!s || !token.get()) {
    renderNav(null, '');
    signInView();
    return;
  }
  const allowed = pages.filter((p) => session.can(s, p.id));
  let target = page === 'unit' ? { id: 'units', view: unitView } : allowed.find((p) => p.id === page);
  if (!target) {
    if (page && pages.some((p) => p.id === page)) {
      renderNav(s, '');
      main.replaceChildren(h('h1', {}, 'Not available'), h('p', { role: 'alert' }, `Your role (${s.role}) does not use this page.`));
      return;
    }
    target = allowed[0];
    if (!target) { main.replaceChildren(h('p', {}, 'Your role has no pages in this console.')); return; }
  }
  renderNav(s, target.id);
  const seq = ++renderSeq;
  const root = h('div', { id: `view-${page === 'unit' ? 'unit' : target.id}` });
  main.replaceChildren(root);
  try {
    await target.view(root, { session: s, args, query, current: () => seq === renderSeq });
  } catch (err) {
    if (seq === renderSeq && !root.querySelector('.form-error')) root.append(h('p', { class: 'form-error', role: 'alert' }, describe(err)));
  }
}

window.addEventListener('hashchange', route);
route();

// A failure no view caught is shown, not lost in the developer console.
window.addEventListener('unhandledrejection', (e) => { notice(`Error: ${describe(e.reason)}`); });
window.addEventListener('error', (e) => { notice(`Error: ${e.message}`); });
