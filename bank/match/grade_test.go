package match

import (
	"strings"
	"testing"
)

type locusCase struct {
	name          string
	patient, unit string // typings of one locus; unit "" = untyped
	lv            Level
	matches, def  int
	gvh, hvg      int
	cross         bool
	note          string // substring expected in Notes
}

func runLocusCases(t *testing.T, g *Grader, cases []locusCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := prep(t, g, c.patient)
			u := prep(t, g, c.unit)
			locus := typings(c.patient)[0].Locus
			lg, ok := g.GradeLocus(p, u, locus, c.lv)
			if !ok {
				t.Fatal("patient locus not graded")
			}
			if lg.Matches != c.matches || lg.Definite != c.def || lg.GvH != c.gvh || lg.HvG != c.hvg || lg.Cross != c.cross {
				t.Errorf("got matches=%d definite=%d gvh=%d hvg=%d cross=%v, want %d %d %d %d %v (%+v)",
					lg.Matches, lg.Definite, lg.GvH, lg.HvG, lg.Cross, c.matches, c.def, c.gvh, c.hvg, c.cross, lg.Positions)
			}
			if c.note != "" && !strings.Contains(strings.Join(lg.Notes, "|"), c.note) {
				t.Errorf("notes %q lack %q", lg.Notes, c.note)
			}
		})
	}
}

