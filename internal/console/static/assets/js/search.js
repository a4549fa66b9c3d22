// Search for coordinators: the patient's typing (a GL String or one
// typing per locus), weight, disease class, criterion and policy; the
// results with per-locus grades, mismatch direction, dose per kg and the
// API's explanation; reserve from a result; double-unit search.

import { post } from './api.js';
import { h, field, select, table, showError, clearErrors, notice } from './ui.js';
import * as f from './format.js';
import { reserveDialog } from './units.js';

const loci = ['A', 'B', 'C', 'DRB1', 'DQB1'];
const directions = { MISMATCH_DIRECTION_GVH_ONLY: 'GvH only', MISMATCH_DIRECTION_HVG_ONLY: 'HvG only', MISMATCH_DIRECTION_BIDIRECTIONAL: 'both ways' };

function num(form, name) {
  const v = form.elements[name].value.trim();
  return v === '' ? undefined : Number(v);
}

// request builds a SearchUnitsRequest from the form, sending what the
// user typed as typed (the API validates and names bad fields).
function request(form) {
  const el = form.elements;
  const patient = {};
  const gl = el.glString.value.trim();
  if (gl) patient.glString = gl;
  const hla = loci.map((l) => ({ locus: l, typing: el[`locus-${l}`].value.trim() })).filter((l) => l.typing);
  if (hla.length) patient.hla = hla;
  if (el.abo.value) patient.abo = el.abo.value;
  const req = { patient, weightKg: num(form, 'weightKg') ?? 0, disease: el.disease.value, pageSize: num(form, 'pageSize') ?? 20 };
  if (el.criterion.value) req.criterion = el.criterion.value;
  if (num(form, 'maxMismatches') !== undefined) req.maxMismatches = num(form, 'maxMismatches');
  const antibodies = el.antibodies.value.split(/[\n,;]+/).map((s) => s.trim()).filter(Boolean).map((s) => {
    const [specificity, mfi] = s.split(/[:=\s]+/);
    return { specificity, mfi: Number(mfi) };
  });
  if (antibodies.length) req.antibodies = antibodies;
  const policy = {};
  if (num(form, 'minTncPerKg') !== undefined) policy.minTncPerKg = num(form, 'minTncPerKg') * 1e7;
  if (el.alleleLevel.value) policy.alleleLevel = el.alleleLevel.value;
  for (const k of ['excludeDsa', 'requireAccredited', 'requireAttachedSegment', 'requireRbcDepleted']) if (el[k].checked) policy[k] = true;
  if (Object.keys(policy).length) req.policy = policy;
  if (el.matchProbabilities.checked) req.matchProbabilities = true;
  return req;
}

function locusCell(grade, locus) {
  const l = (grade.loci || []).find((x) => x.locus === locus);
  if (!l) return '—';
  if (!l.unitTyped) return h('span', { class: 'muted', title: 'not typed in the unit' }, 'untyped');
  const dir = directions[l.direction];
  // The level and the notes are in the tooltip: the table must fit.
  const title = [l.level && `graded at ${l.level} level`, ...(l.notes || [])].filter(Boolean).join('; ');
  return h('span', { title: title || null, class: l.matches === 2 ? 'ok' : l.counted ? 'bad' : null },
    `${l.matches ?? 0}/2`, dir ? h('br') : null, dir ? h('small', {}, dir) : null);
}

function matchRow(m, { reserve = true } = {}) {
  const g = m.grade || {};
  return [
    m.rank ?? '—',
    h('a', { href: f.unitHash(m.unit), class: 'mono' }, f.din(m.unit)),
    m.bank?.split('/').pop() || f.bankOf(m.unit),
    h('strong', {}, `${g.total ?? 0}/${g.outOf ?? 0}`), ...loci.map((l) => locusCell(g, l)),
    directions[g.direction] || '—',
    f.perKg(m.tncPerKg), f.perKg(m.cd34PerKg),
    m.doseAdequate ? h('span', { class: 'ok' }, 'adequate') : h('span', { class: 'bad' }, 'low'),
    m.aboCompatible ? 'yes' : 'no',
    h('details', {}, h('summary', {}, g.summary || 'why'), h('p', {}, m.explanation || ''), m.decidedBy ? h('p', { class: 'muted' }, `Ranked by: ${m.decidedBy}`) : null,
      m.donorSpecificAntibodies?.length ? h('p', { class: 'bad' }, `DSA: ${m.donorSpecificAntibodies.join(', ')}`) : null),
    reserve ? h('button', { type: 'button', class: 'primary', dataset: { unit: m.unit }, 'aria-label': `Reserve ${f.din(m.unit)}`, onclick: async (e) => {
      const r = await reserveDialog(m.unit);
      if (r) {
        e.target.disabled = true;
        e.target.textContent = 'Reserved';
        notice('Reserved ', h('a', { href: f.unitHash(m.unit) }, f.din(m.unit)), ` for ${r.patientId || 'the patient'} until ${f.time(r.expireTime)}.`);
      }
    } }, 'Reserve') : '',
  ];
}

const headings = ['#Rank', 'Unit', 'Bank', 'Match', ...loci, 'Direction', '#TNC/kg', '#CD34+/kg', 'Dose', 'ABO', 'Explanation', ''];

