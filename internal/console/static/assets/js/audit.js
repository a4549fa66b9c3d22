// The audit trail: a bank's events with the API's filters (resource,
// methods, time range), keyset paging, and chain verification.

import { get, post } from './api.js';
import { h, field, table, showError, clearErrors, describe } from './ui.js';
import * as f from './format.js';
import { can } from './session.js';

export async function auditView(root, { session, query }) {
  const parent = session.ownBank || !session.bank ? `banks/${session.ownBank || '-'}` : `banks/${session.bank}`;
  const input = (name, type = 'text') => h('input', { type, name, autocomplete: 'off', value: query.get(name) || '' });
  const form = h('form', { class: 'filters', id: 'audit-filters', novalidate: true },
    field('Resource', input('resource'), { apiField: 'resource', hint: 'e.g. banks/demo/units/W999926000001' }),
    field('Methods (comma-separated)', input('methods'), { apiField: 'methods', hint: 'e.g. /cordbank.v1.LifecycleService/ReleaseUnit' }),
    field('From', input('startTime', 'datetime-local'), { apiField: 'startTime' }),
    field('To', input('endTime', 'datetime-local'), { apiField: 'endTime' }),
    h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'actions-row' }, h('button', { type: 'submit', class: 'primary' }, 'Show events')));
  const results = h('div', { id: 'audit-results' });
  root.append(h('h1', {}, `Audit trail of ${parent}`), form, results);
  if (can(session, 'verify')) {
    const out = h('p', { id: 'verify-result', 'aria-live': 'polite' });
    root.append(h('h2', {}, 'Chain verification'), h('p', {}, h('button', { type: 'button', id: 'verify', onclick: async () => {
      out.textContent = 'Verifying…';
      try {
        const r = await post('auditTrail:verify', {});
        const problems = r.problems || [];
        out.className = problems.length ? 'bad' : 'ok';
        out.textContent = problems.length
          ? `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${r.eventsChecked} events: ${problems.map((p) => `#${p.seq} ${p.reason}`).join('; ')}`
          : `Chain intact: ${r.eventsChecked} events checked, head ${r.headHash}.`;
      } catch (err) { out.className = 'bad'; out.textContent = describe(err); }
    } }, 'Verify the audit chain')), out);
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form).entries()) if (v) q.set(k, v);
    location.hash = `#/audit?${q}`;
  });
  const params = { resource: query.get('resource') || undefined, pageSize: 50,
    methods: (query.get('methods') || '').split(',').map((s) => s.trim()).filter(Boolean) };
  for (const k of ['startTime', 'endTime']) if (query.get(k)) params[k] = new Date(query.get(k)).toISOString();
  const tokens = [''];
  let at = 0;
  async function show() {
    try {
      clearErrors(form);
      const page = await get(`${parent}/events`, { ...params, pageToken: tokens[at] });
      if (page.nextPageToken) tokens[at + 1] = page.nextPageToken;
      const events = page.events || [];
      results.replaceChildren(h('div', { class: 'pager' },
        h('button', { type: 'button', disabled: at === 0, onclick: () => { at--; show(); } }, '← Previous'),
        h('button', { type: 'button', disabled: !page.nextPageToken, onclick: () => { at++; show(); } }, 'Next →'),
        h('span', { class: 'muted', id: 'audit-info' }, `Page ${at + 1}: ${events.length} events`)),
      table(null, ['Position', 'When', 'Method', 'Resource', 'Who', 'Reason', 'Changes'], events.map((e) => [f.position(e), f.time(e.time),
        e.method.split('/').pop(), h('span', { class: 'mono' }, e.resource), e.principal, e.reason || '',
        (e.changes || []).filter((c) => c.field !== '*').map((c) => `${c.field}: ${c.before || '∅'} → ${c.after || '∅'}`).join('; ')])));
    } catch (err) {
      showError(form, err);
    }
  }
  await show();
}
