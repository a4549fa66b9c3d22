package unit

import (
	"math"
	"unicode"
)

// Violations collects the field violations of a request; *bank.Violations
// is one. Field names are the caller's, with the prefix the caller gives.
type Violations interface {
	Add(field, format string, args ...any)
}

// Limits of plausible values. A value outside them is almost always a data
// entry error (a count typed in x10^7 units, a volume in litres), and a
// wrong count changes which patient a unit is offered to, so it is refused
// rather than stored.
const (
	// FirstCollectionYear: no cord unit was collected before public
	// banking began (the first cord transplant was in 1988).
	FirstCollectionYear = 1988
	MaxVolumeML         = 500
	// MinTNC rejects counts entered in x10^7 or x10^8 units: a banked unit
	// has at least ~1e8 nucleated cells; 1e6 leaves room for research units.
	MinTNC          = 1e6
	MaxTNC          = 1e11
	MaxCD34         = 1e9
	MaxBags         = 10
	MaxCompartments = 5
	MaxSegments     = 20
	// MaxBirthToCollectionDays: cord blood is collected at birth.
	MaxBirthToCollectionDays = 2
)

// Dates are a unit's dates, checked together because their order is a
// rule of its own.
type Dates struct {
	Collection, Processing, Freeze, InfantBirth, IDMTest Date
}

// Check records every problem with the dates under prefix: each must be
// real, not in the future of today, and not before FirstCollectionYear
// (collection, processing and infant birth are required); processing
// comes after collection and freezing after processing; the infant was
// born on the collection day or at most MaxBirthToCollectionDays before.
func (d Dates) Check(v Violations, prefix string, today Date) {
	past := func(field string, d Date, required bool) bool {
		switch {
		case d.IsZero():
			if required {
				v.Add(prefix+field, "required")
			}
			return false
		case d.Year < FirstCollectionYear:
			v.Add(prefix+field, "%s is before %d, when cord blood banking began", d, FirstCollectionYear)
			return false
		case today.Before(d):
			v.Add(prefix+field, "%s is in the future", d)
			return false
		}
		return true
	}
	collOK := past("collection_date", d.Collection, true)
	procOK := past("processing_date", d.Processing, true)
	freezeOK := past("freeze_date", d.Freeze, false)
	birthOK := past("infant_birth_date", d.InfantBirth, true)
	if collOK && procOK && d.Processing.Before(d.Collection) {
		v.Add(prefix+"processing_date", "%s is before the collection date %s", d.Processing, d.Collection)
	}
	if procOK && freezeOK && d.Freeze.Before(d.Processing) {
		v.Add(prefix+"freeze_date", "%s is before the processing date %s", d.Freeze, d.Processing)
	}
	if collOK && birthOK {
		if d.Collection.Before(d.InfantBirth) {
			v.Add(prefix+"infant_birth_date", "%s is after the collection date %s: cord blood is collected at birth", d.InfantBirth, d.Collection)
		} else if d.InfantBirth.AddDays(MaxBirthToCollectionDays).Before(d.Collection) {
			v.Add(prefix+"collection_date", "%s is more than %d days after the infant's birth %s: cord blood is collected at birth", d.Collection, MaxBirthToCollectionDays, d.InfantBirth)
		}
	}
	if !d.IDMTest.IsZero() {
		past("idm_test_date", d.IDMTest, false)
	}
}

// CheckCount checks an absolute cell count against lo..hi and reports
// whether it is sane (so comparisons with it are worth making).
func CheckCount(v Violations, field string, x, lo, hi float64) bool {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		v.Add(field, "not a number")
	case x < 0:
		v.Add(field, "%g is negative", x)
	case x < lo:
		v.Add(field, "%g is implausibly low: counts are absolute numbers of cells (write 1.2e9, not 120)", x)
	case x > hi:
		v.Add(field, "%g is implausibly high (more than %g cells)", x, hi)
	default:
		return true
	}
	return false
}

// CheckVolume checks a volume in millilitres: 0 means not given.
func CheckVolume(v Violations, field string, x float64, required bool) {
	switch {
	case x == 0 && !required:
	case x == 0:
		v.Add(field, "required")
	case math.IsNaN(x) || x < 0:
		v.Add(field, "%g is not a volume", x)
	case x > MaxVolumeML:
		v.Add(field, "%g mL is implausibly large (volumes are in millilitres)", x)
	}
}

// CheckBetween checks that a whole number is within lo..hi.
func CheckBetween(v Violations, field string, x, lo, hi int) {
	if x < lo || x > hi {
		v.Add(field, "%d is outside %d..%d", x, lo, hi)
	}
}

// CheckText rejects over-long text and control characters, which break
// labels, exports and logs.
func CheckText(v Violations, field, s string, max int) {
	if len(s) > max {
		v.Add(field, "at most %d characters", max)
		return
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			v.Add(field, "contains a control character")
			return
		}
	}
}
