package bank

import (
	"math"
	"strings"
	"unicode"

	"github.com/cordbank/cordbank/bank/unit"
)

// Limits of plausible values. A value outside them is almost always a data
// entry error (a count typed in x10^7 units, a volume in litres), and a
// wrong count changes which patient a unit is offered to, so it is refused
// rather than stored.
const (
	// firstCordBank: no cord unit was collected before public banking began
	// (the first cord transplant was in 1988).
	firstCollectionYear = 1988
	maxVolumeML         = 500
	// minTNC rejects counts entered in x10^7 or x10^8 units: a banked unit
	// has at least ~1e8 nucleated cells; 1e6 leaves room for research units.
	minTNC             = 1e6
	maxTNC             = 1e11
	maxCD34            = 1e9
	maxBags            = 10
	maxCompartments    = 5
	maxSegments        = 20
	maxTextLen         = 200
	maxBirthToCollDays = 2
)

// validateUnit records every problem with u. today is the date against
// which "in the future" is judged.
func validateUnit(u *Unit, today unit.Date, reader *HLAReader, v *Violations, prefix string) {
	if u.DIN == "" {
		v.Add(prefix+"din", "required")
	} else if d, err := unit.ParseDIN(string(u.DIN)); err != nil || d != u.DIN {
		v.Add(prefix+"din", "%q is not a normalized 13-character DIN", u.DIN)
	}
	if !unitTypes[u.Type] {
		v.Add(prefix+"unit_type", "required: one of PUBLIC, AUTOLOGOUS, DIRECTED")
	}
	if len(u.LocalID) > 64 {
		v.Add(prefix+"local_id", "at most 64 characters")
	}

	// Dates: each must be real, not in the future, and in lifecycle order.
	past := func(field string, d unit.Date, required bool) bool {
		switch {
		case d.IsZero():
			if required {
				v.Add(prefix+field, "required")
			}
			return false
		case d.Year < firstCollectionYear:
			v.Add(prefix+field, "%s is before %d, when cord blood banking began", d, firstCollectionYear)
			return false
		case today.Before(d):
			v.Add(prefix+field, "%s is in the future", d)
			return false
		}
		return true
	}
	collOK := past("collection_date", u.CollectionDate, true)
	procOK := past("processing_date", u.ProcessingDate, true)
	freezeOK := past("freeze_date", u.FreezeDate, false)
	birthOK := past("infant_birth_date", u.InfantBirthDate, true)
	if collOK && procOK && u.ProcessingDate.Before(u.CollectionDate) {
		v.Add(prefix+"processing_date", "%s is before the collection date %s", u.ProcessingDate, u.CollectionDate)
	}
	if procOK && freezeOK && u.FreezeDate.Before(u.ProcessingDate) {
		v.Add(prefix+"freeze_date", "%s is before the processing date %s", u.FreezeDate, u.ProcessingDate)
	}
	if collOK && birthOK {
		if u.CollectionDate.Before(u.InfantBirthDate) {
			v.Add(prefix+"infant_birth_date", "%s is after the collection date %s: cord blood is collected at birth", u.InfantBirthDate, u.CollectionDate)
		} else if u.InfantBirthDate.AddDays(maxBirthToCollDays).Before(u.CollectionDate) {
			v.Add(prefix+"collection_date", "%s is more than %d days after the infant's birth %s: cord blood is collected at birth", u.CollectionDate, maxBirthToCollDays, u.InfantBirthDate)
		}
	}
	if !u.IDMTestDate.IsZero() {
		past("idm_test_date", u.IDMTestDate, false)
	}

	if !procMethods[u.ProcessingMethod] {
		v.Add(prefix+"processing_method", "required: one of HES, DGS, CEN, FIL, FIC, PER, OTH")
	}
	if !reductions[u.Reduction] {
		v.Add(prefix+"reduction", "required: one of PLASMA_AND_RBC, PLASMA_ONLY, RBC_ONLY, NONE")
	}
	if !sexes[u.InfantSex] {
		v.Add(prefix+"infant_sex", "required: one of FEMALE, MALE, UNKNOWN")
	}
	if !abos[u.ABO] {
		v.Add(prefix+"abo", "required: one of A, B, AB, O")
	}
	if !rhs[u.Rh] {
		v.Add(prefix+"rh", "required: one of POSITIVE, NEGATIVE")
	}
	if !idmResults[u.IDM] {
		v.Add(prefix+"idm", "required: one of PENDING, NEGATIVE, REACTIVE")
	}
	checkText(v, prefix+"ethnicity", u.Ethnicity, 64)

	volume(v, prefix+"collection_volume_ml", u.CollectionVolumeML, true)
	volume(v, prefix+"frozen_volume_ml", u.FrozenVolumeML, false)

	validateCells(&u.Cells, v, prefix+"cells.")

	between(v, prefix+"bags", u.Bags, 1, maxBags)
	between(v, prefix+"compartments_per_bag", u.CompartmentsPerBag, 1, maxCompartments)
	between(v, prefix+"attached_segments", u.AttachedSegments, 0, maxSegments)

	validateHLA(u.HLA, reader, true, v, prefix+"hla")
	u.HLARelease = ""
	if len(u.HLA) > 0 {
		u.HLARelease = reader.Release()
	}

	p := &u.Private
	checkText(v, prefix+"private.maternal_id", p.MaternalID, 64)
	checkText(v, prefix+"private.family_id", p.FamilyID, 64)
	checkText(v, prefix+"private.directed_recipient", p.DirectedRecipient, 64)
	if len(p.Notes) > 2000 {
		v.Add(prefix+"private.notes", "at most 2000 characters")
	}
	validateHLA(p.MaternalHLA, reader, false, v, prefix+"private.maternal_hla")
	if u.Type == UnitTypeDirected && p.DirectedRecipient == "" && p.FamilyID == "" {
		v.Add(prefix+"private.directed_recipient", "a directed unit needs its recipient or family id")
	}
}

