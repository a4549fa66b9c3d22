package bank

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/unit"
)

// The tables, proven by the trail. Every audited change records each
// changed field with its value before and after (a created resource: its
// whole snapshot), so replaying a resource's events from its creation
// yields the state its row must have. VerifyState replays every event of
// every bank, unit, reservation and container (a unit's events include
// where it is stored) and compares the result with the rows: a row edited
// outside the service (plain SQL, a disk editor) differs from its trail,
// and the difference is reported by row and field. Bookkeeping fields
// (version, create and update times) and derived data (HLA readings,
// which `hla reread` recomputes) are not compared.

// StateDifference is one field of one row that disagrees with the trail.
type StateDifference struct {
	Resource string // the row's resource name
	Field    string // snake_case field path ("cells.post_processing_tnc", "location"); "" for the whole row
	Trail    string // the value the trail implies (JSON, "" for absent)
	Table    string // the value the row holds (JSON, "" for absent)
	// Seq is the event at which the trail itself showed the edit (an
	// event whose recorded value before the change is not the value the
	// trail had left), 0 when the difference is in the current row.
	Seq    int64
	Reason string
}

// StateSummary is the outcome of VerifyState.
type StateSummary struct {
	Events    int64 // events replayed
	Resources int64 // banks, units, reservations and containers checked
	// Rows are the rows counted in the tables, by kind.
	Rows        ResourceCounts
	Differences []StateDifference // the first 100
}

// ResourceCounts counts the rows VerifyState proves.
type ResourceCounts struct {
	Banks, Units, Reservations, Containers, Placements int64
}

// stateEventPage is how many events one page of the replay reads.
const stateEventPage = 5000

// resourceKind is the kind of resource a name names, for the replay.
type resourceKind int

const (
	kindOther resourceKind = iota
	kindBank
	kindUnit
	kindReservation
	kindContainer
)

// parseResource splits a resource name into its kind and ids.
func parseResource(name string) (resourceKind, []string) {
	p := strings.Split(name, "/")
	switch {
	case len(p) == 2 && p[0] == "banks":
		return kindBank, p
	case len(p) == 4 && p[0] == "banks" && p[2] == "units":
		return kindUnit, p
	case len(p) == 6 && p[0] == "banks" && p[2] == "units" && p[4] == "reservations":
		return kindReservation, p
	case len(p) == 4 && p[0] == "banks" && p[2] == "containers":
		return kindContainer, p
	}
	return kindOther, p
}

