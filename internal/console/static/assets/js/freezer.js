// The freezer: the container tree, a box drawn as its grid (occupied,
// free and reserved positions), click-through to a unit, place and move
// by selecting positions, and finding free positions.

import { get, post, listAll } from './api.js';
import { h, field, table, confirmAction, notice, showError } from './ui.js';
import * as f from './format.js';
import { can } from './session.js';

const id = (name) => name.split('/').pop();

function tree(containers, selected) {
  const children = new Map();
  for (const c of containers) {
    const k = c.parent || '';
    if (!children.has(k)) children.set(k, []);
    children.get(k).push(c);
  }
  const branch = (parent) => {
    const list = children.get(parent) || [];
    if (!list.length) return null;
    return h('ul', {}, list.map((c) => h('li', {},
      h('button', { type: 'button', 'aria-current': id(c.name) === selected ? 'true' : null, onclick: () => { location.hash = `#/freezer/${id(c.name)}`; } },
        `${c.label || id(c.name)} `, h('small', { class: 'muted' }, f.label(c.kind, 'CONTAINER_KIND_'), c.parentPosition ? ` @${c.parentPosition}` : '')),
      branch(c.name))));
  };
  return h('nav', { class: 'tree', 'aria-label': 'Containers' }, branch('') || h('p', { class: 'muted' }, 'No containers.'));
}

