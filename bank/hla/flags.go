package hla

import "strings"

// Flags summarise properties of a typing that callers store and filter on.
type Flags uint16

// Flag bits.
const (
	// FlagAmbiguous: the typing does not name one allele or group per
	// position: an allele list, genotype list, XX code, MAC, NEW, or a
	// one-field allele name.
	FlagAmbiguous Flags = 1 << iota
	// FlagNull: an explicit null allele (suffix N) appears.
	FlagNull
	// FlagMAC: an NMDP multiple allele code appears.
	FlagMAC
	// FlagUnresolvedMAC: a MAC could not be expanded (no MAC table loaded,
	// or the code is not in it); it is kept verbatim and matched only at
	// the level of its first field.
	FlagUnresolvedMAC
	// FlagMACNull: a MAC expands to a list that contains a null allele
	// (ATLAS ignores such nulls for matching).
	FlagMACNull
	// FlagXX: an XX code appears.
	FlagXX
	// FlagNew: NEW appears; it never matches anything, not even NEW.
	FlagNew
	// FlagSerology: a serological antigen appears.
	FlagSerology
	// FlagGenotypeList: alternative genotypes ('|') appear.
	FlagGenotypeList
	// FlagPhased: phase is given ('~').
	FlagPhased
)

var flagNames = []string{"ambiguous", "null", "mac", "unresolved-mac", "mac-null", "xx", "new", "serology", "genotype-list", "phased"}

// String lists the set flags separated by commas, "" when none is set.
func (f Flags) String() string {
	var s []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			s = append(s, n)
		}
	}
	return strings.Join(s, ",")
}

// Flags computes the flags of g. MAC-related flags use r's MAC table; with
// a nil r or no table every MAC is unresolved.
func (r *Reference) Flags(g *GL) Flags {
	var f Flags
	var walk func(*GL)
	walk = func(g *GL) {
		switch g.Op {
		case OpAlleleList, OpGenotypeList:
			f |= FlagAmbiguous
			if g.Op == OpGenotypeList {
				f |= FlagGenotypeList
			}
		case OpHaplotype:
			f |= FlagPhased
		case 0:
			f |= r.nameFlags(g.Name)
			return
		}
		for _, it := range g.Items {
			walk(it)
		}
	}
	walk(g)
	return f
}

func (r *Reference) nameFlags(n Name) Flags {
	var f Flags
	switch n.Kind {
	case KindAllele:
		if n.IsNull() {
			f |= FlagNull
		}
		if n.NumFields() == 1 {
			f |= FlagAmbiguous
		}
	case KindXX:
		f |= FlagAmbiguous | FlagXX
	case KindNew:
		f |= FlagAmbiguous | FlagNew
	case KindSerology:
		f |= FlagSerology
	case KindMAC:
		f |= FlagAmbiguous | FlagMAC
		list, err := r.macs().Expand(n)
		if err != nil {
			f |= FlagUnresolvedMAC
			break
		}
		for _, m := range list {
			if m.IsNull() {
				f |= FlagMACNull
			}
		}
	}
	return f
}
