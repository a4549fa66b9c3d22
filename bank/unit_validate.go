package bank

import (
	"math"
	"strings"

	"github.com/cordbank/cordbank/bank/unit"
)

// The plausibility limits and the rules of a unit's dates, counts,
// volumes and text are package unit's; this file applies them, with the
// enumerations and the HLA reference data, to a bank.Unit.

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
	unit.Dates{Collection: u.CollectionDate, Processing: u.ProcessingDate, Freeze: u.FreezeDate,
		InfantBirth: u.InfantBirthDate, IDMTest: u.IDMTestDate}.Check(v, prefix, today)

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
	unit.CheckText(v, prefix+"ethnicity", u.Ethnicity, 64)

	unit.CheckVolume(v, prefix+"collection_volume_ml", u.CollectionVolumeML, true)
	unit.CheckVolume(v, prefix+"frozen_volume_ml", u.FrozenVolumeML, false)

	validateCells(&u.Cells, v, prefix+"cells.")

	unit.CheckBetween(v, prefix+"bags", u.Bags, 1, unit.MaxBags)
	unit.CheckBetween(v, prefix+"compartments_per_bag", u.CompartmentsPerBag, 1, unit.MaxCompartments)
	unit.CheckBetween(v, prefix+"attached_segments", u.AttachedSegments, 0, unit.MaxSegments)

	validateHLA(u.HLA, reader, true, v, prefix+"hla")
	u.HLARelease = ""
	if len(u.HLA) > 0 {
		u.HLARelease = reader.Release()
	}

	p := &u.Private
	unit.CheckText(v, prefix+"private.maternal_id", p.MaternalID, 64)
	unit.CheckText(v, prefix+"private.family_id", p.FamilyID, 64)
	unit.CheckText(v, prefix+"private.directed_recipient", p.DirectedRecipient, 64)
	if len(p.Notes) > 2000 {
		v.Add(prefix+"private.notes", "at most 2000 characters")
	}
	validateHLA(p.MaternalHLA, reader, false, v, prefix+"private.maternal_hla")
	if u.Type == UnitTypeDirected && p.DirectedRecipient == "" && p.FamilyID == "" {
		v.Add(prefix+"private.directed_recipient", "a directed unit needs its recipient or family id")
	}
}

func validateCells(c *CellCounts, v *Violations, prefix string) {
	count := func(field string, x float64, lo, hi float64) bool { return unit.CheckCount(v, prefix+field, x, lo, hi) }
	// Comparisons with the TNC are made only when the TNC itself is sane,
	// so one typo yields one violation, not a cascade.
	tncOK := false
	if c.PostProcessingTNC == 0 {
		v.Add(prefix+"post_processing_tnc", "required: the cryopreserved total nucleated cell count")
	} else {
		tncOK = count("post_processing_tnc", c.PostProcessingTNC, unit.MinTNC, unit.MaxTNC)
	}
	if c.PreProcessingTNC != nil && count("pre_processing_tnc", *c.PreProcessingTNC, unit.MinTNC, unit.MaxTNC) && tncOK && c.PostProcessingTNC > *c.PreProcessingTNC*1.1 {
		// Processing loses cells; more than 10 % gain means a swapped or mistyped count.
		v.Add(prefix+"post_processing_tnc", "%g is more than the pre-processing count %g", c.PostProcessingTNC, *c.PreProcessingTNC)
	}
	if c.PreProcessingCD34 != nil {
		count("pre_processing_cd34", *c.PreProcessingCD34, 0, unit.MaxCD34)
	}
	if c.PostProcessingCD34 != nil && count("post_processing_cd34", *c.PostProcessingCD34, 0, unit.MaxCD34) && tncOK && *c.PostProcessingCD34 > c.PostProcessingTNC {
		v.Add(prefix+"post_processing_cd34", "%g CD34+ cells is more than the %g nucleated cells", *c.PostProcessingCD34, c.PostProcessingTNC)
	}
	if c.ViabilityPercent != nil {
		if x := *c.ViabilityPercent; math.IsNaN(x) || x < 0 || x > 100 {
			v.Add(prefix+"viability_percent", "%g is not a percentage between 0 and 100", x)
		}
	}
	if c.CFU != nil {
		count("cfu", *c.CFU, 0, unit.MaxTNC)
	}
	if c.NucleatedRBC != nil {
		count("nucleated_rbc", *c.NucleatedRBC, 0, unit.MaxTNC)
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
