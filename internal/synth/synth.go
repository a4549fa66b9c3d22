package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/unit"
)

// weighted is an allele (2-field name without locus) and its relative
// frequency.
type weighted struct {
	name string
	w    float64
}

// Common alleles per locus with rough relative frequencies (all are valid
// IPD-IMGT/HLA names since 3.0). Enough diversity that 8/8 matches are rare
// and 6/8 common, as in real registries.
var alleles = map[string][]weighted{
	"A": {{"02:01", 28}, {"01:01", 15}, {"03:01", 13}, {"24:02", 10}, {"11:01", 7}, {"29:02", 3}, {"32:01", 3}, {"26:01", 3},
		{"68:01", 4}, {"31:01", 3}, {"23:01", 2}, {"30:01", 2}, {"25:01", 2}, {"33:01", 1}, {"02:05", 1}, {"30:02", 1}, {"68:02", 1}, {"66:01", 0.5}},
	"B": {{"07:02", 13}, {"08:01", 11}, {"44:02", 9}, {"35:01", 6}, {"15:01", 6}, {"40:01", 6}, {"51:01", 5}, {"18:01", 5}, {"44:03", 5},
		{"57:01", 4}, {"27:05", 4}, {"14:02", 3}, {"13:02", 3}, {"38:01", 2}, {"49:01", 2}, {"52:01", 1.5}, {"37:01", 1.5}, {"39:01", 1.5}, {"55:01", 1.5}, {"50:01", 1}, {"35:03", 1}, {"58:01", 1}},
	"C": {{"07:01", 15}, {"07:02", 13}, {"04:01", 11}, {"05:01", 9}, {"06:02", 9}, {"03:04", 7}, {"03:03", 5}, {"12:03", 5}, {"02:02", 5},
		{"08:02", 3}, {"16:01", 3}, {"01:02", 3}, {"15:02", 2}, {"14:02", 1.5}, {"17:01", 1}, {"12:02", 1}},
	"DRB1": {{"15:01", 14}, {"07:01", 13}, {"03:01", 12}, {"04:01", 9}, {"01:01", 9}, {"13:01", 6}, {"11:01", 6}, {"13:02", 4}, {"04:04", 4},
		{"12:01", 2}, {"14:01", 2}, {"08:01", 2}, {"16:01", 1}, {"10:01", 1}, {"11:04", 3}, {"01:02", 1}, {"04:07", 1}},
	"DQB1": {{"02:01", 12}, {"03:01", 18}, {"06:02", 14}, {"05:01", 12}, {"03:02", 10}, {"06:03", 6}, {"02:02", 8}, {"04:02", 3}, {"06:04", 3}, {"05:03", 2}, {"03:03", 5}},
	"DPB1": {{"04:01", 40}, {"04:02", 12}, {"02:01", 12}, {"03:01", 10}, {"01:01", 5}, {"05:01", 3}, {"06:01", 2}, {"11:01", 2}, {"13:01", 2}, {"14:01", 1}},
}

// Loci typed for every synthetic unit; DPB1 for a third of them.
var loci = []string{"A", "B", "C", "DRB1", "DQB1"}

type picker struct {
	names []string
	cum   []float64
}

var pickers = func() map[string]*picker {
	m := make(map[string]*picker, len(alleles))
	for locus, ws := range alleles {
		p := &picker{}
		total := 0.0
		for _, w := range ws {
			total += w.w
			p.names = append(p.names, w.name)
			p.cum = append(p.cum, total)
		}
		for i := range p.cum {
			p.cum[i] /= total
		}
		m[locus] = p
	}
	return m
}()

func (p *picker) pick(r *rand.Rand) string {
	x := r.Float64()
	for i, c := range p.cum {
		if x < c {
			return p.names[i]
		}
	}
	return p.names[len(p.names)-1]
}

// Generator makes units for one bank.
type Generator struct {
	r    *rand.Rand
	bank string
	fin  string
	now  time.Time
	seq  map[int]int
	// within is how many days before now (past the first 30) a unit may
	// have been collected: 12 years by default, a bank's whole inventory.
	within int
}

// New returns a generator of units of bank (id) with facility number fin,
// collected before now. The same seed yields the same units.
func New(bankID, fin string, now time.Time, seed uint64) *Generator {
	return &Generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), bank: bankID, fin: fin, now: now.UTC(), seq: map[int]int{}, within: 12 * 365}
}

// Recent makes g's units new collections, as a bank registers them day by
// day: collected 30 to 60 days before now, so their DINs follow each other
// in one or two years' sequences and their collection dates fall in one
// month. The default spreads units over twelve years, as an inventory
// entered at once does. It returns g.
func (g *Generator) Recent() *Generator {
	g.within = 30
	return g
}

