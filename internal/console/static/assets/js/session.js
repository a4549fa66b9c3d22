// The signed-in principal. The API has no "who am I" call, and the
// console must not need one of its own, so it learns the caller's role
// and bank from the API's answers: ListTokens is for administrators
// only, and its PERMISSION_DENIED names the caller's role (ErrorInfo
// metadata "role"); a bank role's bank is the one whose containers it
// may list (that read is for the bank's own principals only).

import { get, token, ApiError } from './api.js';

const sessionKey = 'cordbank.session';

export function load() {
  try {
    const s = JSON.parse(sessionStorage.getItem(sessionKey) || 'null');
    return s && token.get() ? s : null;
  } catch {
    return null;
  }
}

export function save(s) { sessionStorage.setItem(sessionKey, JSON.stringify(s)); }

export function signOut() {
  token.clear();
  sessionStorage.removeItem(sessionKey);
}

// discover signs in with secret: it throws the API's error when the
// token is refused (UNAUTHENTICATED) and returns the session otherwise.
export async function discover(secret) {
  token.set(secret);
  try {
    let role = 'admin';
    try {
      await get('tokens', { pageSize: 1 });
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 7 || !err.metadata.role) throw err;
      role = err.metadata.role;
    }
    const banks = (await get('banks', { pageSize: 1000 })).banks || [];
    let bank = '';
    if (['manager', 'technician', 'auditor'].includes(role)) {
      for (const b of banks.slice(0, 50)) {
        try {
          await get(`${b.name}/containers`, { pageSize: 1 });
          bank = b.name.split('/')[1];
          break;
        } catch (err) {
          if (!(err instanceof ApiError) || err.code !== 7) throw err;
        }
      }
    }
    // A bank's own principals work in their bank; administrators and
    // registry auditors choose one (the first, until they change it).
    const s = { role, ownBank: bank, bank: bank || (banks[0] ? banks[0].name.split('/')[1] : ''), banks: banks.map((b) => ({ id: b.name.split('/')[1], name: b.displayName })) };
    save(s);
    return s;
  } catch (err) {
    signOut();
    throw err;
  }
}

// What each role may do, as the server's authorization table allows it
// (server/authz.go); the server decides, the console only hides what
// would be refused.
const abilities = {
  admin: ['dashboard', 'units', 'freezer', 'search', 'audit', 'verify', 'write', 'lifecycle', 'manage', 'reserve', 'place', 'bankRead', 'chooseBank'],
  manager: ['dashboard', 'units', 'freezer', 'audit', 'write', 'lifecycle', 'manage', 'reserve', 'place', 'bankRead'],
  technician: ['dashboard', 'units', 'freezer', 'audit', 'write', 'lifecycle', 'reserve', 'place', 'bankRead'],
  auditor: ['dashboard', 'units', 'freezer', 'audit', 'verify', 'bankRead'],
  coordinator: ['search', 'reserve', 'tc'],
};

export function can(s, what) {
  if (!s) return false;
  let list = abilities[s.role] || [];
  if (s.role === 'auditor' && !s.ownBank) {
    // A registry auditor reads every bank's audit trail, not inventories.
    list = ['audit', 'verify', 'chooseBank'];
  }
  return list.includes(what);
}