export async function searchView(root) {
  const el = (tag, attrs) => h(tag, { autocomplete: 'off', ...attrs });
  const form = h('form', { class: 'grid-form', id: 'search-form', novalidate: true },
    field('Patient typing (GL String)', el('textarea', { name: 'glString', rows: 2, spellcheck: 'false', placeholder: 'A*02:01+A*24:02^B*07:02+B*44:02^C*05:01+C*07:02^DRB1*15:01+DRB1*04:01' }),
      { apiField: 'patient.glString', wide: true, hint: 'Or type each locus below.' }),
    loci.map((l) => field(`Locus ${l}`, el('input', { type: 'text', name: `locus-${l}`, spellcheck: 'false', placeholder: `${l}*..+${l}*..` }), { apiField: 'patient.hla' })),
    field('Patient ABO', select('abo', [['', 'unknown'], ['ABO_A', 'A'], ['ABO_B', 'B'], ['ABO_AB', 'AB'], ['ABO_O', 'O']]), { apiField: 'patient.abo' }),
    field('Weight (kg)', el('input', { type: 'number', name: 'weightKg', step: '0.1', inputmode: 'decimal' }), { apiField: 'weightKg' }),
    field('Disease', select('disease', [['DISEASE_CLASS_MALIGNANT', 'Malignant'], ['DISEASE_CLASS_NON_MALIGNANT', 'Non-malignant']]), { apiField: 'disease' }),
    field('Criterion', select('criterion', [['', 'default (8/8)'], ['MATCH_CRITERION_SIX_OF_SIX', '6/6 (A, B antigen; DRB1 allele)'], ['MATCH_CRITERION_EIGHT_OF_EIGHT', '8/8 (A, B, C, DRB1)'], ['MATCH_CRITERION_TEN_OF_TEN', '10/10 (+DQB1)']]), { apiField: 'criterion' }),
    field('Most mismatches', el('input', { type: 'number', name: 'maxMismatches', min: '0', step: '1' }), { apiField: 'maxMismatches' }),
    field('Results', el('input', { type: 'number', name: 'pageSize', min: '1', step: '1', value: '20' }), { apiField: 'pageSize' }),
    field('Least TNC (× 10⁷/kg)', el('input', { type: 'number', name: 'minTncPerKg', step: '0.1' }), { apiField: 'policy.minTncPerKg' }),
    field('Allele level', select('alleleLevel', [['', 'default'], ['ALLELE_LEVEL_LGX', 'lgx'], ['ALLELE_LEVEL_G_GROUP', 'G group']]), { apiField: 'policy.alleleLevel' }),
    field('Antibodies (specificity:MFI, …)', el('input', { type: 'text', name: 'antibodies', placeholder: 'A1:4000, B8:2500' }), { apiField: 'antibodies' }),
    field('Exclude units with donor-specific antibodies', h('input', { type: 'checkbox', name: 'excludeDsa' }), { apiField: 'policy.excludeDsa' }),
    field('Accredited banks only', h('input', { type: 'checkbox', name: 'requireAccredited' }), { apiField: 'policy.requireAccredited' }),
    field('Attached segment required', h('input', { type: 'checkbox', name: 'requireAttachedSegment' }), { apiField: 'policy.requireAttachedSegment' }),
    field('RBC-depleted only', h('input', { type: 'checkbox', name: 'requireRbcDepleted' }), { apiField: 'policy.requireRbcDepleted' }),
    field('Match probabilities', h('input', { type: 'checkbox', name: 'matchProbabilities' }), { apiField: 'matchProbabilities' }),
    field('Double-unit search (pairs)', h('input', { type: 'checkbox', name: 'double' })),
    h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'actions-row' }, h('button', { type: 'submit', class: 'primary' }, 'Search')));
  const results = h('section', { id: 'search-results', 'aria-live': 'polite' });
  root.append(h('h1', {}, 'Search for a unit'), form, results);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const req = request(form);
    const double = form.elements.double.checked;
    form.querySelector('button[type=submit]').disabled = true;
    results.setAttribute('aria-busy', 'true');
    try {
      if (double) {
        // Violations of a double search name fields under "search.".
        const resp = await post('units:searchDouble', { search: req }).catch((err) => {
          err.violations = err.violations.map((v) => ({ ...v, field: v.field.replace(/^search\./, '') }));
          throw err;
        });
        const pairs = resp.pairs || [];
        results.replaceChildren(h('h2', {}, `${pairs.length} pair${pairs.length === 1 ? '' : 's'} of ${resp.totalSize ?? pairs.length}`),
          h('p', { class: 'muted' }, `IPD-IMGT/HLA ${resp.hlaRelease || '—'}`),
          ...pairs.map((p) => h('div', { class: 'panel' }, h('h2', {}, `Pair ${p.rank}: ${f.perKg(p.combinedTncPerKg)} combined`, p.preferred ? ' (preferred)' : ''),
            h('p', {}, p.explanation || ''), table(null, headings, (p.units || []).map((m) => matchRow(m))))));
        return;
      }
      const resp = await post('units:search', req);
      const matches = resp.matches || [];
      const excluded = Object.entries(resp.excluded || {}).map(([k, v]) => `${k}: ${v}`).join(', ');
      results.replaceChildren(
        h('h2', {}, `${matches.length} of ${resp.totalSize ?? matches.length} matching units`),
        h('p', { class: 'muted' }, `IPD-IMGT/HLA ${resp.hlaRelease || '—'} · ${resp.scanned ?? 0} units scanned${excluded ? ` · excluded: ${excluded}` : ''}`),
        matches.length ? table(null, headings, matches.map((m) => matchRow(m))) : h('p', {}, 'No unit matches.'));
    } catch (err) {
      results.replaceChildren();
      showError(form, err);
    } finally {
      form.querySelector('button[type=submit]').disabled = false;
      results.removeAttribute('aria-busy');
    }
  });
  form.elements.glString.focus();
}