// HLA returns a random typing of the given loci, drawn from the frequency
// tables: "A*02:01+A*24:02".
func (g *Generator) HLA(locus string) string {
	p := pickers[locus]
	return fmt.Sprintf("%s*%s+%s*%s", locus, p.pick(g.r), locus, p.pick(g.r))
}

// logNormal draws around median m with spread s (sigma of the log).
func (g *Generator) logNormal(m, s float64) float64 { return m * math.Exp(g.r.NormFloat64()*s) }

func ptr(x float64) *float64 { return &x }

// Unit returns the next synthetic public unit. Its DIN carries the
// generator's FIN, the collection year and a per-year sequence number.
func (g *Generator) Unit() *bank.Unit {
	r := g.r
	ageDays := 30 + r.IntN(g.within)
	coll := unit.DateOf(g.now.AddDate(0, 0, -ageDays))
	g.seq[coll.Year]++
	din := fmt.Sprintf("%s%02d%06d", g.fin, coll.Year%100, g.seq[coll.Year])

	pre := math.Min(math.Max(g.logNormal(1.17e9, 0.45), 5e8), 5e9)
	post := pre * (0.75 + 0.2*r.Float64())
	cd34 := math.Min(math.Max(g.logNormal(2.0e6, 0.8), 4e4), 3e7)
	vol := math.Min(math.Max(g.logNormal(83.5, 0.3), 40), 218)
	u := &bank.Unit{
		Bank:               g.bank,
		DIN:                unit.DIN(din),
		Type:               bank.UnitTypePublic,
		LocalID:            fmt.Sprintf("CB-%d-%05d", coll.Year, g.seq[coll.Year]),
		CollectionDate:     coll,
		ProcessingDate:     coll.AddDays(r.IntN(2)),
		InfantBirthDate:    coll,
		ProcessingMethod:   []bank.ProcessingMethod{bank.ProcessingHES, bank.ProcessingHES, bank.ProcessingDensity, bank.ProcessingCentrifuge, bank.ProcessingFiltration}[r.IntN(5)],
		Reduction:          []bank.Reduction{bank.ReductionPlasmaAndRBC, bank.ReductionPlasmaAndRBC, bank.ReductionPlasmaAndRBC, bank.ReductionRBCOnly, bank.ReductionPlasmaOnly}[r.IntN(5)],
		InfantSex:          []bank.Sex{bank.SexFemale, bank.SexMale}[r.IntN(2)],
		ABO:                []bank.ABO{bank.ABOO, bank.ABOO, bank.ABOO, bank.ABOA, bank.ABOA, bank.ABOA, bank.ABOB, bank.ABOAB}[r.IntN(8)],
		Rh:                 []bank.Rh{bank.RhPositive, bank.RhPositive, bank.RhPositive, bank.RhPositive, bank.RhPositive, bank.RhNegative}[r.IntN(6)],
		Ethnicity:          []string{"CAU", "AFA", "HIS", "API", "NAM", "MLT", "UNK"}[r.IntN(7)],
		CollectionVolumeML: math.Round(vol*10) / 10,
		FrozenVolumeML:     25,
		Cells: bank.CellCounts{
			PreProcessingTNC:   ptr(math.Round(pre/1e6) * 1e6),
			PostProcessingTNC:  math.Round(post/1e6) * 1e6,
			PostProcessingCD34: ptr(math.Round(cd34/1e3) * 1e3),
			ViabilityPercent:   ptr(math.Round((85+14*r.Float64())*10) / 10),
			CFU:                ptr(math.Round(g.logNormal(2.5e5, 0.6)/1e3) * 1e3),
		},
		Bags:               1,
		CompartmentsPerBag: []int{1, 2, 2, 2}[r.IntN(4)],
		AttachedSegments:   r.IntN(4),
		IDM:                bank.IDMNegative,
		IDMTestDate:        coll,
	}
	u.FreezeDate = u.ProcessingDate
	for _, l := range loci {
		u.HLA = append(u.HLA, bank.LocusTyping{Locus: l, Text: g.HLA(l)})
	}
	if r.IntN(3) == 0 {
		u.HLA = append(u.HLA, bank.LocusTyping{Locus: "DPB1", Text: g.HLA("DPB1")})
	}
	if r.IntN(10) == 0 { // older units often lack a CD34+ count
		u.Cells.PostProcessingCD34 = nil
	}
	return u
}

// Units returns n units.
func (g *Generator) Units(n int) []*bank.Unit {
	out := make([]*bank.Unit, n)
	for i := range out {
		out[i] = g.Unit()
	}
	return out
}
