// The units list (the API's filters, keyset paging) and the unit page
// (every field, HLA readings, location, custody, reservations, actions).

import { get, post, listAll, downloadButton } from './api.js';
import { h, field, select, table, dl, confirmAction, notice, describe, showError, clearErrors } from './ui.js';
import * as f from './format.js';
import { can } from './session.js';

export const statuses = ['QUARANTINE', 'AVAILABLE', 'TEMPORARILY_UNAVAILABLE', 'RESERVED', 'SHIPMENT_REQUESTED',
  'SHIPPED', 'INFUSED', 'DISCARDED', 'EXPIRED', 'WITHDRAWN'];
export const unitTypes = ['PUBLIC', 'AUTOLOGOUS', 'DIRECTED'];
const abos = ['A', 'B', 'AB', 'O'];

export const statusBadge = (st) => h('span', { class: `badge st-${f.short(st, 'UNIT_STATUS_')}` }, f.label(st, 'UNIT_STATUS_'));

const hlaSummary = (u) => (u.hla || []).map((l) => l.typing).join(' · ');

function checkboxes(legend, name, values, prefix, chosen) {
  return h('fieldset', { dataset: { field: name } }, h('legend', {}, legend),
    values.map((v) => h('label', {}, h('input', { type: 'checkbox', name, value: prefix + v, checked: chosen.includes(prefix + v) }), f.label(v))));
}

