// Package refusal is how a concern package's rule says no. A rule that
// refuses a change returns a *Refusal naming the rule (each concern has
// its own Rule type: inventory.Rule, lifecycle.Rule), a message for people
// and metadata naming what the refusal concerns; package bank turns it into
// its error model, since only the use case knows the request, its fields
// and the error Kind and Reason each rule is reported with.
//
// It imports only the standard library: bank/purity_test.go checks.
package refusal

// A Refusal is a rule's "no": the rule, a message for people, and
// metadata (key, value pairs) naming what it concerns.
type Refusal[R ~int] struct {
	Rule     R
	Message  string
	Metadata []string
}

func (r *Refusal[R]) Error() string { return r.Message }

// New returns the refusal of rule as an error.
func New[R ~int](rule R, msg string, kv ...string) error {
	return &Refusal[R]{Rule: rule, Message: msg, Metadata: kv}
}
