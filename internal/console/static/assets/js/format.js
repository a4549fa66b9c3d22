// Numbers and dates for people: cell counts as 1.1 × 10⁹, enum values as
// words, dates in the user's locale.

const superscript = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };

// cells formats a count of cells: 1100000000 → "1.1 × 10⁹".
export function cells(n) {
  if (n === undefined || n === null || n === '') return '—';
  const v = Number(n);
  if (!Number.isFinite(v)) return String(n);
  if (v === 0) return '0';
  if (Math.abs(v) < 1000) return new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(v);
  const exp = Math.floor(Math.log10(Math.abs(v)));
  const mant = v / 10 ** exp;
  const m = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(mant);
  return `${m} × 10${String(exp).split('').map((c) => superscript[c]).join('')}`;
}

export const perKg = (n) => (n === undefined || n === null ? '—' : `${cells(n)}/kg`);

export function number(n, digits = 1) {
  if (n === undefined || n === null) return '—';
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: digits }).format(n);
}

export function percent(p) {
  if (p === undefined || p === null) return '—';
  return new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 }).format(p);
}

// date formats a calendar date "2024-03-17" without moving it across a
// time zone.
export function date(s) {
  if (!s) return '—';
  const d = new Date(`${s}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return s;
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
}

// time formats an RFC 3339 timestamp in the user's time zone.
export function time(ts) {
  if (!ts) return '—';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

// label turns an enum value into words: "UNIT_STATUS_TEMPORARILY_UNAVAILABLE"
// with prefix "UNIT_STATUS_" → "Temporarily unavailable".
export function label(value, prefix) {
  if (!value) return '—';
  let s = prefix && value.startsWith(prefix) ? value.slice(prefix.length) : value;
  if (s === 'UNSPECIFIED') return '—';
  s = s.replace(/_/g, ' ').toLowerCase();
  s = s.charAt(0).toUpperCase() + s.slice(1);
  // Abbreviations stay in capitals: blood group AB, RBC, processing
  // methods (HES, DGS ...), GvH and HvG.
  return s.replace(/\b(ab|rbc|hes|dgs|cen|fil|fic|per|oth|gvh|hvg)\b/gi, (w) => ({ gvh: 'GvH', hvg: 'HvG' })[w.toLowerCase()] || w.toUpperCase());
}

// short is an enum value without its prefix: "UNIT_STATUS_AVAILABLE" → "AVAILABLE".
export const short = (value, prefix) => (value || '').replace(prefix, '');

// din returns the DIN of a unit name "banks/demo/units/W999926000001".
export const din = (name) => (name || '').split('/').pop();
export const bankOf = (name) => (name || '').split('/')[1] || '';

export const unitHash = (name) => `#/unit/${bankOf(name)}/${din(name)}`;

// position is where an audit event stands as this reader may see it: the
// registry-wide seq for administrators, else its place in its stream
// (public, or the bank's private stream).
export function position(e) {
  if (e.seq) return `#${e.seq}`;
  const stream = e.stream === 'public' ? 'public' : 'private';
  return `${stream} #${e.streamSeq || 0}`;
}
