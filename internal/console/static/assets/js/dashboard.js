// The dashboard: units by status and type, the TNC distribution of
// available units (inline SVG charts drawn here), reservations expiring
// soon, open temperature excursions and recent events of the bank.

import { get, downloadButton } from './api.js';
import { h, svg, table, describe } from './ui.js';
import * as f from './format.js';
import { can } from './session.js';
import { statuses, unitTypes } from './units.js';

// barChart draws labelled horizontal bars; each bar links to href(key).
function barChart(title, entries, href) {
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const row = 22;
  const width = 300;
  const labelW = 130;
  return svg('svg', { class: 'chart', role: 'img', 'aria-label': `${title}: ${entries.map(([k, n]) => `${k} ${n}`).join(', ')}`,
    viewBox: `0 0 ${width + 40} ${entries.length * row + 4}`, width: '100%' },
  entries.map(([k, n, key], i) => {
    const w = Math.max(n ? 2 : 0, (n / max) * (width - labelW));
    // A full-width hit area, so the whole row is the link.
    const bar = [svg('rect', { x: 0, y: i * row, width: width + 40, height: row, fill: 'transparent' }), svg('text', { x: 0, y: i * row + 15 }, k),
      svg('rect', { class: 'bar', x: labelW, y: i * row + 4, width: w, height: row - 8, rx: 2 }),
      svg('text', { x: labelW + w + 4, y: i * row + 15 }, String(n))];
    return href ? svg('a', { href: href(key) }, bar) : svg('g', {}, bar);
  }));
}

// histogram draws the API's TNC bins (cells, logarithmic).
function histogram(title, bins) {
  if (!bins.some((b) => b.count)) return h('p', { class: 'muted' }, 'No available units.');
  const max = Math.max(...bins.map((b) => b.count || 0));
  const W = 320;
  const H = 120;
  const bw = W / bins.length;
  return svg('svg', { class: 'chart', role: 'img', viewBox: `0 0 ${W} ${H + 30}`, width: '100%',
    'aria-label': `${title}: ${bins.map((b) => `${f.cells(b.low)}–${f.cells(b.high)}: ${b.count || 0}`).join(', ')}` },
  bins.map((b, i) => svg('g', {},
    svg('rect', { class: 'bar', x: i * bw + 1, y: H - ((b.count || 0) / max) * H, width: bw - 2, height: ((b.count || 0) / max) * H }),
    i % 2 === 0 ? svg('text', { x: i * bw, y: H + 14 }, f.cells(b.low)) : null)),
  svg('text', { x: 0, y: H + 28 }, 'post-processing TNC (cells)'));
}