export async function unitsView(root, { session, query }) {
  const bankName = `banks/${session.bank}`;
  const chosen = (k) => query.getAll(k);
  const form = h('form', { class: 'filters', id: 'unit-filters', novalidate: true },
    checkboxes('Status', 'status', statuses, 'UNIT_STATUS_', chosen('status')),
    checkboxes('Type', 'unitType', unitTypes, 'UNIT_TYPE_', chosen('unitType')),
    checkboxes('ABO', 'abo', abos, 'ABO_', chosen('abo')),
    field('Collected from', h('input', { type: 'date', name: 'collectionDateFrom', value: query.get('collectionDateFrom') || '' }), { apiField: 'collectionDateFrom' }),
    field('Collected to', h('input', { type: 'date', name: 'collectionDateTo', value: query.get('collectionDateTo') || '' }), { apiField: 'collectionDateTo' }),
    field('Per page', select('pageSize', [['25', '25'], ['50', '50'], ['100', '100'], ['500', '500']], query.get('pageSize') || '50'), { apiField: 'pageSize' }),
    field('Go to DIN', h('input', { type: 'text', name: 'din', placeholder: 'W9999 26 000001', autocomplete: 'off' }), { apiField: 'name' }),
    h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'actions-row' }, h('button', { type: 'submit', class: 'primary' }, 'Apply filters'),
      h('a', { href: '#/units' }, 'Clear')));
  const results = h('div', { id: 'unit-results' });
  // The same filters as the list, as a file (InterchangeService.ExportUnits).
  const exportParams = {};
  for (const k of ['status', 'unitType', 'abo']) exportParams[k] = chosen(k);
  for (const k of ['collectionDateFrom', 'collectionDateTo']) exportParams[k] = query.get(k) || undefined;
  const exports = h('p', { class: 'actions-row', id: 'unit-exports' }, 'Download these units: ',
    downloadButton('export-csv', 'CSV', `${bankName}/units:export`, { ...exportParams, format: 'SPREADSHEET_FORMAT_CSV' }, `${session.bank}-units.csv`, h, describe),
    downloadButton('export-xlsx', 'XLSX', `${bankName}/units:export`, { ...exportParams, format: 'SPREADSHEET_FORMAT_XLSX' }, `${session.bank}-units.xlsx`, h, describe));
  root.append(h('h1', {}, `Units of ${bankName}`), form, exports, results);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const typed = String(fd.get('din') || '').trim();
    if (typed) {
      // The API reads a DIN as on the label (spaces, flags, check
      // character); the unit's own name says its canonical form.
      try {
        const u = await get(`${bankName}/units/${encodeURIComponent(typed)}`);
        location.hash = f.unitHash(u.name);
      } catch (err) {
        showError(form, err);
      }
      return;
    }
    const q = new URLSearchParams();
    for (const [k, v] of fd.entries()) if (v && k !== 'din') q.append(k, v);
    location.hash = `#/units?${q}`;
  });

  // Keyset paging: the page tokens seen so far, so Previous goes back.
  const tokens = [''];
  let at = 0;
  const params = { parent: undefined };
  for (const k of ['status', 'unitType', 'abo']) params[k] = chosen(k);
  for (const k of ['collectionDateFrom', 'collectionDateTo']) params[k] = query.get(k) || undefined;
  params.pageSize = query.get('pageSize') || 50;

  async function show() {
    results.setAttribute('aria-busy', 'true');
    try {
      clearErrors(form);
      const page = await get(`${bankName}/units`, { ...params, pageToken: tokens[at] });
      const units = page.units || [];
      if (page.nextPageToken) tokens[at + 1] = page.nextPageToken; else tokens.length = at + 1;
      const prev = h('button', { type: 'button', disabled: at === 0, onclick: () => { at--; show(); } }, '← Previous');
      const next = h('button', { type: 'button', id: 'next-page', disabled: !page.nextPageToken, onclick: () => { at++; show(); } }, 'Next →');
      results.replaceChildren(
        h('div', { class: 'pager' }, prev, next, h('span', { class: 'muted', id: 'page-info' }, `Page ${at + 1}: ${units.length} unit${units.length === 1 ? '' : 's'}`)),
        units.length ? table(null, ['DIN', 'Type', 'Status', 'ABO/Rh', 'Collected', '#TNC', '#CD34+', 'HLA'], units.map((u) => [
          h('a', { href: f.unitHash(u.name), class: 'mono' }, u.din),
          f.label(u.unitType, 'UNIT_TYPE_'), statusBadge(u.status),
          `${f.label(u.abo, 'ABO_')} ${u.rh === 'RH_NEGATIVE' ? '−' : u.rh === 'RH_POSITIVE' ? '+' : ''}`,
          f.date(u.collectionDate), f.cells(u.cells?.postProcessingTnc), f.cells(u.cells?.postProcessingCd34),
          h('span', { class: 'mono' }, hlaSummary(u))])) : h('p', {}, 'No unit matches these filters.'));
      results.querySelector('a')?.setAttribute('data-first', '');
    } catch (err) {
      showError(form, err);
      results.replaceChildren();
    } finally {
      results.removeAttribute('aria-busy');
    }
  }
  await show();
}

// Lifecycle actions by the status they start from (the API decides; a
// refused one answers FAILED_PRECONDITION, shown in the dialog).
const lifecycle = [
  { verb: 'release', label: 'Release from quarantine', from: ['QUARANTINE'], fields: ['reason', 'note'] },
  { verb: 'makeUnavailable', label: 'Make temporarily unavailable', from: ['AVAILABLE'], fields: ['reason', 'until', 'note'] },
  { verb: 'makeAvailable', label: 'Make available', from: ['TEMPORARILY_UNAVAILABLE'], fields: ['reason', 'note'] },
  { verb: 'ship', label: 'Record shipment', from: ['SHIPMENT_REQUESTED'], fields: ['note'] },
  { verb: 'recordInfusion', label: 'Record infusion', from: ['SHIPPED'], fields: ['note'] },
  { verb: 'expire', label: 'Expire', from: ['QUARANTINE', 'AVAILABLE', 'TEMPORARILY_UNAVAILABLE'], fields: ['note'], danger: true },
  { verb: 'discard', label: 'Discard', from: ['QUARANTINE', 'AVAILABLE', 'TEMPORARILY_UNAVAILABLE'], fields: ['reason', 'note'], danger: true },
  { verb: 'withdraw', label: 'Withdraw', from: ['QUARANTINE', 'AVAILABLE', 'TEMPORARILY_UNAVAILABLE'], fields: ['reason', 'note'], danger: true, manager: true },
  { verb: 'transfer', label: 'Transfer to another bank', from: ['AVAILABLE', 'RESERVED'], fields: ['distributingBank'], manager: true },
];