const rowName = (r) => {
  let s = '';
  for (let n = r; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
};

// allContainers walks the tree: ListContainers lists one level (the top,
// or the children of "container").
async function allContainers(bankName) {
  const out = [];
  let level = [''];
  while (level.length && out.length < 5000) {
    const found = (await Promise.all(level.map((parent) => listAll(`${bankName}/containers`, { pageSize: 1000, container: parent }, 'containers')))).flat();
    out.push(...found);
    level = found.filter((c) => c.kind !== 'CONTAINER_KIND_BOX').map((c) => c.name);
  }
  return out;
}

export async function freezerView(root, { session, args }) {
  const bankName = `banks/${session.bank}`;
  const selected = args[0] || '';
  // The chosen box's map loads while the tree is walked (one call per
  // level), not after it.
  const box = selected ? Promise.all([
    get(`${bankName}/containers/${encodeURIComponent(selected)}:map`).catch((err) => ({ failed: err })),
    get(`${bankName}/reservations`, { openOnly: true, pageSize: 1000 }).catch(() => ({})),
  ]) : null;
  const containers = await allContainers(bankName);
  const side = h('div', {}, h('h2', {}, 'Containers'), tree(containers, selected));
  const detail = h('div', { id: 'freezer-detail' });
  root.append(h('h1', {}, `Freezer of ${bankName}`), h('div', { class: 'freezer' }, side, detail));
  const c = containers.find((x) => id(x.name) === selected);
  if (!c) { detail.append(h('p', { class: 'muted' }, selected ? `No container ${selected}.` : 'Choose a container.')); return; }
  const [map, res] = await box;
  if (map.failed) throw map.failed;
  const reserved = new Set((res.reservations || []).map((r) => r.name.split('/reservations/')[0]));
  const at = new Map((map.entries || []).map((e) => [e.position, e]));
  const layout = c.layout || {};
  const writer = can(session, 'place');
  const status = h('p', { id: 'freezer-status', 'aria-live': 'polite', class: 'muted' }, writer ? 'Choose a free position to place a unit, or a unit to move it.' : '');
  let moving = null; // the map entry being moved
  const reload = () => { root.replaceChildren(); freezerView(root, { session, args }); };

  const cell = (pos) => {
    const e = at.get(pos);
    let cls = 'pos';
    let text = `${pos}: free`;
    if (e && e.unit) { cls += reserved.has(e.unit) ? ' reserved' : ' occupied'; text = `${pos}: ${f.din(e.unit)}${reserved.has(e.unit) ? ' (reserved)' : ''}`; }
    else if (e && e.container) { cls += ' child'; text = `${pos}: container ${id(e.container)}`; }
    return h('button', { type: 'button', class: cls, 'aria-label': text, title: text, dataset: { pos }, onclick: () => choose(pos, e) }, pos);
  };

  async function choose(pos, e) {
    if (e && e.container) { location.hash = `#/freezer/${id(e.container)}`; return; }
    if (e && e.unit) {
      if (!writer) { location.hash = f.unitHash(e.unit); return; }
      moving = moving && moving.position === pos ? null : e;
      detail.querySelectorAll('.pos').forEach((b) => b.setAttribute('aria-pressed', b.dataset.pos === (moving && moving.position) ? 'true' : 'false'));
      status.replaceChildren(...(moving ? [`${f.din(e.unit)} at ${pos} selected: choose a free position to move it to, or `,
        h('a', { href: f.unitHash(e.unit) }, 'open the unit'), '.'] : ['Selection cleared.']));
      return;
    }
    if (!writer) return;
    if (moving) {
      const m = moving;
      const done = await confirmAction({ title: `Move ${f.din(m.unit)}`, confirm: 'Move',
        body: h('p', {}, `From ${id(c.name)} ${m.position} to ${id(c.name)} ${pos}.`),
        run: () => post(`${m.unit}:move`, { container: c.name, position: pos }) });
      if (done) { notice(`Moved ${f.din(m.unit)} to ${pos}.`); reload(); }
      return;
    }
    const dinInput = h('input', { type: 'text', name: 'name', autocomplete: 'off', spellcheck: 'false' });
    const done = await confirmAction({ title: `Place a unit at ${id(c.name)} ${pos}`, confirm: 'Place',
      body: [field('DIN', dinInput, { apiField: 'name', hint: 'As on the label; spaces and the check character are fine.' })],
      run: () => post(`${bankName}/units/${encodeURIComponent(dinInput.value.trim())}:place`, { container: c.name, position: pos }) });
    if (done) { notice(`Placed at ${pos}.`); reload(); }
  }

  detail.append(h('h2', {}, `${c.label || id(c.name)} `, h('small', { class: 'muted' }, `${f.label(c.kind, 'CONTAINER_KIND_')} · ${c.name}`)));
  if (layout.kind === 'LAYOUT_KIND_GRID' || layout.kind === 'LAYOUT_KIND_SLOTS') {
    const rows = layout.kind === 'LAYOUT_KIND_GRID' ? layout.rows : 1;
    const cols = layout.kind === 'LAYOUT_KIND_GRID' ? layout.columns : layout.slots;
    const grid = h('div', { class: 'box-grid', id: 'box-grid', role: 'group', 'aria-label': `Positions of ${c.label || id(c.name)}`,
      style: `grid-template-columns: 2em repeat(${cols}, minmax(0, 1fr))` });
    if (layout.kind === 'LAYOUT_KIND_GRID') {
      grid.append(h('span', { class: 'head' }), ...Array.from({ length: cols }, (_, i) => h('span', { class: 'head' }, String(i + 1))));
      for (let r = 1; r <= rows; r++) {
        grid.append(h('span', { class: 'head' }, rowName(r)));
        for (let k = 1; k <= cols; k++) grid.append(cell(`${rowName(r)}${k}`));
      }
    } else {
      grid.append(h('span', { class: 'head' }));
      for (let k = 1; k <= cols; k++) grid.append(cell(String(k)));
    }
    detail.append(h('div', { class: 'legend' }, h('span', { class: 'l-free' }, 'free'), h('span', { class: 'l-occupied' }, 'occupied'),
      h('span', { class: 'l-reserved' }, 'reserved unit'), h('span', { class: 'l-child' }, 'container')), grid, status);
  } else {
    detail.append(h('p', { class: 'muted' }, 'This container has no positions of its own.'));
  }
  // Arrow keys move the focus across the grid.
  detail.addEventListener('keydown', (e) => {
    const cells = [...detail.querySelectorAll('.pos')];
    const i = cells.indexOf(document.activeElement);
    if (i < 0) return;
    const cols = layout.kind === 'LAYOUT_KIND_GRID' ? layout.columns : cells.length;
    const j = { ArrowRight: i + 1, ArrowLeft: i - 1, ArrowDown: i + cols, ArrowUp: i - cols }[e.key];
    if (j === undefined || !cells[j]) return;
    e.preventDefault();
    cells[j].focus();
  });

  if (writer && occupied(map).length) detail.append(evacuation(c, map, containers));

  if (can(session, 'bankRead')) {
    const count = h('input', { type: 'number', name: 'count', min: '1', value: '5' });
    const out = h('div', { id: 'free-positions' });
    const form = h('form', { class: 'grid-form', novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      try {
        const r = await post(`${bankName}/containers:findFreePositions`, { within: c.name, count: Number(count.value) });
        out.replaceChildren(h('p', {}, (r.positions || []).map((p) => `${id(p.container)} ${p.position}`).join(', ') || 'No free position.'));
      } catch (err) { showError(form, err); }
    } }, field('How many', count, { apiField: 'count' }), h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'actions-row' }, h('button', { type: 'submit' }, 'Find free positions')));
    detail.append(h('h2', {}, 'Free positions'), form, out);
  }
}

