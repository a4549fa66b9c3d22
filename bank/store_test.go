package bank_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/cordbank/cordbank/bank"
)

// TestTxIsItsConcerns: Tx is exactly the union of the per-concern
// interfaces, each method in one concern only, so a method added to a
// transaction lands in a concern (with its contract and its conformance
// group) and a concern never silently shadows another's method.
func TestTxIsItsConcerns(t *testing.T) {
	concerns := map[string]reflect.Type{}
	for _, c := range []reflect.Type{
		reflect.TypeFor[bank.RegistryReader](), reflect.TypeFor[bank.RegistryWriter](),
		reflect.TypeFor[bank.ReservationReader](), reflect.TypeFor[bank.ReservationWriter](),
		reflect.TypeFor[bank.InventoryReader](), reflect.TypeFor[bank.InventoryWriter](),
		reflect.TypeFor[bank.AuditReader](), reflect.TypeFor[bank.AuditWriter](),
		reflect.TypeFor[bank.TokenReader](), reflect.TypeFor[bank.TokenWriter](),
		reflect.TypeFor[bank.RequestReader](), reflect.TypeFor[bank.RequestWriter](),
		reflect.TypeFor[bank.CountReader](),
	} {
		for m := range c.Methods() {
			if prev, ok := concerns[m.Name]; ok {
				t.Errorf("%s is in both %s and %s", m.Name, prev, c)
			}
			concerns[m.Name] = c
		}
	}
	tx := reflect.TypeFor[bank.Tx]()
	var inTx []string
	for m := range tx.Methods() {
		inTx = append(inTx, m.Name)
		if _, ok := concerns[m.Name]; !ok {
			t.Errorf("Tx.%s belongs to no concern", m.Name)
		}
	}
	if len(inTx) != len(concerns) {
		t.Errorf("Tx has %d methods, the concerns %d", len(inTx), len(concerns))
	}
	// The read side is the readers and nothing else: a ReadTx cannot write.
	for m := range reflect.TypeFor[bank.ReadTx]().Methods() {
		if c := concerns[m.Name]; slices.Contains([]reflect.Type{
			reflect.TypeFor[bank.RegistryWriter](), reflect.TypeFor[bank.ReservationWriter](),
			reflect.TypeFor[bank.InventoryWriter](), reflect.TypeFor[bank.AuditWriter](),
			reflect.TypeFor[bank.TokenWriter](), reflect.TypeFor[bank.RequestWriter](),
		}, c) {
			t.Errorf("ReadTx.%s comes from writer %s", m.Name, c)
		}
	}
}