const fieldLabels = {
  reason: ['Reason code', 'text', 'An EMDIS reason code, e.g. AD, CD, MR'],
  note: ['Note', 'text', ''],
  until: ['Unavailable until', 'date', ''],
  distributingBank: ['Distributing bank', 'text', 'banks/{bank}'],
  patientId: ['Patient id', 'text', ''],
  expireTime: ['Hold until', 'date', ''],
};

export function dialogFields(names, values = {}) {
  return names.map((n) => {
    const [labelText, type, hint] = fieldLabels[n];
    return field(labelText, h('input', { type, name: n, value: values[n] || '', autocomplete: 'off' }), { apiField: n, hint: hint || undefined });
  });
}

// formBody reads the named fields of form, leaving out empty ones.
export function formBody(form, names) {
  const body = {};
  for (const n of names) {
    const v = form.elements[n]?.value?.trim();
    if (!v) continue;
    body[n] = n === 'expireTime' ? new Date(`${v}T23:59:59`).toISOString() : v;
  }
  return body;
}

export const inDays = (d) => new Date(Date.now() + d * 864e5).toISOString().slice(0, 10);

// reserveDialog reserves unit (a name) and resolves to the reservation.
export function reserveDialog(unitName, etag) {
  return confirmAction({
    title: `Reserve ${f.din(unitName)}`,
    body: [h('p', {}, 'The unit is held for your patient until the date below and leaves every other search at once.'),
      ...dialogFields(['patientId', 'expireTime'], { expireTime: inDays(14) })],
    confirm: 'Reserve',
    run: (form) => post(`${unitName}:reserve`, { ...formBody(form, ['patientId', 'expireTime']), ...(etag ? { etag } : {}) }),
  });
}

function hlaTable(rows) {
  return table(null, ['Locus', 'Typing (as recorded)', 'Canonical', 'P group', 'lgx', 'Serology', 'Flags'], rows.map((l) => [
    l.locus, h('span', { class: 'mono' }, l.typing), h('span', { class: 'mono' }, l.canonical || '—'),
    h('span', { class: 'mono' }, l.pGroup || '—'), h('span', { class: 'mono' }, l.lgx || '—'), l.serology || '—',
    (l.flags || []).map((x) => h('span', { class: 'badge' }, x))]));
}

function unitFields(u) {
  const c = u.cells || {};
  return dl([
    ['DIN', h('span', { class: 'mono' }, `${u.din} ${u.dinCheckCharacter || ''}`)],
    ['Local id', u.localId], ['Type', f.label(u.unitType, 'UNIT_TYPE_')], ['Status', statusBadge(u.status)],
    ['EMDIS status', [u.emdisStatus, u.emdisReason].filter(Boolean).join(' / ')],
    ['Status reason', u.statusReason], ['Status until', f.date(u.statusEndDate)], ['Status note', u.statusNote],
    ['Status since', f.time(u.statusTime)], ['Distributing bank', u.distributingBank],
    ['Collected', f.date(u.collectionDate)], ['Processed', f.date(u.processingDate)], ['Frozen', f.date(u.freezeDate)],
    ['Processing method', f.label(u.processingMethod, 'PROCESSING_METHOD_')], ['Reduction', f.label(u.reduction, 'REDUCTION_')],
    ['Infant born', f.date(u.infantBirthDate)], ['Infant sex', f.label(u.infantSex, 'SEX_')],
    ['ABO / Rh', `${f.label(u.abo, 'ABO_')} ${f.label(u.rh, 'RH_')}`], ['Ethnicity', u.ethnicity],
    ['Collection volume', u.collectionVolumeMl ? `${f.number(u.collectionVolumeMl)} mL` : ''],
    ['Frozen volume', u.frozenVolumeMl ? `${f.number(u.frozenVolumeMl)} mL` : ''],
    ['TNC pre-processing', f.cells(c.preProcessingTnc)], ['TNC post-processing', f.cells(c.postProcessingTnc)],
    ['CD34+ pre-processing', f.cells(c.preProcessingCd34)], ['CD34+ post-processing', f.cells(c.postProcessingCd34)],
    ['Viability', c.viabilityPercent !== undefined ? `${f.number(c.viabilityPercent)} %` : ''], ['CFU', f.cells(c.cfu)],
    ['Nucleated RBC', f.cells(c.nucleatedRbc)],
    ['Bags × compartments', u.bags ? `${u.bags} × ${u.compartmentsPerBag || 1}` : ''], ['Attached segments', u.attachedSegments],
    ['IDM', f.label(u.idm, 'IDM_RESULT_')], ['IDM tested', f.date(u.idmTestDate)],
    ['Registered', f.time(u.createTime)], ['Last changed', f.time(u.updateTime)],
  ]);
}

