package match

import (
	"strings"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
)

// TestDifferences: two indexes loaded with the same units in another order
// (one of them grown first) have none; each kind of change is named.
func TestDifferences(t *testing.T) {
	g := NewGrader(nil)
	units := []*bank.Unit{
		testUnit("A123425900001"),
		testUnit("A123425900002", ofBank(bankNoAcc), cd34(-1)),
		testUnit("A123425900003", hlaOf("A*01:01+A*03:01")),
		testUnit("A123425900004", func(u *bank.Unit) { u.Status = lifecycle.StatusReserved }),
	}
	a, err := newTestIndex(g, units...)
	if err != nil {
		t.Fatal(err)
	}
	b := NewIndex(g)
	b.Grow(len(units))
	if err := b.Load([]*bank.Unit{units[3], units[1]}, banksOf(bankAcc, bankNoAcc)); err != nil {
		t.Fatal(err)
	}
	b.Grow(10) // growing an index that holds units keeps them
	if err := b.Load([]*bank.Unit{units[2], units[0]}, banksOf(bankAcc, bankNoAcc)); err != nil {
		t.Fatal(err)
	}
	if d := a.Differences(b, 0); len(d) > 0 {
		t.Fatalf("same units, other order: %q", d)
	}
	if b.Len() != len(units) {
		t.Fatalf("index holds %d units, want %d", b.Len(), len(units))
	}

	changed := func(din string, opts ...unitOpt) *bank.Unit {
		u := testUnit(din, opts...)
		u.Version = 2
		return u
	}
	if err := b.Load([]*bank.Unit{
		changed("A123425900001", tnc(1e9)),
		changed("A123425900003", hlaOf("A*01:01+A*11:01")),
		changed("A123425900004"), // released: prime now
		testUnit("A123425900005"),
	}, banksOf(bankAcc, bankNoAcc)); err != nil {
		t.Fatal(err)
	}
	b.Remove("A123425900002")
	d := a.Differences(b, 0)
	for _, want := range []string{
		"A123425900001: version 0, bank acc-bank (accredited true), tnc 2e+09",
		"A123425900002: only in the first index",
		`A123425900003: version 0`, `A "A*01:01+A*11:01"`,
		"A123425900004: version 0",
		"A123425900005: only in the second index",
		"partition: ",
	} {
		if !strings.Contains(strings.Join(d, "\n"), want) {
			t.Errorf("differences lack %q:\n%s", want, strings.Join(d, "\n"))
		}
	}
	if len(d) != 6 {
		t.Errorf("%d differences, want 6:\n%s", len(d), strings.Join(d, "\n"))
	}
	if d := a.Differences(b, 2); len(d) != 2 {
		t.Errorf("at most 2: got %d", len(d))
	}
}
