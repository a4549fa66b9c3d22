package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/match"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/store/sqlite/sqlitetest"
	"github.com/cordbank/cordbank/internal/synth"
	"github.com/cordbank/cordbank/server"
)

// pagedOnly is a store whose read transactions hide their
// server.SearchableScanner, so server.BuildIndex reads it as it read every
// store before the one-statement scan: every column of every unit through
// bank.Service.ScanUnits, a keyset page of a thousand per transaction, each
// page loaded while the next is read. It is the reference the scan must
// equal, and the benchmark's baseline.
type pagedOnly struct{ bank.Store }

func (s pagedOnly) Read(ctx context.Context, fn func(tx bank.ReadTx) error) error {
	return s.Store.Read(ctx, func(tx bank.ReadTx) error { return fn(struct{ bank.ReadTx }{tx}) })
}

// stores are the two backends the index build is checked on.
var stores = []struct {
	name string
	open func(t *testing.T) bank.Store
}{
	{"sqlite", func(t *testing.T) bank.Store { return sqlitetest.Open(t) }},
	{"postgres", func(t *testing.T) bank.Store { return open(t) }},
}

// TestBuildIndexEqualsPagedBuild: on both stores, the index
// server.BuildIndex builds (one statement over the searchable columns)
// equals the one built the old way (every column, page by page), on a
// registry of every kind of unit: public, autologous and directed; every
// status; with and without HLA readings; typings beyond the per-locus
// columns; no typing at all; unknown CD34+; a typing the index refuses;
// two banks, one accredited. And a build while another service writes
// (units already read changed, units not yet read changed, new units),
// followed by the catch-up every search does first, ends exactly in sync
// with the store: equal to a build from the store once the writes are
// done.
func TestBuildIndexEqualsPagedBuild(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx := t.Context()
			store := st.open(t)
			writer := bank.NewService(store)
			units := registryOfEveryKind(t, writer, store)

			built := func(s bank.Store) (*match.Index, *bank.Service, error) {
				idx := match.NewIndex(match.NewGrader(nil))
				svc := bank.NewService(s, bank.WithWatcher(idx))
				return idx, svc, server.BuildIndex(ctx, svc, idx)
			}
			scanned, _, errScan := built(store)
			paged, _, errPaged := built(pagedOnly{store})
			// The refused typing is reported by both, and its unit left out.
			for _, err := range []error{errScan, errPaged} {
				if err == nil || !strings.Contains(err.Error(), string(refusedDIN)) {
					t.Errorf("build error %v, want one naming unit %s", err, refusedDIN)
				}
			}
			if scanned.Len() != len(units)-1 {
				t.Errorf("index holds %d units, want %d", scanned.Len(), len(units)-1)
			}
			if d := scanned.Differences(paged, 20); len(d) > 0 {
				t.Fatalf("BuildIndex differs from the paged build:\n%s", strings.Join(d, "\n"))
			}

			// Writes while the build reads: after its first page, another
			// service changes a unit of that page and one not read yet,
			// and registers new units.
			hooked := &midScanStore{Store: store, write: func(page []*bank.Unit) {
				writeDuringBuild(t, writer, page, units)
			}}
			live, svc, err := built(hooked)
			if !hooked.fired.Load() {
				t.Fatal("the writes during the build never ran")
			}
			if err == nil {
				t.Error("BuildIndex reported no error for the refused typing")
			}
			if err := svc.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			after, _, _ := built(pagedOnly{store})
			if d := live.Differences(after, 20); len(d) > 0 {
				t.Fatalf("index built during writes, once caught up, differs from the store:\n%s", strings.Join(d, "\n"))
			}
			if live.Len() == scanned.Len() {
				t.Errorf("index holds %d units after the writes, as many as before", live.Len())
			}
		})
	}
}

// refusedDIN is the unit of registryOfEveryKind whose typing the index
// refuses.
const refusedDIN = unit.DIN("G000124999999")