function timeline(events) {
  if (!events.length) return h('p', { class: 'muted' }, 'No events.');
  return h('ol', { class: 'timeline', id: 'custody' }, events.map((e) => h('li', {},
    h('div', { class: 'when' }, `${f.time(e.time)} · ${f.position(e)} · ${e.principal}`),
    h('div', {}, h('strong', {}, e.method.split('/').pop()), e.reason ? ` — ${e.reason}` : ''),
    e.changes?.length ? changes(e.changes) : null)));
}

// changes lists an event's field changes; a whole record (field "*", at
// registration) folds away, as it is long.
function changes(list) {
  const short = list.filter((c) => c.field !== '*');
  const whole = list.find((c) => c.field === '*');
  return h('div', { class: 'changes' },
    short.map((c) => `${c.field}: ${c.before || '∅'} → ${c.after || '∅'}`).join('; '),
    whole ? h('details', {}, h('summary', {}, 'Recorded values'), h('pre', { class: 'mono wrap' }, whole.after)) : null);
}

export async function unitView(root, { session, args }) {
  const [bankId, din] = args;
  const name = `banks/${bankId}/units/${din}`;
  const u = await get(name);
  const ownBank = session.role === 'admin' || session.ownBank === bankId;
  const status = f.short(u.status, 'UNIT_STATUS_');
  root.append(h('p', {}, h('a', { href: '#/units' }, '← Units')),
    h('h1', {}, 'Unit ', h('span', { class: 'mono', id: 'unit-din' }, u.din), ' ', statusBadge(u.status)));

  const actions = h('div', { class: 'actions-row', id: 'unit-actions' });
  const act = (label, run, danger) => h('button', { type: 'button', class: danger ? 'danger' : null, onclick: run }, label);
  const reload = () => { root.replaceChildren(); unitView(root, { session, args }); };
  if (ownBank && can(session, 'lifecycle')) {
    for (const a of lifecycle) {
      if (!a.from.includes(status) || (a.manager && !can(session, 'manage'))) continue;
      actions.append(act(a.label, async () => {
        const done = await confirmAction({
          title: `${a.label}: ${u.din}`, danger: a.danger, confirm: a.label,
          body: [h('p', {}, `This changes the unit's status and is recorded in its audit trail.`), ...dialogFields(a.fields)],
          run: (form) => post(`${name}:${a.verb}`, { ...formBody(form, a.fields), etag: u.etag }),
        });
        if (done) { notice(`${a.label}: done.`); reload(); }
      }, a.danger));
    }
  }
  if (can(session, 'reserve') && status === 'AVAILABLE' && (ownBank || session.role === 'coordinator')) {
    actions.append(act('Reserve', async () => {
      const r = await reserveDialog(name, u.etag);
      if (r) { notice(`Reserved: ${r.name}`); reload(); }
    }));
  }
  if (actions.childElementCount) root.append(h('section', { class: 'panel', 'aria-labelledby': 'h-actions' }, h('h2', { id: 'h-actions' }, 'Actions'), actions));

  const main = h('div', {});
  const side = h('div', {});
  root.append(h('div', { class: 'cols' }, main, side));
  main.append(h('section', { class: 'panel', 'aria-labelledby': 'h-fields' }, h('h2', { id: 'h-fields' }, 'Record'), unitFields(u)));
  main.append(h('section', { class: 'panel', 'aria-labelledby': 'h-hla', id: 'hla' }, h('h2', { id: 'h-hla' }, 'HLA typing'),
    h('p', { class: 'muted' }, `Read against IPD-IMGT/HLA ${u.hlaRelease || '(no release loaded)'}`), hlaTable(u.hla || [])));
  if (u.private) {
    const p = u.private;
    main.append(h('section', { class: 'panel', 'aria-labelledby': 'h-private' }, h('h2', { id: 'h-private' }, 'Private (bank only)'),
      dl([['Maternal id', p.maternalId], ['Family id', p.familyId], ['Directed recipient', p.directedRecipient], ['Notes', p.notes]]),
      p.maternalHla?.length ? hlaTable(p.maternalHla) : null));
  }

  // Location, custody and reservations: each its own read, shown as it
  // arrives; a role that may not read one does not ask.
  const sections = [];
  if (ownBank && can(session, 'bankRead')) {
    const loc = h('section', { class: 'panel', 'aria-labelledby': 'h-loc', id: 'location' }, h('h2', { id: 'h-loc' }, 'Location'));
    side.append(loc);
    sections.push(get(`${name}/location`).then((l) => {
      if (!l.container) { loc.append(h('p', { class: 'muted', id: 'unit-position' }, 'Not placed in a freezer.')); return; }
      loc.append(dl([['Container', h('a', { href: `#/freezer/${f.din(l.container)}` }, l.container.split('/').pop())], ['Position', h('strong', { id: 'unit-position' }, l.position)],
        ['Path', (l.path || []).map((p) => p.split('/').pop()).join(' › ')]]));
    }, (err) => loc.append(h('p', { class: 'muted', id: 'unit-position' }, err.code === 5 ? 'Not placed in a freezer.' : describe(err)))));
  }
  const resv = h('section', { class: 'panel', 'aria-labelledby': 'h-res', id: 'reservations' }, h('h2', { id: 'h-res' }, 'Reservations'));
  side.append(resv);
  sections.push(get(`banks/${bankId}/reservations`, { unit: name, pageSize: 100 }).then((r) => {
    const list = r.reservations || [];
    if (!list.length) { resv.append(h('p', { class: 'muted' }, 'None.')); return; }
    resv.append(table(null, ['Patient', 'Centre', 'Status', 'Until', ''], list.map((x) => [x.patientId || '—', x.transplantCenter,
      f.label(x.status, 'RESERVATION_STATUS_'), f.time(x.expireTime),
      x.status === 'RESERVATION_STATUS_ACTIVE' && can(session, 'reserve') ? h('button', { type: 'button', onclick: async () => {
        const done = await confirmAction({ title: 'Release the reservation', danger: true, confirm: 'Release', body: dialogFields(['reason']),
          run: (form) => post(`${x.name}:release`, { ...formBody(form, ['reason']), etag: x.etag }) });
        if (done) reload();
      } }, 'Release') : '' ])));
  }, (err) => resv.append(h('p', { class: 'muted' }, describe(err)))));
  if (ownBank && can(session, 'audit')) {
    const cust = h('section', { class: 'panel', 'aria-labelledby': 'h-cust' }, h('h2', { id: 'h-cust' }, 'Chain of custody'));
    main.append(cust);
    sections.push(listAll(`${name}/history`, { pageSize: 200 }, 'events', 1000).then((ev) => cust.append(timeline(ev)),
      (err) => cust.append(h('p', { class: 'muted' }, describe(err)))));
  }
  await Promise.all(sections);
}
