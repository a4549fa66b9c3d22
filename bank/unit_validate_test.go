package bank_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// errReached is what stubStore returns: a request that gets this far passed
// validation.
var errReached = errors.New("validation passed: reached the store")

// stubStore fails every transaction, so tests of request validation need no
// database and can tell "refused" from "accepted".
type stubStore struct{}

func (stubStore) Read(context.Context, func(bank.ReadTx) error) error { return errReached }
func (stubStore) Write(context.Context, func(bank.Tx) error) error    { return errReached }
func (stubStore) Ping(context.Context) error                          { return nil }
func (stubStore) Close() error                                        { return nil }

func newService(opts ...bank.Option) *bank.Service {
	return bank.NewService(stubStore{}, append([]bank.Option{bank.WithClock(banktest.Clock)}, opts...)...)
}

func fields(vs []bank.Violation) []string {
	var out []string
	for _, v := range vs {
		if !slices.Contains(out, v.Field) {
			out = append(out, v.Field)
		}
	}
	return out
}

func d(y int, m time.Month, day int) unit.Date { return unit.Date{Year: y, Month: m, Day: day} }
func p(x float64) *float64                     { return &x }

// unitRules has one case per rule of validateUnit: the mutation that breaks
// it and the only field that must be reported. An empty field means the
// mutation is valid (boundaries and optional values).
var unitRules = []struct {
	name   string
	mutate func(u *bank.Unit)
	field  string
}{
	{"valid fixture", func(u *bank.Unit) {}, ""},
	{"unit type missing", func(u *bank.Unit) { u.Type = "" }, "unit.unit_type"},
	{"unit type unknown", func(u *bank.Unit) { u.Type = "FAMILY" }, "unit.unit_type"},
	{"local id too long", func(u *bank.Unit) { u.LocalID = strings.Repeat("x", 65) }, "unit.local_id"},
	{"local id 64", func(u *bank.Unit) { u.LocalID = strings.Repeat("x", 64) }, ""},

	{"collection date missing", func(u *bank.Unit) { u.CollectionDate = unit.Date{} }, "unit.collection_date"},
	{"collection date before 1988", func(u *bank.Unit) { u.CollectionDate = d(1987, 12, 31) }, "unit.collection_date"},
	{"collection date in the future", func(u *bank.Unit) { u.CollectionDate = d(2026, 6, 16) }, "unit.collection_date"},
	{"processing date missing", func(u *bank.Unit) { u.ProcessingDate = unit.Date{} }, "unit.processing_date"},
	{"processing date in the future", func(u *bank.Unit) { u.ProcessingDate = d(2027, 1, 1) }, "unit.processing_date"},
	{"processing before collection", func(u *bank.Unit) { u.ProcessingDate, u.FreezeDate = d(2024, 3, 16), d(2024, 3, 16) }, "unit.processing_date"},
	{"processing on collection day", func(u *bank.Unit) { u.ProcessingDate = d(2024, 3, 17) }, ""},
	{"freeze date optional", func(u *bank.Unit) { u.FreezeDate = unit.Date{} }, ""},
	{"freeze before processing", func(u *bank.Unit) { u.FreezeDate = d(2024, 3, 17) }, "unit.freeze_date"},
	{"freeze date in the future", func(u *bank.Unit) { u.FreezeDate = d(2026, 12, 1) }, "unit.freeze_date"},
	{"freeze date before 1988", func(u *bank.Unit) { u.FreezeDate = d(1900, 1, 1) }, "unit.freeze_date"},
	{"birth date missing", func(u *bank.Unit) { u.InfantBirthDate = unit.Date{} }, "unit.infant_birth_date"},
	{"birth date in the future", func(u *bank.Unit) { u.InfantBirthDate = d(2030, 1, 1) }, "unit.infant_birth_date"},
	{"birth after collection", func(u *bank.Unit) { u.InfantBirthDate = d(2024, 3, 18) }, "unit.infant_birth_date"},
	{"collection 3 days after birth", func(u *bank.Unit) { u.InfantBirthDate = d(2024, 3, 14) }, "unit.collection_date"},
	{"collection 2 days after birth", func(u *bank.Unit) { u.InfantBirthDate = d(2024, 3, 15) }, ""},
	{"idm test date in the future", func(u *bank.Unit) { u.IDMTestDate = d(2026, 6, 20) }, "unit.idm_test_date"},
	{"idm test date before 1988", func(u *bank.Unit) { u.IDMTestDate = d(1980, 1, 1) }, "unit.idm_test_date"},
	{"idm test date optional", func(u *bank.Unit) { u.IDMTestDate = unit.Date{} }, ""},
	{"today is not the future", func(u *bank.Unit) {
		u.CollectionDate, u.ProcessingDate, u.FreezeDate, u.InfantBirthDate, u.IDMTestDate = d(2026, 6, 15), d(2026, 6, 15), d(2026, 6, 15), d(2026, 6, 15), d(2026, 6, 15)
	}, ""},

	{"processing method missing", func(u *bank.Unit) { u.ProcessingMethod = "" }, "unit.processing_method"},
	{"processing method unknown", func(u *bank.Unit) { u.ProcessingMethod = "hes" }, "unit.processing_method"},
	{"reduction unknown", func(u *bank.Unit) { u.Reduction = "RBC" }, "unit.reduction"},
	{"infant sex unknown", func(u *bank.Unit) { u.InfantSex = "F" }, "unit.infant_sex"},
	{"abo digit zero", func(u *bank.Unit) { u.ABO = "0" }, "unit.abo"},
	{"abo missing", func(u *bank.Unit) { u.ABO = "" }, "unit.abo"},
	{"rh symbol", func(u *bank.Unit) { u.Rh = "+" }, "unit.rh"},
	{"idm missing", func(u *bank.Unit) { u.IDM = "" }, "unit.idm"},
	{"ethnicity too long", func(u *bank.Unit) { u.Ethnicity = strings.Repeat("e", 65) }, "unit.ethnicity"},
	{"ethnicity control character", func(u *bank.Unit) { u.Ethnicity = "EUR\n" }, "unit.ethnicity"},

	{"collection volume missing", func(u *bank.Unit) { u.CollectionVolumeML = 0 }, "unit.collection_volume_ml"},
	{"collection volume negative", func(u *bank.Unit) { u.CollectionVolumeML = -5 }, "unit.collection_volume_ml"},
	{"collection volume NaN", func(u *bank.Unit) { u.CollectionVolumeML = math.NaN() }, "unit.collection_volume_ml"},
	{"collection volume in litres", func(u *bank.Unit) { u.CollectionVolumeML = 501 }, "unit.collection_volume_ml"},
	{"frozen volume unknown", func(u *bank.Unit) { u.FrozenVolumeML = 0 }, ""},
	{"frozen volume negative", func(u *bank.Unit) { u.FrozenVolumeML = -1 }, "unit.frozen_volume_ml"},
	{"frozen volume too large", func(u *bank.Unit) { u.FrozenVolumeML = 600 }, "unit.frozen_volume_ml"},

	{"tnc missing", func(u *bank.Unit) { u.Cells.PostProcessingTNC = 0 }, "unit.cells.post_processing_tnc"},
	{"tnc in x10^7", func(u *bank.Unit) { u.Cells.PostProcessingTNC = 120 }, "unit.cells.post_processing_tnc"},
	{"tnc too high", func(u *bank.Unit) { u.Cells.PostProcessingTNC = 2e11 }, "unit.cells.post_processing_tnc"},
	{"tnc negative", func(u *bank.Unit) { u.Cells.PostProcessingTNC = -1.2e9 }, "unit.cells.post_processing_tnc"},
	{"tnc NaN", func(u *bank.Unit) { u.Cells.PostProcessingTNC = math.NaN() }, "unit.cells.post_processing_tnc"},
	{"tnc infinite", func(u *bank.Unit) { u.Cells.PostProcessingTNC = math.Inf(1) }, "unit.cells.post_processing_tnc"},
	{"pre tnc too low", func(u *bank.Unit) { u.Cells.PreProcessingTNC = p(5e5) }, "unit.cells.pre_processing_tnc"},
	{"pre tnc unknown", func(u *bank.Unit) { u.Cells.PreProcessingTNC = nil }, ""},
	{"tnc grew in processing", func(u *bank.Unit) { u.Cells.PreProcessingTNC = p(1.0e9) }, "unit.cells.post_processing_tnc"},
	{"tnc grew within 10 %", func(u *bank.Unit) { u.Cells.PreProcessingTNC = p(1.1e9) }, ""},
	{"pre cd34 negative", func(u *bank.Unit) { u.Cells.PreProcessingCD34 = p(-1) }, "unit.cells.pre_processing_cd34"},
	{"pre cd34 too high", func(u *bank.Unit) { u.Cells.PreProcessingCD34 = p(2e9) }, "unit.cells.pre_processing_cd34"},
	{"cd34 too high", func(u *bank.Unit) { u.Cells.PostProcessingCD34 = p(2e9) }, "unit.cells.post_processing_cd34"},
	{"cd34 NaN", func(u *bank.Unit) { u.Cells.PostProcessingCD34 = p(math.NaN()) }, "unit.cells.post_processing_cd34"},
	{"cd34 above tnc", func(u *bank.Unit) {
		u.Cells.PostProcessingTNC, u.Cells.PostProcessingCD34 = 5e6, p(8e6)
	}, "unit.cells.post_processing_cd34"},
	{"cd34 zero", func(u *bank.Unit) { u.Cells.PostProcessingCD34 = p(0) }, ""},
	{"viability above 100", func(u *bank.Unit) { u.Cells.ViabilityPercent = p(101) }, "unit.cells.viability_percent"},
	{"viability negative", func(u *bank.Unit) { u.Cells.ViabilityPercent = p(-1) }, "unit.cells.viability_percent"},
	{"viability NaN", func(u *bank.Unit) { u.Cells.ViabilityPercent = p(math.NaN()) }, "unit.cells.viability_percent"},
	{"viability 100", func(u *bank.Unit) { u.Cells.ViabilityPercent = p(100) }, ""},
	{"cfu negative", func(u *bank.Unit) { u.Cells.CFU = p(-3) }, "unit.cells.cfu"},
	{"cfu too high", func(u *bank.Unit) { u.Cells.CFU = p(2e11) }, "unit.cells.cfu"},
	{"nucleated rbc negative", func(u *bank.Unit) { u.Cells.NucleatedRBC = p(-3) }, "unit.cells.nucleated_rbc"},
	{"nucleated rbc infinite", func(u *bank.Unit) { u.Cells.NucleatedRBC = p(math.Inf(1)) }, "unit.cells.nucleated_rbc"},

	{"no bags", func(u *bank.Unit) { u.Bags = 0 }, "unit.bags"},
	{"11 bags", func(u *bank.Unit) { u.Bags = 11 }, "unit.bags"},
	{"10 bags", func(u *bank.Unit) { u.Bags = 10 }, ""},
	{"no compartments", func(u *bank.Unit) { u.CompartmentsPerBag = 0 }, "unit.compartments_per_bag"},
	{"6 compartments", func(u *bank.Unit) { u.CompartmentsPerBag = 6 }, "unit.compartments_per_bag"},
	{"negative segments", func(u *bank.Unit) { u.AttachedSegments = -1 }, "unit.attached_segments"},
	{"21 segments", func(u *bank.Unit) { u.AttachedSegments = 21 }, "unit.attached_segments"},
	{"no segments", func(u *bank.Unit) { u.AttachedSegments = 0 }, ""},

	{"hla empty typing", func(u *bank.Unit) { u.HLA[0].Text = "  " }, "unit.hla.a"},
	{"hla typing too long", func(u *bank.Unit) { u.HLA[1].Text = strings.Repeat("B", 4097) }, "unit.hla.b"},
	{"hla refused by checker", func(u *bank.Unit) { u.HLA[2].Text = "C*BAD" }, "unit.hla.c"},
	{"hla locus twice", func(u *bank.Unit) { u.HLA = append(u.HLA, bank.LocusTyping{Locus: "DRB1", Text: "DRB1*01:01"}) }, "unit.hla.drb1"},
	{"hla locus twice after canonicalization", func(u *bank.Unit) {
		u.HLA = append(u.HLA, bank.LocusTyping{Locus: "hla-a", Text: "A*01:01"})
	}, "unit.hla.a"},
	{"hla none", func(u *bank.Unit) { u.HLA = nil }, ""},
	// Issue 13: stored, but never searchable nor counted as excluded.
	{"hla three copies", func(u *bank.Unit) { u.HLA[0].Text = "A*02:01+A*24:02+A*03:01" }, "unit.hla.a"},
	{"hla three copies in one alternative", func(u *bank.Unit) { u.HLA[0].Text = "A*02:01+A*24:02|A*02:01+A*24:02+A*03:01" }, "unit.hla.a"},
	{"hla two alternatives", func(u *bank.Unit) { u.HLA[0].Text = "A*02:01+A*24:02|A*02:01+A*03:01" }, ""},

	{"maternal id too long", func(u *bank.Unit) { u.Private.MaternalID = strings.Repeat("m", 65) }, "unit.private.maternal_id"},
	{"maternal id control character", func(u *bank.Unit) { u.Private.MaternalID = "M\x00" }, "unit.private.maternal_id"},
	{"family id too long", func(u *bank.Unit) { u.Private.FamilyID = strings.Repeat("f", 65) }, "unit.private.family_id"},
	{"directed recipient control character", func(u *bank.Unit) { u.Private.DirectedRecipient = "R\t1" }, "unit.private.directed_recipient"},
	{"notes too long", func(u *bank.Unit) { u.Private.Notes = strings.Repeat("n", 2001) }, "unit.private.notes"},
	{"notes with newlines", func(u *bank.Unit) { u.Private.Notes = "line 1\nline 2" }, ""},
	{"maternal hla empty", func(u *bank.Unit) {
		u.Private.MaternalHLA = []bank.LocusTyping{{Locus: "A", Text: ""}}
	}, "unit.private.maternal_hla.a"},
	{"maternal hla refused", func(u *bank.Unit) {
		u.Private.MaternalHLA = []bank.LocusTyping{{Locus: "B", Text: "BAD"}}
	}, "unit.private.maternal_hla.b"},
	{"directed without recipient", func(u *bank.Unit) { u.Type = bank.UnitTypeDirected }, "unit.private.directed_recipient"},
	{"directed with family id", func(u *bank.Unit) { u.Type, u.Private.FamilyID = bank.UnitTypeDirected, "FAM-1" }, ""},
	{"autologous", func(u *bank.Unit) { u.Type = bank.UnitTypeAutologous }, ""},
}

