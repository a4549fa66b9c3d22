// Package access is cordbank's access policy: who a caller is (Principal,
// Role), what each role may do in which organisation (Policy, keyed by the
// domain's Actions), and what each principal may see (SeesPrivateOf,
// UnitScope, EventScope). The domain's use cases consult it inside their
// own transactions, so every query is scoped to what the caller may see
// before it is paged or counted; transports only name the action of each
// call and carry the principal in the context (WithPrincipal).
//
// It imports only the standard library and nothing of cordbank: bank
// depends on it, never the other way round.
package access