// Rules of domain.md §4.2 against IPD-IMGT/HLA 3.24.0.
func TestGradeLocusIMGT3240(t *testing.T) {
	g := realGrader(t)
	runLocusCases(t, g, []locusCase{
		// rule 1: orientation
		{name: "direct identical", patient: "A*02:01+A*24:02", unit: "A*02:01+A*24:02", lv: LevelAllele, matches: 2, def: 2},
		{name: "cross kept", patient: "A*02:01+A*24:02", unit: "A*24:02+A*02:01", lv: LevelAllele, matches: 2, def: 2, cross: true},
		{name: "cross one match", patient: "A*02:01+A*24:02", unit: "A*11:01+A*02:01", lv: LevelAllele, matches: 1, def: 1, gvh: 1, hvg: 1, cross: true},
		// rule 2: allele level is 2-field ARD (lgx): 4-field name equals its 2-field name
		{name: "lgx of 4-field", patient: "A*02:01:01:01+A*24:02", unit: "A*02:01+A*24:02:01:01", lv: LevelAllele, matches: 2, def: 2},
		{name: "allele mismatch same antigen", patient: "A*02:01+A*24:02", unit: "A*02:05+A*24:02", lv: LevelAllele, matches: 1, def: 1, gvh: 1, hvg: 1},
		{name: "antigen match of A*02:05", patient: "A*02:01+A*24:02", unit: "A*02:05+A*24:02", lv: LevelAntigen, matches: 2, def: 2},
		// rule 4: direction
		{name: "homozygous patient is rejection-only", patient: "A*02:01", unit: "A*02:01+A*24:02", lv: LevelAllele, matches: 1, def: 1, hvg: 1},
		{name: "homozygous patient listed twice", patient: "A*02:01+A*02:01", unit: "A*24:02+A*02:01", lv: LevelAllele, matches: 1, def: 1, hvg: 1},
		{name: "homozygous unit is GvH-only", patient: "A*02:01+A*24:02", unit: "A*02:01", lv: LevelAllele, matches: 1, def: 1, gvh: 1},
		{name: "bidirectional", patient: "A*02:01+A*24:02", unit: "A*02:01+A*11:01", lv: LevelAllele, matches: 1, def: 1, gvh: 1, hvg: 1},
		{name: "two mismatches", patient: "A*02:01+A*24:02", unit: "A*11:01+A*29:02", lv: LevelAllele, gvh: 2, hvg: 2},
		// rule 5 and the ATLAS null rule
		{name: "patient null read as homozygous", patient: "A*01:01:01:02N+A*02:01", unit: "A*02:01", lv: LevelAllele, matches: 2, def: 2, note: "patient null allele"},
		{name: "patient null, unit heterozygous", patient: "A*01:01:01:02N+A*02:01", unit: "A*02:01+A*24:02", lv: LevelAllele, matches: 1, def: 1, hvg: 1},
		{name: "unit null is GvH-only", patient: "A*02:01+A*24:02", unit: "A*01:01:01:02N+A*02:01", lv: LevelAllele, matches: 1, def: 1, gvh: 1, note: "unit null allele"},
		{name: "null never matches itself (antigen)", patient: "A*01:01:01:02N", unit: "A*01:01:01:02N", lv: LevelAntigen, gvh: 2, hvg: 2},
		{name: "null never matches itself (allele)", patient: "A*01:01:01:02N", unit: "A*01:01:01:02N", lv: LevelAllele, gvh: 2, hvg: 2},
		{name: "possible null is potential", patient: "A*01:01:01:01/A*01:01:01:02N+A*02:01", unit: "A*01:01+A*02:01", lv: LevelAllele, matches: 2, def: 1},
		// broad/split (rel_ser_ser.txt 3.24.0: A;9;23/24; A;24;;2403; B;16;38/39; B;39;;3901/3902)
		{name: "broad matches split", patient: "A=A9+A2", unit: "A*24:02+A*02:01", lv: LevelAntigen, matches: 2, def: 2},
		{name: "split matches associated", patient: "A=A24+A2", unit: "A*24:03+A*02:01", lv: LevelAntigen, matches: 2, def: 2},
		{name: "broad matches associated of split", patient: "A=A9+A2", unit: "A*24:03+A*02:01", lv: LevelAntigen, matches: 2, def: 2},
		{name: "sibling splits mismatch", patient: "A*23:01+A*02:01", unit: "A*24:02+A*02:01", lv: LevelAntigen, matches: 1, def: 1, gvh: 1, hvg: 1},
		{name: "sibling associated mismatch", patient: "B*39:01+B*07:02", unit: "B*39:02+B*07:02", lv: LevelAntigen, matches: 1, def: 1, gvh: 1, hvg: 1},
		{name: "B38 vs B3901 mismatch", patient: "B*38:01+B*07:02", unit: "B*39:01+B*07:02", lv: LevelAntigen, matches: 1, def: 1, gvh: 1, hvg: 1},
		{name: "C without serology uses allele group (WMDA)", patient: "C*12:02+C*07:01", unit: "C*12:03+C*07:01", lv: LevelAntigen, matches: 2, def: 2},
		// ambiguity: potential, never definite
		{name: "allele list", patient: "A*02:01+A*24:02", unit: "A*02:01/A*02:05+A*24:02", lv: LevelAllele, matches: 2, def: 1},
		{name: "allele list of one lgx is definite", patient: "A*02:01+A*24:02", unit: "A*02:01:01:01/A*02:01:02+A*24:02", lv: LevelAllele, matches: 2, def: 2},
		{name: "XX code", patient: "DRB1*15:01+DRB1*04:01", unit: "DRB1*15:XX+DRB1*04:01", lv: LevelAllele, matches: 2, def: 1},
		{name: "XX code other group", patient: "DRB1*15:01+DRB1*04:01", unit: "DRB1*16:XX+DRB1*04:01", lv: LevelAllele, matches: 1, def: 1, gvh: 1, hvg: 1},
		{name: "unresolved MAC", patient: "A*02:01+A*24:02", unit: "A*02:AB+A*24:02", lv: LevelAllele, matches: 2, def: 1},
		{name: "serology where allele needed", patient: "A*02:01+A*24:02", unit: "A=A2+A24", lv: LevelAllele, matches: 2},
		{name: "serology at antigen level", patient: "A*02:01+A*24:02", unit: "A=A2+A24", lv: LevelAntigen, matches: 2, def: 2},
		{name: "genotype list", patient: "A*02:01+A*24:02", unit: "A*02:01+A*24:02|A*02:05+A*24:02", lv: LevelAllele, matches: 2, note: "genotype list"},
		{name: "NEW never matches", patient: "A*02:01+A*24:02", unit: "A*NEW+A*24:02", lv: LevelAllele, matches: 1, def: 1, gvh: 1, hvg: 1},
		{name: "untyped unit locus", patient: "C*07:01+C*07:02", unit: "", lv: LevelAllele, matches: 2, note: "not typed"},
		// G level: 2-field typings span several G groups
		{name: "G level definite", patient: "A*02:01:01:01+A*24:02:01:01", unit: "A*02:01:01:01+A*24:02:01:01", lv: LevelAlleleG, matches: 2, def: 2},
		{name: "G level from 2-field is potential", patient: "A*02:01+A*24:02", unit: "A*02:01+A*24:02", lv: LevelAlleleG, matches: 2},
	})
}