// VerifyState replays the whole audit trail and compares every bank, unit
// (with its storage position), reservation and container row with the
// state its events imply, in one read transaction (one snapshot). It
// reports rows that differ from their trail (by field), rows the trail
// says exist but that are missing, rows with no creation event, and rows
// the trail never recorded. It returns the first 100 differences in
// resource order and changes nothing. Run VerifyEvents too: VerifyState
// trusts the events' content, which only the hash chain proves.
//
// The transaction's goroutine reads events (grouped by resource) and
// rows; replaying and comparing, most of the work (decoding snapshots,
// flattening rows), runs on one worker per CPU.
func (s *Service) VerifyState(ctx context.Context) (StateSummary, error) {
	var sum StateSummary
	var proven ResourceCounts // rows found for a replayed resource
	jobs := make(chan stateJob, 256)
	workers := runtime.GOMAXPROCS(0)
	found := make([][]StateDifference, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			diff := func(d StateDifference) { found[w] = append(found[w], d) }
			for j := range jobs {
				j.check(diff)
			}
		}()
	}
	// Closed once the reader is done (also when Read fails before it
	// runs fn), so the workers always end.
	finish := sync.OnceFunc(func() { close(jobs); wg.Wait() })
	defer finish()
	err := s.store.Read(ctx, func(tx ReadTx) error {
		defer finish()
		var cur *trailReplay
		flush := func() error {
			if cur == nil || cur.kind == kindOther {
				return nil
			}
			sum.Resources++
			j, err := readRow(ctx, tx, cur, &proven)
			if err != nil {
				return err
			}
			jobs <- j
			return nil
		}
		afterResource, afterSeq := "", int64(0)
		for {
			page, err := tx.ListEventsByResource(ctx, afterResource, afterSeq, stateEventPage)
			if err != nil {
				return err
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				sum.Events++
				if cur == nil || e.Resource != cur.name {
					if err := flush(); err != nil {
						return err
					}
					kind, ids := parseResource(e.Resource)
					cur = &trailReplay{name: e.Resource, kind: kind, ids: ids}
				}
				if cur.kind != kindOther {
					cur.events = append(cur.events, e)
				}
			}
			last := page[len(page)-1]
			afterResource, afterSeq = last.Resource, last.Seq
		}
		if err := flush(); err != nil {
			return err
		}
		rows, err := tx.CountResources(ctx)
		sum.Rows = rows
		return err
	})
	if err != nil {
		return sum, err
	}
	for _, f := range found {
		sum.Differences = append(sum.Differences, f...)
	}
	slices.SortFunc(sum.Differences, func(a, b StateDifference) int {
		if c := strings.Compare(a.Resource, b.Resource); c != 0 {
			return c
		}
		if a.Seq != b.Seq {
			return cmp.Compare(a.Seq, b.Seq)
		}
		return strings.Compare(a.Field, b.Field)
	})
	rows := sum.Rows
	for _, c := range []struct {
		what        string
		rows, found int64
	}{{"banks", rows.Banks, proven.Banks}, {"units", rows.Units, proven.Units}, {"reservations", rows.Reservations, proven.Reservations},
		{"containers", rows.Containers, proven.Containers}, {"storage positions", rows.Placements, proven.Placements}} {
		if c.rows != c.found {
			sum.Differences = append(sum.Differences, StateDifference{Resource: c.what, Trail: fmt.Sprint(c.found), Table: fmt.Sprint(c.rows),
				Reason: fmt.Sprintf("the table holds %d %s, the trail accounts for %d: rows were added or removed outside the service", c.rows, c.what, c.found)})
		}
	}
	if len(sum.Differences) > audit.MaxChainProblems {
		sum.Differences = sum.Differences[:audit.MaxChainProblems]
	}
	return sum, nil
}

// stateJob is one replayed resource with its row, for a worker.
type stateJob struct {
	r         *trailReplay
	row       any // nil when the row is missing
	placement *Placement
}

// readRow reads the row of a replayed resource (and a unit's placement)
// and counts it as found.
func readRow(ctx context.Context, tx ReadTx, r *trailReplay, proven *ResourceCounts) (stateJob, error) {
	j := stateJob{r: r}
	var err error
	switch r.kind {
	case kindBank:
		var b *Bank
		if b, err = tx.GetBank(ctx, r.ids[1]); err == nil {
			j.row = b
			proven.Banks++
		}
	case kindUnit:
		var u *Unit
		if u, err = tx.GetUnit(ctx, r.ids[1], unit.DIN(r.ids[3])); err == nil {
			j.row = u
			proven.Units++
			if j.placement, err = tx.GetPlacement(ctx, r.ids[1], unit.DIN(r.ids[3])); j.placement != nil {
				proven.Placements++
			}
		}
	case kindReservation:
		var res *Reservation
		// The id must name a reservation of this unit.
		if res, err = tx.GetReservation(ctx, r.ids[5]); err == nil && res.Bank == r.ids[1] && string(res.DIN) == r.ids[3] {
			j.row = res
			proven.Reservations++
		}
	case kindContainer:
		var c *inventory.Container
		if c, err = tx.GetContainer(ctx, r.ids[1], r.ids[3]); err == nil {
			j.row = c
			proven.Containers++
		}
	}
	if KindOf(err) == KindNotFound {
		err = nil
	}
	return j, err
}
