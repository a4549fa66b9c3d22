package match

import (
	"fmt"
	"slices"

	"github.com/cordbank/cordbank/bank/unit"
)

// Differences lists how index y differs from x, unit by unit, at most max
// lines (max <= 0: all): units only one of them holds, and units either
// holds with another version, bank, dose, collection date, ABO group,
// search flags or typing at some locus, and a different partition. None
// means a search on either finds the same units graded the same way; it
// is how an index built one way (server.BuildIndex from a store) is checked
// against one built another. Each index is read under its own read lock,
// one after the other.
func (x *Index) Differences(y *Index, max int) []string {
	a, b := x.describe(), y.describe()
	var out []string
	add := func(format string, args ...any) bool {
		out = append(out, fmt.Sprintf(format, args...))
		return max > 0 && len(out) >= max
	}
	dins := make([]unit.DIN, 0, len(a.units)+len(b.units))
	for din := range a.units {
		dins = append(dins, din)
	}
	for din := range b.units {
		if _, ok := a.units[din]; !ok {
			dins = append(dins, din)
		}
	}
	slices.Sort(dins)
	for _, din := range dins {
		da, inA := a.units[din]
		db, inB := b.units[din]
		var stop bool
		switch {
		case !inB:
			stop = add("%s: only in the first index", din)
		case !inA:
			stop = add("%s: only in the second index", din)
		case da != db:
			stop = add("%s: %s, against %s", din, da, db)
		}
		if stop {
			return out
		}
	}
	if a.partition != b.partition {
		add("partition: %s, against %s", a.partition, b.partition)
	}
	return out
}

// indexDescription is what an index holds, in terms that do not depend
// on the order units were added (banks and typings by name, not by their
// ids; no entry positions).
type indexDescription struct {
	units     map[unit.DIN]string
	partition string
}

func (x *Index) describe() indexDescription {
	x.mu.RLock()
	defer x.mu.RUnlock()
	d := indexDescription{units: make(map[unit.DIN]string, len(x.entries)),
		partition: fmt.Sprintf("%d prime units, class counts %v", x.nPrime, x.classCount)}
	for i := range x.entries {
		e, c := &x.entries[i], &x.cold[i]
		s := fmt.Sprintf("version %d, bank %s (accredited %t), tnc %g, cd34 %g, collected day %d, abo %d, flags %04b, prime %t",
			c.version, x.banks[e.bank].id, x.banks[e.bank].accredited, e.tnc, e.cd34, e.coll, e.abo, e.flags, i < x.nPrime)
		for li, id := range x.ids[i] {
			if id != 0 {
				s += fmt.Sprintf(", %s %q", Loci[li], x.geno[li].list[id-1].text)
			}
		}
		d.units[c.din] = s
	}
	return d
}
