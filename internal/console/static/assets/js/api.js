// The REST API client of the console: every call carries the user's
// bearer token, and a failed call throws an ApiError holding the API's
// google.rpc.Status as it came (code, message, field violations, reason).

const tokenKey = 'cordbank.token';

export const token = {
  get: () => sessionStorage.getItem(tokenKey) || '',
  set: (t) => sessionStorage.setItem(tokenKey, t),
  clear: () => sessionStorage.removeItem(tokenKey),
};

const codeNames = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND',
  'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED',
  'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

export class ApiError extends Error {
  constructor(httpStatus, body) {
    super(body && body.message ? body.message : `HTTP ${httpStatus}`);
    this.httpStatus = httpStatus;
    this.code = body && typeof body.code === 'number' ? body.code : 0;
    this.codeName = codeNames[this.code] || `HTTP ${httpStatus}`;
    this.details = (body && body.details) || [];
    const info = this.details.find((d) => (d['@type'] || '').endsWith('google.rpc.ErrorInfo')) || {};
    this.reason = info.reason || '';
    this.metadata = info.metadata || {};
    this.violations = [];
    for (const d of this.details) {
      if ((d['@type'] || '').endsWith('google.rpc.BadRequest')) {
        this.violations.push(...(d.fieldViolations || []));
      }
    }
  }
}

// query builds "?a=1&b=2" from an object, repeating array values and
// leaving out empty ones.
function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '') continue;
    for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

// call sends one request; path is relative to /v1/ ("banks/demo/units").
export async function call(method, path, { body, params } = {}) {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${token.get()}` };
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(`/v1/${path}${query(params)}`, init);
  } catch (e) {
    throw new ApiError(0, { code: 14, message: `the server did not answer (${e.message})` });
  }
  const text = await resp.text();
  let data = {};
  if (text) {
    try { data = JSON.parse(text); } catch { data = { message: text }; }
  }
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

export const get = (path, params) => call('GET', path, { params });
export const post = (path, body = {}) => call('POST', path, { body });

// listAll follows next_page_token until the last page or limit items,
// calling onPage with each page's items (for progress).
export async function listAll(path, params, key, limit = Infinity, onPage) {
  const out = [];
  let pageToken = '';
  do {
    const page = await get(path, { ...params, pageToken });
    const items = page[key] || [];
    out.push(...items);
    pageToken = page.nextPageToken || '';
    if (onPage) onPage(items, out.length, pageToken);
  } while (pageToken && out.length < limit);
  return out;
}

// download fetches a file the API answers (an export, a report) with the
// user's token, which a plain link cannot send, and hands it to the
// browser as a download named filename. It returns the file's size.
export async function download(path, params, filename) {
  let resp;
  try {
    resp = await fetch(`/v1/${path}${query(params)}`, { headers: { Authorization: `Bearer ${token.get()}` } });
  } catch (e) {
    throw new ApiError(0, { code: 14, message: `the server did not answer (${e.message})` });
  }
  if (!resp.ok) {
    let data = {};
    try { data = JSON.parse(await resp.text()); } catch { /* not the API's error shape */ }
    throw new ApiError(resp.status, data);
  }
  const blob = await resp.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has taken the file once the click is handled.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return blob.size;
}

// downloadButton is a button that downloads what download fetches and
// says how it went (data-state "done" with data-bytes, or the API's error).
export function downloadButton(id, label, path, params, filename, h, describe) {
  const note = h('span', { class: 'muted', role: 'status' });
  const b = h('button', { type: 'button', id, class: 'link-button' }, label);
  b.addEventListener('click', async () => {
    b.disabled = true;
    note.textContent = '';
    try {
      const n = await download(path, params, filename);
      b.dataset.state = 'done';
      b.dataset.bytes = String(n);
    } catch (err) {
      b.dataset.state = 'failed';
      note.textContent = describe(err);
    } finally {
      b.disabled = false;
    }
  });
  return h('span', { class: 'download' }, b, note);
}
