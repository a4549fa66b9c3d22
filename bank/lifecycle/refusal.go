package lifecycle

// Rule names a lifecycle rule that can refuse a change: the rule of the
// *refusal.Refusal[Rule] it returns. Package bank turns a refusal into its
// error model (which Kind and Reason each rule maps to)
// and names the resource, which only it knows.
type Rule int

// The rules, with the bank.Reason each is reported with.
const (
	// RuleIllegalTransition: the unit's status does not allow the action
	// (ILLEGAL_TRANSITION; metadata status, action, allowed_from).
	RuleIllegalTransition Rule = iota + 1
	// RuleIllegalReservationChange: the reservation's state does not allow
	// the change (ILLEGAL_TRANSITION; metadata status, action).
	RuleIllegalReservationChange
	// RuleNotReservable: the unit cannot be reserved, by its type or its
	// status (UNIT_NOT_RESERVABLE; metadata status).
	RuleNotReservable
)

// Violations collects the field violations of a request; *bank.Violations
// is one. Field names are the request's.
type Violations interface {
	Add(field, format string, args ...any)
}
