package bank

import (
	"context"

	"github.com/cordbank/cordbank/bank/unit"
)

// HLAChange is one difference RereadHLA found in one typing of one unit.
type HLAChange struct {
	Unit  string // resource name
	Locus string
	// Aspect is what changed: "check" (the typing's validity), "gl",
	// "p", "lgx", "serology" or "flags".
	Aspect string
	Old    string
	New    string
}

// RereadSummary counts what RereadHLA did.
type RereadSummary struct {
	Units     int // units read
	Changed   int // units with at least one changed reading
	Invalid   int // units with a typing the new release refuses (left as they are)
	Rewritten int // units written with the new readings and release (apply only)
}

// rereadPage is how many units one step reads and, with apply, rewrites
// in one transaction.
const rereadPage = 500

// RereadHLA reads every unit's typings again with reader (typically a newer
// IPD-IMGT/HLA release) and calls report for each typing whose reduced
// forms or validity differ from what is stored. With apply, every unit
// whose typings the new release accepts is rewritten with the new readings
// and release (a new version, so clients holding the old etag must re-read);
// units with a typing the new release refuses are reported and left
// unchanged, for a person to resolve.
func (s *Service) RereadHLA(ctx context.Context, reader *HLAReader, apply bool, report func(HLAChange)) (RereadSummary, error) {
	var sum RereadSummary
	after := unit.DIN("")
	for {
		var page []*Unit
		err := s.store.Read(ctx, func(tx ReadTx) error {
			var err error
			page, err = tx.ListUnits(ctx, UnitQuery{AfterDIN: after, Limit: rereadPage})
			return err
		})
		if err != nil || len(page) == 0 {
			return sum, err
		}
		after = page[len(page)-1].DIN
		var rewrite []*Unit
		for _, u := range page {
			sum.Units++
			changed, valid := compareReadings(u, reader, report)
			if changed {
				sum.Changed++
			}
			if !valid {
				sum.Invalid++
			} else if apply && (changed || u.HLARelease != reader.Release()) {
				rewrite = append(rewrite, u)
			}
		}
		if len(rewrite) == 0 {
			continue
		}
		var written []*Unit
		// Up to rereadPage units and their events in one write.
		err = s.store.Write(WithBulkWrite(ctx), func(tx Tx) error {
			written = written[:0]
			now := s.now().UTC()
			trail := s.newChain(ctx, tx, now)
			for _, old := range rewrite {
				// Re-read inside the transaction: the unit may have changed
				// since the page was read.
				u, err := tx.GetUnit(ctx, old.Bank, old.DIN)
				if err != nil {
					return err
				}
				nu := cloneUnit(u)
				if !rereadTypings(nu, reader) {
					continue // changed since the read and now refused: leave it
				}
				nu.UpdateTime, nu.Version = now, nu.Version+1
				if err := tx.UpdateUnit(ctx, nu); err != nil {
					return err
				}
				if err := trail.changed("RereadHLA", nu.Name(), nu.Bank, "", u, nu); err != nil {
					return err
				}
				written = append(written, nu)
				sum.Rewritten++
			}
			return nil
		})
		if err != nil {
			return sum, err
		}
		s.unitsChanged(written)
	}
}

// compareReadings reports the differences between u's stored readings and
// reader's. valid is false when reader refuses a typing.
func compareReadings(u *Unit, reader *HLAReader, report func(HLAChange)) (changed, valid bool) {
	valid = true
	for _, t := range u.HLA {
		read, err := reader.Read(t.Locus, t.Text)
		if err != nil {
			report(HLAChange{Unit: u.Name(), Locus: t.Locus, Aspect: "check", Old: "valid", New: err.Error()})
			changed, valid = true, false
			continue
		}
		o, n := t.Reading, read.Reading
		for _, a := range []struct{ aspect, old, new string }{
			{"gl", o.GL, n.GL}, {"p", o.P, n.P}, {"lgx", o.LGX, n.LGX},
			{"serology", o.Serology, n.Serology}, {"flags", o.Flags, n.Flags},
		} {
			if a.old != a.new {
				report(HLAChange{Unit: u.Name(), Locus: t.Locus, Aspect: a.aspect, Old: a.old, New: a.new})
				changed = true
			}
		}
	}
	return changed, valid
}

// rereadTypings replaces u's readings and release with reader's; false
// when reader refuses a typing (u is then unchanged).
func rereadTypings(u *Unit, reader *HLAReader) bool {
	read := make([]LocusTyping, len(u.HLA))
	for i, t := range u.HLA {
		r, err := reader.Read(t.Locus, t.Text)
		if err != nil {
			return false
		}
		read[i] = r
	}
	u.HLA = read
	u.HLARelease = reader.Release()
	return true
}
