package bank_test

import (
	"path/filepath"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/hla"
)

// fixtureRef loads one of bank/hla's hand-made fixture releases.
func fixtureRef(t *testing.T, name string) *hla.Reference {
	t.Helper()
	ref, err := hla.LoadDir(filepath.Join("hla", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestRereadHLA registers units against one release, then re-reads them
// against the next: changed reductions are reported, refused typings are
// reported and left alone, and apply rewrites the rest.
func TestRereadHLA(t *testing.T) {
	oldRef, newRef := fixtureRef(t, "imgt-mini"), fixtureRef(t, "imgt-mini-next")
	store := openStore(t)
	svc := bank.NewService(store, bank.WithClock(banktest.Clock), bank.WithHLA(bank.NewHLAReader(oldRef)))
	if _, err := svc.CreateBank(t.Context(), banktest.ValidBank("bank-a"), ""); err != nil {
		t.Fatal(err)
	}
	fin := banktest.ValidBank("bank-a").FIN
	// The fixture releases differ on these typings (see bank/hla's
	// TestFixtureDiff): the first reads the same, the second reduces
	// differently, the third names an allele the next release deleted.
	typings := []string{"A*01:01:01:01+A*02:01", "A*02:55+A*24:03", "A*02:07"}
	for i, typing := range typings {
		u := banktest.ValidUnit("bank-a", banktest.DIN(fin, 24, i+1))
		u.HLA = []bank.LocusTyping{{Locus: "A", Text: typing}}
		if _, err := svc.CreateUnit(t.Context(), u, ""); err != nil {
			t.Fatalf("register %s: %v", typing, err)
		}
	}
	name := func(i int) string { return "banks/bank-a/units/" + string(banktest.DIN(fin, 24, i)) }
	reader := bank.NewHLAReader(newRef)
	var changes []bank.HLAChange
	sum, err := svc.RereadHLA(t.Context(), reader, false, func(c bank.HLAChange) { changes = append(changes, c) })
	if err != nil {
		t.Fatal(err)
	}
	if want := (bank.RereadSummary{Units: 3, Changed: 2, Invalid: 1}); sum != want {
		t.Fatalf("dry run = %+v, want %+v", sum, want)
	}
	has := func(cs []bank.HLAChange, unit, aspect, newValue string) bool {
		for _, c := range cs {
			if c.Unit == unit && c.Aspect == aspect && (newValue == "" || c.New == newValue) {
				return true
			}
		}
		return false
	}
	if !has(changes, name(2), "lgx", "A*02:01+A*24:03") || !has(changes, name(3), "check", "") || has(changes, name(1), "lgx", "") {
		t.Fatalf("changes = %+v", changes)
	}
	// A dry run writes nothing.
	if u, _ := svc.GetUnit(t.Context(), "bank-a", banktest.DIN(fin, 24, 2)); u.HLARelease != oldRef.Release() || u.Version != 1 {
		t.Fatalf("dry run wrote: %+v", u)
	}

	sum, err = svc.RereadHLA(t.Context(), reader, true, func(bank.HLAChange) {})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rewritten != 2 {
		t.Fatalf("apply = %+v, want 2 rewritten (one release-only, one changed)", sum)
	}
	for i, wantRelease := range []string{newRef.Release(), newRef.Release(), oldRef.Release()} {
		u, err := svc.GetUnit(t.Context(), "bank-a", banktest.DIN(fin, 24, i+1))
		if err != nil || u.HLARelease != wantRelease {
			t.Fatalf("unit %d after apply: release %q, want %q (%v)", i+1, u.HLARelease, wantRelease, err)
		}
	}
	u2, _ := svc.GetUnit(t.Context(), "bank-a", banktest.DIN(fin, 24, 2))
	if u2.HLA[0].Reading.LGX != "A*02:01+A*24:03" || u2.Version != 2 {
		t.Fatalf("unit 2 after apply: %+v", u2)
	}
	// Only the refused typing is left to resolve.
	sum, err = svc.RereadHLA(t.Context(), reader, false, func(bank.HLAChange) {})
	if err != nil || sum != (bank.RereadSummary{Units: 3, Changed: 1, Invalid: 1}) {
		t.Fatalf("after apply = %+v, %v", sum, err)
	}
}