// occupied lists the entries of a map that hold something (a map lists
// every position of a grid, empty ones included).
const occupied = (m) => (m.entries || []).filter((e) => e.unit || e.container);

const sameLayout = (a, b) => a.kind === b.kind && JSON.stringify(a.layout || {}) === JSON.stringify(b.layout || {});

// evacuation is the wizard that empties c into a backup of the same kind
// and layout: choose the target, see where everything goes (the API
// keeps every position), confirm.
function evacuation(c, map, containers) {
  const targets = containers.filter((x) => x.name !== c.name && sameLayout(x, c));
  const out = h('div', { id: 'evacuation' });
  const choice = h('select', { name: 'target' }, h('option', { value: '' }, 'choose a backup container'),
    targets.map((x) => h('option', { value: x.name }, `${x.label || id(x.name)} (${id(x.name)})`)));
  const form = h('form', { class: 'grid-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const target = choice.value;
    if (!target) { showError(form, { codeName: 'INVALID_ARGUMENT', message: 'choose the container to move everything into', violations: [{ field: 'target', description: 'required' }] }); return; }
    let targetMap;
    try { targetMap = await get(`${target}:map`); } catch (err) { showError(form, err); return; }
    const busy = occupied(targetMap).length;
    const moves = occupied(map).map((e) => [e.position, e.unit ? f.din(e.unit) : `container ${id(e.container)}`]);
    const done = await confirmAction({ title: `Evacuate ${c.label || id(c.name)}`, confirm: `Move ${moves.length} into ${id(target)}`, danger: true,
      body: [h('p', {}, `Everything in ${id(c.name)} moves to ${id(target)} in one change, each to the same position:`),
        busy ? h('p', { class: 'bad' }, `${id(target)} is not empty (${busy} positions used): the API will refuse.`) : null,
        h('div', { class: 'table-wrap', id: 'evacuation-plan' }, table(null, ['From', 'What', 'To'], moves.map(([pos, what]) => [`${id(c.name)} ${pos}`, what, `${id(target)} ${pos}`])))],
      run: () => post(`${c.name}:evacuate`, { target, etag: c.etag }) });
    if (done) {
      notice(`Evacuated: ${done.unitsMoved || 0} units and ${done.containersMoved || 0} containers moved to ${id(target)}.`);
      location.hash = `#/freezer/${id(target)}`;
    }
  } }, field('Move everything into', choice, { apiField: 'target' }), h('p', { class: 'form-error', role: 'alert' }),
  h('div', { class: 'actions-row' }, h('button', { type: 'submit' }, 'Plan the evacuation')));
  out.append(h('h2', {}, 'Evacuate'), targets.length ? form : h('p', { class: 'muted' }, 'No other container has the same kind and layout.'));
  return out;
}