// Syntax-only mode: truncation and first-field antigens (less exact).
func TestGradeLocusSyntaxOnly(t *testing.T) {
	g := NewGrader(nil)
	runLocusCases(t, g, []locusCase{
		{name: "truncated lgx", patient: "A*02:01:01:01+A*24:02", unit: "A*02:01+A*24:02:01", lv: LevelAllele, matches: 2, def: 2},
		{name: "first field as antigen", patient: "A*02:01+A*24:02", unit: "A*02:05+A*24:03", lv: LevelAntigen, matches: 2, def: 2},
		{name: "serology vs allele group", patient: "A*02:01+A*24:02", unit: "A=A2+A24", lv: LevelAntigen, matches: 2, def: 2},
		{name: "no broad/split without reference", patient: "A=A9+A2", unit: "A*24:02+A*02:01", lv: LevelAntigen, matches: 1, def: 1, gvh: 1, hvg: 1},
	})
}

func TestGradeTotals(t *testing.T) {
	g := realGrader(t)
	patient := prep(t, g, "A*02:01+A*24:02; B*07:02+B*08:01; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01; DQB1*06:02+DQB1*03:02; DPB1*04:01+DPB1*02:01")
	unit := prep(t, g, "A*02:05+A*24:02; B*07:02+B*08:01; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01; DQB1*06:02+DQB1*03:01; DPB1*04:01+DPB1*03:01")
	for _, c := range []struct {
		crit      Criterion
		total     int
		direction Direction
		loci      string
	}{
		{Criterion6of6, 6, DirectionNone, "A,B,DRB1,C,DPB1"},
		{Criterion8of8, 7, DirectionBidirectional, "A,B,C,DRB1,DPB1"},
		{Criterion10of10, 8, DirectionBidirectional, "A,B,C,DRB1,DQB1,DPB1"},
	} {
		gr := g.Grade(patient, unit, c.crit, LevelAllele)
		var loci []string
		for _, lg := range gr.Loci {
			loci = append(loci, lg.Locus)
		}
		if gr.Total != c.total || gr.Definite != c.total || gr.Direction != c.direction || strings.Join(loci, ",") != c.loci || gr.CMismatch {
			t.Errorf("%s: %s %v loci %v cmis %v; want %d/%d %v %s", c.crit, gr.String(), gr.Direction, loci, gr.CMismatch, c.total, c.crit.Total(), c.direction, c.loci)
		}
		if dp := gr.Locus("DPB1"); dp == nil || dp.Counted || dp.Matches != 1 {
			t.Errorf("%s: DPB1 must be reported, not counted: %+v", c.crit, dp)
		}
	}
	// 6/6 still reports a C mismatch for the ranking rule.
	unitC := prep(t, g, "A*02:01+A*24:02; B*07:02+B*08:01; C*07:01+C*03:04; DRB1*15:01+DRB1*04:01")
	if gr := g.Grade(patient, unitC, Criterion6of6, LevelAllele); !gr.CMismatch || gr.Total != 6 {
		t.Errorf("6/6 with C mismatch: %s cmis=%v", gr.String(), gr.CMismatch)
	}
	if s := g.Grade(patient, unit, Criterion8of8, LevelAllele); s.Describe() == "" || s.String() != "7/8" {
		t.Errorf("String %q", s.String())
	}
}

func TestPrepareErrors(t *testing.T) {
	g := realGrader(t)
	for _, s := range []string{"A*99:99+A*02:01", "A*02:01+B*07:02", "A*02:01+A*24:02+A*11:01"} {
		if _, err := g.Prepare(typings("A=" + s)); err == nil {
			t.Errorf("Prepare(%q) accepted", s)
		}
	}
	if _, err := g.Prepare(typings("A*02:01; A*24:02")); err == nil {
		t.Error("locus typed twice accepted")
	}
}