func TestValidateUnitRules(t *testing.T) {
	svc := newService()
	for _, tc := range unitRules {
		t.Run(tc.name, func(t *testing.T) {
			u := banktest.ValidUnit("bank-a", banktest.DIN("B1234", 24, 1))
			tc.mutate(u)
			got := fields(svc.ValidateUnit(u))
			var want []string
			if tc.field != "" {
				want = []string{tc.field}
			}
			if !slices.Equal(got, want) {
				t.Errorf("violations of %v; want exactly %v\n%v", got, want, svc.ValidateUnit(u))
			}
		})
	}
}

// TestValidateUnitListsEveryProblem: a unit with several bad fields gets
// all of them in one error, sorted by field.
func TestValidateUnitListsEveryProblem(t *testing.T) {
	svc := newService()
	u := banktest.ValidUnit("bank-a", banktest.DIN("B1234", 24, 1))
	var want []string
	for _, tc := range unitRules {
		if tc.field == "" || slices.Contains(want, tc.field) {
			continue
		}
		// Independent rules only: skip those whose field another mutation
		// already disabled (date order needs both dates valid).
		switch tc.name {
		case "tnc missing", "collection date missing", "processing date missing", "birth date missing",
			"processing before collection", "freeze before processing", "birth after collection",
			"collection 3 days after birth", "tnc grew in processing", "cd34 above tnc",
			"hla locus twice", "hla locus twice after canonicalization", "hla typing too long", "hla refused by checker",
			"hla three copies", "hla three copies in one alternative",
			"maternal hla refused", "directed without recipient":
			continue
		}
		tc.mutate(u)
		want = append(want, tc.field)
	}
	slices.Sort(want)
	got := svc.ValidateUnit(u)
	if gf := fields(got); !slices.Equal(gf, want) {
		t.Errorf("fields %v\nwant %v", gf, want)
	}
	if !slices.IsSortedFunc(got, func(a, b bank.Violation) int { return strings.Compare(a.Field, b.Field) }) {
		t.Errorf("violations not sorted by field: %v", got)
	}

	_, err := svc.CreateUnit(t.Context(), u, "bad id")
	var be *bank.Error
	if !errors.As(err, &be) || be.Kind != bank.KindInvalid || be.Reason != bank.ReasonInvalidArgument {
		t.Fatalf("CreateUnit: err = %v, want invalid argument", err)
	}
	if gf := fields(be.Violations); !slices.Equal(gf, slices.Sorted(slices.Values(append(want, "request_id")))) {
		t.Errorf("CreateUnit violations %v, want %v and request_id", gf, want)
	}
}

// TestValidUnitPassesRealHLACheck: the banktest fixtures are valid under
// the default checker (bank/hla syntax), not only under testChecker.
func TestValidUnitPassesRealHLACheck(t *testing.T) {
	svc := newService()
	for _, u := range []*bank.Unit{
		banktest.ValidUnit("bank-a", banktest.DIN("B1234", 24, 1)),
	} {
		if vs := svc.ValidateUnit(u); len(vs) > 0 {
			t.Errorf("ValidUnit %s: %v", u.DIN, vs)
		}
	}
}

func TestCreateUnitIgnoresServerFields(t *testing.T) {
	svc := newService()
	u := banktest.ValidUnit("bank-a", banktest.DIN("B1234", 24, 1))
	u.Status, u.Version = lifecycle.StatusShipped, 9
	if _, err := svc.CreateUnit(t.Context(), u, ""); !errors.Is(err, errReached) {
		t.Fatalf("CreateUnit: %v, want to reach the store", err)
	}
	if u.Status != lifecycle.StatusShipped || u.Version != 9 {
		t.Errorf("CreateUnit changed its argument")
	}
}