export async function dashboardView(root, { session }) {
  const bankName = `banks/${session.bank}`;
  root.append(h('h1', {}, `Dashboard: ${bankName}`));
  const cards = h('div', { class: 'cards' });
  root.append(cards);
  const card = (id, title) => {
    const [cid, extra] = id.split(' ');
    const c = h('section', { class: `card ${extra || ''}`, id: cid, 'aria-labelledby': `${cid}-h` }, h('h2', { id: `${cid}-h` }, title));
    cards.append(c);
    return c;
  };
  const byStatus = card('dash-status', 'Units by status');
  const byType = card('dash-type', 'Units by type');
  const tnc = card('dash-tnc', 'TNC of available units');
  const expiring = card('dash-expiring', 'Reservations expiring within 14 days');
  const excursions = card('dash-excursions', 'Open temperature excursions');
  const recent = card('dash-events wide', 'Events of the last hour');
  // Exports and reports (InterchangeService), as the API computes them for
  // this user.
  const downloads = card('dash-downloads wide', 'Downloads');
  const dl = (id, label, path, params, name) => h('li', {}, downloadButton(id, label, `${bankName}/${path}`, params, name, h, describe));
  const day = new Date().toISOString().slice(0, 10);
  downloads.append(h('ul', { class: 'downloads' },
    dl('dl-units-csv', 'All units (CSV)', 'units:export', { format: 'SPREADSHEET_FORMAT_CSV' }, `${session.bank}-units-${day}.csv`),
    dl('dl-units-xlsx', 'All units (XLSX)', 'units:export', { format: 'SPREADSHEET_FORMAT_XLSX' }, `${session.bank}-units-${day}.xlsx`),
    dl('dl-inventory', 'Inventory by status, type, ABO, year (CSV)', 'reports/inventory', {}, `${session.bank}-inventory-${day}.csv`),
    dl('dl-ageing', 'Units leaving the search window within 180 days (CSV)', 'reports/ageingUnits', {}, `${session.bank}-ageing-${day}.csv`),
    dl('dl-reservations', 'Open reservations (CSV)', 'reports/reservations', {}, `${session.bank}-reservations-${day}.csv`),
    dl('dl-excursions', 'Temperature excursions and exposed units (CSV)', 'reports/excursions', {}, `${session.bank}-excursions-${day}.csv`)));
  const fail = (el) => (err) => el.append(h('p', { class: 'muted' }, describe(err)));

  // One call counts the whole bank (SummarizeUnits), however large.
  const counting = get(`${bankName}/units:summarize`).then((sum) => {
    const n = (m, k, pfx) => (m || {})[pfx + k] || 0;
    byStatus.replaceChildren(byStatus.firstChild, h('p', { id: 'dash-total', dataset: { state: 'complete' } }, `${sum.total || 0} units`),
      barChart('Units by status', statuses.map((k) => [f.label(k), n(sum.byStatus, k, 'UNIT_STATUS_'), k]), (k) => `#/units?status=UNIT_STATUS_${k}`));
    byType.replaceChildren(byType.firstChild, barChart('Units by type', unitTypes.map((k) => [f.label(k), n(sum.byType, k, 'UNIT_TYPE_'), k]),
      (k) => `#/units?unitType=UNIT_TYPE_${k}`));
    tnc.replaceChildren(tnc.firstChild, histogram('TNC of available units', sum.availableTnc || []));
  }, fail(byStatus));

  const soon = Date.now() + 14 * 864e5;
  const reservations = get(`${bankName}/reservations`, { openOnly: true, pageSize: 1000 }).then((r) => {
    const list = (r.reservations || []).filter((x) => new Date(x.expireTime).getTime() < soon)
      .sort((a, b) => a.expireTime.localeCompare(b.expireTime));
    expiring.append(list.length ? table(null, ['Unit', 'Patient', 'Centre', 'Expires'], list.slice(0, 10).map((x) => {
      const unit = x.name.split('/reservations/')[0];
      return [h('a', { href: f.unitHash(unit), class: 'mono' }, f.din(unit)), x.patientId || '—', x.transplantCenter, f.time(x.expireTime)];
    })) : h('p', { class: 'muted' }, 'None.'));
  }, fail(expiring));
  const exc = get(`${bankName}/excursions`, { state: 'EXCURSION_STATE_OPEN', pageSize: 100 }).then((r) => {
    const list = r.excursions || [];
    excursions.append(list.length ? table(null, ['Container', 'Since', '#Highest °C', '#Units exposed'], list.map((x) => [
      x.container.split('/').pop(), f.time(x.startTime), f.number(x.highestCelsius), x.unitsExposed])) : h('p', { class: 'ok' }, 'None open.'));
  }, fail(excursions));
  const events = can(session, 'audit') ? get(`${bankName}/events`, { pageSize: 8, startTime: new Date(Date.now() - 36e5).toISOString() }).then((r) => {
    const list = r.events || [];
    recent.append(list.length ? table(null, ['When', 'What', 'Resource', 'Who'], list.map((e) => [f.time(e.time), e.method.split('/').pop(),
      e.resource.includes('/units/') ? h('a', { href: f.unitHash(e.resource.split('/reservations/')[0]), class: 'mono' }, f.din(e.resource.split('/reservations/')[0])) : e.resource, e.principal]))
      : h('p', { class: 'muted' }, 'None.'));
  }, fail(recent)) : null;
  await Promise.all([counting, reservations, exc, events]);
}