func validateCells(c *CellCounts, v *Violations, prefix string) {
	count := func(field string, x float64, lo, hi float64) bool {
		switch {
		case math.IsNaN(x) || math.IsInf(x, 0):
			v.Add(prefix+field, "not a number")
		case x < 0:
			v.Add(prefix+field, "%g is negative", x)
		case x < lo:
			v.Add(prefix+field, "%g is implausibly low: counts are absolute numbers of cells (write 1.2e9, not 120)", x)
		case x > hi:
			v.Add(prefix+field, "%g is implausibly high (more than %g cells)", x, hi)
		default:
			return true
		}
		return false
	}
	// Comparisons with the TNC are made only when the TNC itself is sane,
	// so one typo yields one violation, not a cascade.
	tncOK := false
	if c.PostProcessingTNC == 0 {
		v.Add(prefix+"post_processing_tnc", "required: the cryopreserved total nucleated cell count")
	} else {
		tncOK = count("post_processing_tnc", c.PostProcessingTNC, minTNC, maxTNC)
	}
	if c.PreProcessingTNC != nil && count("pre_processing_tnc", *c.PreProcessingTNC, minTNC, maxTNC) && tncOK && c.PostProcessingTNC > *c.PreProcessingTNC*1.1 {
		// Processing loses cells; more than 10 % gain means a swapped or mistyped count.
		v.Add(prefix+"post_processing_tnc", "%g is more than the pre-processing count %g", c.PostProcessingTNC, *c.PreProcessingTNC)
	}
	if c.PreProcessingCD34 != nil {
		count("pre_processing_cd34", *c.PreProcessingCD34, 0, maxCD34)
	}
	if c.PostProcessingCD34 != nil && count("post_processing_cd34", *c.PostProcessingCD34, 0, maxCD34) && tncOK && *c.PostProcessingCD34 > c.PostProcessingTNC {
		v.Add(prefix+"post_processing_cd34", "%g CD34+ cells is more than the %g nucleated cells", *c.PostProcessingCD34, c.PostProcessingTNC)
	}
	if c.ViabilityPercent != nil {
		if x := *c.ViabilityPercent; math.IsNaN(x) || x < 0 || x > 100 {
			v.Add(prefix+"viability_percent", "%g is not a percentage between 0 and 100", x)
		}
	}
	if c.CFU != nil {
		count("cfu", *c.CFU, 0, maxTNC)
	}
	if c.NucleatedRBC != nil {
		count("nucleated_rbc", *c.NucleatedRBC, 0, maxTNC)
	}
}

// validateHLA reads every typing with reader, canonicalizes its locus and
// sorts the typings in canonical locus order; keepReading stores each
// typing's Reading (unit typings) or clears it (maternal typings, which
// are checked but not kept in reduced form).
func validateHLA(typings []LocusTyping, reader *HLAReader, keepReading bool, v *Violations, prefix string) {
	seen := map[string]bool{}
	for i := range typings {
		t := &typings[i]
		field := prefix + "." + strings.ToLower(t.Locus)
		t.Reading = TypingReading{}
		if strings.TrimSpace(t.Text) == "" {
			v.Add(field, "empty typing")
			continue
		}
		if len(t.Text) > 4096 {
			v.Add(field, "typing longer than 4096 characters")
			continue
		}
		read, err := reader.Read(t.Locus, t.Text)
		if err != nil {
			v.Add(field, "%v", err)
			continue
		}
		t.Locus = read.Locus
		if keepReading {
			t.Reading = read.Reading
		}
		field = prefix + "." + strings.ToLower(t.Locus)
		if seen[t.Locus] {
			v.Add(field, "locus %s typed twice", t.Locus)
		}
		seen[t.Locus] = true
	}
	sortTypings(typings)
}

func volume(v *Violations, field string, x float64, required bool) {
	switch {
	case x == 0 && !required:
	case x == 0:
		v.Add(field, "required")
	case math.IsNaN(x) || x < 0:
		v.Add(field, "%g is not a volume", x)
	case x > maxVolumeML:
		v.Add(field, "%g mL is implausibly large (volumes are in millilitres)", x)
	}
}

func between(v *Violations, field string, x, lo, hi int) {
	if x < lo || x > hi {
		v.Add(field, "%d is outside %d..%d", x, lo, hi)
	}
}

// checkText rejects over-long text and control characters, which break
// labels, exports and logs.
func checkText(v *Violations, field, s string, max int) {
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
