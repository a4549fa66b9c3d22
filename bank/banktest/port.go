package banktest

import (
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
)

// The groups in reservations.go, inventory.go, events.go, tokens.go and
// requests.go call the port directly: they pin each method's contract
// (round trips, errors, orderings, the constraints that hold under
// concurrency) so a second store is held to exactly what the domain relies
// on, including what no use case happens to reach today.

// write runs fn in a Write transaction and fails t on its error.
func (e *env) write(fn func(tx bank.Tx) error) {
	e.t.Helper()
	if err := e.store.Write(e.ctx, fn); err != nil {
		e.t.Fatalf("Write: %v", err)
	}
}

// tryWrite runs fn in a Write transaction and returns its error.
func (e *env) tryWrite(fn func(tx bank.Tx) error) error {
	return e.store.Write(e.ctx, fn)
}

// seed stores bank id and n public units of it (DINs seq 1..n of year 24)
// straight through the port, with no audit events, and returns the units.
func (e *env) seed(id string, n int) (*bank.Bank, []*bank.Unit) {
	e.t.Helper()
	b := ValidBank(id)
	b.FINs = []string{b.FIN}
	b.CreateTime, b.UpdateTime, b.Version = Now, Now, 1
	units := make([]*bank.Unit, n)
	for i := range units {
		u := ValidUnit(id, DIN(b.FIN, 24, i+1))
		u.CreateTime, u.UpdateTime, u.Version = Now, Now, 1
		units[i] = u
	}
	e.write(func(tx bank.Tx) error {
		if err := tx.InsertBank(e.ctx, b); err != nil {
			return err
		}
		for _, u := range units {
			if err := tx.InsertUnit(e.ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	return b, units
}

// at is the suite's fixed time plus d, with a nanosecond part that a store
// keeping less precision would lose.
func at(d time.Duration) time.Time { return Now.Add(d + 123) }

// wantKind fails t unless err is of kind (the port names no reason).
func wantKind(t *testing.T, err error, kind bank.Kind) {
	t.Helper()
	if got := bank.KindOf(err); err == nil || got != kind {
		t.Fatalf("error = %v (kind %v), want kind %v", err, got, kind)
	}
}

// readValue returns what fn reads in a Read transaction, and its error.
func readValue[T any](e *env, fn func(tx bank.ReadTx) (T, error)) (T, error) {
	var v T
	err := e.store.Read(e.ctx, func(tx bank.ReadTx) error {
		var err error
		v, err = fn(tx)
		return err
	})
	return v, err
}

// mustRead is readValue failing t on an error.
func mustRead[T any](e *env, fn func(tx bank.ReadTx) (T, error)) T {
	e.t.Helper()
	v, err := readValue(e, fn)
	if err != nil {
		e.t.Fatalf("Read: %v", err)
	}
	return v
}

// keys maps the values list reads (failing t on an error) to their keys.
func keys[T any, K any](e *env, list func(tx bank.ReadTx) ([]T, error), key func(T) K) []K {
	e.t.Helper()
	return mapped(mustRead(e, list), key)
}

// mapped returns key of each of vs.
func mapped[T, K any](vs []T, key func(T) K) []K {
	var out []K
	for _, v := range vs {
		out = append(out, key(v))
	}
	return out
}