// registryOfEveryKind writes two banks and their units straight into the
// store (statuses and types the use cases would take many calls to reach).
func registryOfEveryKind(t *testing.T, svc *bank.Service, store bank.Store) []*bank.Unit {
	t.Helper()
	ctx := t.Context()
	accredited := banktest.ValidBank("bank-a")
	plain := banktest.ValidBank("bank-b")
	plain.Accreditations = nil
	for _, b := range []*bank.Bank{accredited, plain} {
		if _, err := svc.CreateBank(ctx, b, ""); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var units []*bank.Unit
	for i, b := range []*bank.Bank{accredited, plain} {
		units = append(units, synth.New(b.ID, b.FIN, now, uint64(i+1)).Units(1600)...)
	}
	statuses := []lifecycle.Status{lifecycle.StatusQuarantine, lifecycle.StatusAvailable, lifecycle.StatusTemporarilyUnavailable,
		lifecycle.StatusReserved, lifecycle.StatusShipmentRequested, lifecycle.StatusShipped, lifecycle.StatusInfused,
		lifecycle.StatusDiscarded, lifecycle.StatusExpired, lifecycle.StatusWithdrawn}
	types := []bank.UnitType{bank.UnitTypePublic, bank.UnitTypePublic, bank.UnitTypeAutologous, bank.UnitTypeDirected}
	for i, u := range units {
		u.Status = statuses[i%len(statuses)]
		// Most available and public, so the prime partition is large.
		if i%3 == 0 {
			u.Status = lifecycle.StatusAvailable
		}
		u.Type = types[i%len(types)]
		if u.IsPrivate() {
			u.Private = bank.UnitPrivate{MaternalID: fmt.Sprintf("M-%d", i), FamilyID: "F-1",
				MaternalHLA: []bank.LocusTyping{{Locus: "A", Text: "A*01:01+A*02:01"}}}
			if u.Type == bank.UnitTypeDirected {
				u.Private.DirectedRecipient = "R-1"
			}
		}
		u.Version = int64(1 + i%5)
		u.CreateTime, u.UpdateTime = now, now
		switch i % 7 {
		case 0: // read against a release
			for j := range u.HLA {
				u.HLA[j].Reading = bank.TypingReading{GL: u.HLA[j].Text, P: u.HLA[j].Text + "P", Flags: "ambiguous"}
			}
			u.HLARelease = "3.58.0"
		case 1: // a second typing of a locus and a locus without a column
			u.HLA = append(u.HLA, bank.LocusTyping{Locus: "A", Text: "A*11:01+A*24:02"},
				bank.LocusTyping{Locus: "DRB3", Text: "DRB3*01:01+DRB3*02:02"})
		case 2:
			u.HLA = nil
		case 3:
			u.Cells.PostProcessingCD34 = nil
		}
		if i%11 == 0 {
			u.AttachedSegments = 0
		}
	}
	refused := *units[0]
	refused.DIN = refusedDIN
	refused.HLA = []bank.LocusTyping{{Locus: "A", Text: "A*02:01+not a typing"}}
	units = append(units, &refused)
	if err := store.Write(ctx, func(tx bank.Tx) error {
		errs, err := tx.InsertUnits(ctx, units)
		return errors.Join(append(errs, err)...)
	}); err != nil {
		t.Fatal(err)
	}
	return units
}

// writeDuringBuild changes, through svc, a quarantined unit of page (read
// already) and a quarantined unit not on it, withdraws an available unit
// not on it, and registers ten new units.
func writeDuringBuild(t *testing.T, svc *bank.Service, page, units []*bank.Unit) {
	ctx := t.Context()
	read := map[unit.DIN]bool{}
	for _, u := range page {
		read[u.DIN] = true
	}
	var onPage, notRead, available *bank.Unit
	for _, u := range units {
		switch {
		case u.DIN == refusedDIN:
		case u.Status == lifecycle.StatusQuarantine && read[u.DIN] && onPage == nil:
			onPage = u
		case u.Status == lifecycle.StatusQuarantine && !read[u.DIN] && notRead == nil:
			notRead = u
		case u.Status == lifecycle.StatusAvailable && !read[u.DIN] && available == nil:
			available = u
		}
	}
	if onPage == nil || notRead == nil || available == nil {
		t.Fatalf("no units to change during the build (page of %d)", len(page))
	}
	for _, r := range []bank.TransitionRequest{
		{Bank: onPage.Bank, DIN: onPage.DIN, Action: lifecycle.ActionRelease},
		{Bank: notRead.Bank, DIN: notRead.DIN, Action: lifecycle.ActionRelease},
		{Bank: available.Bank, DIN: available.DIN, Action: lifecycle.ActionWithdraw, Reason: "MR"},
	} {
		if _, err := svc.Transition(ctx, r); err != nil {
			t.Errorf("%s %s during the build: %v", r.Action, r.DIN, err)
		}
	}
	b, err := svc.GetBank(ctx, "bank-a")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := svc.CreateUnit(ctx, banktest.ValidUnit(b.ID, banktest.DIN(b.FIN, 99, 900000+i)), ""); err != nil {
			t.Errorf("create during the build: %v", err)
		}
	}
}

// midScanStore runs write once, on the scanning goroutine, right after
// the first page of units the index build reads from it: while the
// build's read is under way, after it recorded the head.
type midScanStore struct {
	bank.Store
	write func(page []*bank.Unit)
	fired atomic.Bool
}

func (s *midScanStore) firstPage(page []*bank.Unit) {
	if len(page) > 0 && !s.fired.Swap(true) {
		s.write(page)
	}
}

func (s *midScanStore) Read(ctx context.Context, fn func(tx bank.ReadTx) error) error {
	return s.Store.Read(ctx, func(tx bank.ReadTx) error {
		h := hookedTx{ReadTx: tx, s: s}
		if sc, ok := tx.(server.SearchableScanner); ok {
			return fn(hookedScanTx{h, sc})
		}
		return fn(h)
	})
}

type hookedTx struct {
	bank.ReadTx
	s *midScanStore
}

func (t hookedTx) ListUnits(ctx context.Context, q bank.UnitQuery) ([]*bank.Unit, error) {
	units, err := t.ReadTx.ListUnits(ctx, q)
	if err == nil && q.WithoutReadings {
		t.s.firstPage(units)
	}
	return units, err
}

type hookedScanTx struct {
	hookedTx
	sc server.SearchableScanner
}

func (t hookedScanTx) ScanSearchable(ctx context.Context, pageSize int, fn func([]*bank.Unit, func()) error) error {
	return t.sc.ScanSearchable(ctx, pageSize, func(page []*bank.Unit, release func()) error {
		// The DINs, before fn may hand the page back for reuse.
		read := make([]*bank.Unit, len(page))
		for i, u := range page {
			read[i] = &bank.Unit{DIN: u.DIN}
		}
		err := fn(page, release)
		t.s.firstPage(read)
		return err
	})
}
