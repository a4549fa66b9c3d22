package match

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/hla"
	"github.com/cordbank/cordbank/internal/synth"
)

// genLoci are the loci the registry generator types.
var genLoci = []string{"A", "B", "C", "DRB1", "DQB1", "DPB1"}

// gen is a richer registry generator than internal/synth: synth's common
// alleles (with their frequencies, sampled from synth itself) plus a long
// Zipf-like tail of real two-field names (P groups of the reference files
// when present, else invented names), and a few percent of ambiguous,
// serological, null and homozygous typings, as real inventories have.
type gen struct {
	r     *rand.Rand
	names map[string][]string
	cum   map[string][]float64
	real  bool
	seq   int // DIN sequence: synth restarts its own per generator
}

func newGen(seed uint64, tail int, real bool) *gen {
	gn := &gen{r: rand.New(rand.NewPCG(seed, 7)), names: map[string][]string{}, cum: map[string][]float64{}, real: real}
	s := synth.New("x", "X0000", time.Unix(0, 0), seed)
	var pgroups map[string][]string
	if real && realDir != "" {
		pgroups = readPGroups(filepath.Join(realDir, hla.FileNomP))
	}
	for _, l := range genLoci {
		count := map[string]float64{}
		for range 4000 {
			a, b, _ := strings.Cut(s.HLA(l), "+")
			count[a]++
			count[b]++
		}
		var names []string
		for n := range count {
			names = append(names, n)
		}
		slices.Sort(names)
		var weights []float64
		for _, n := range names {
			weights = append(weights, count[n])
		}
		extra := pgroups[l]
		for i := 0; len(extra) == 0 && i < tail; i++ {
			extra = append(extra, fmt.Sprintf("%s*%02d:%02d", l, 80+i/90, 10+i%90))
		}
		for i, n := range extra {
			if i >= tail {
				break
			}
			if count[n] == 0 {
				names = append(names, n)
				weights = append(weights, 400/float64(i+20))
			}
		}
		total, cum := 0.0, make([]float64, len(weights))
		for i, w := range weights {
			total += w
			cum[i] = total
		}
		for i := range cum {
			cum[i] /= total
		}
		gn.names[l], gn.cum[l] = names, cum
	}
	return gn
}

// readPGroups lists two-field P group names per locus from hla_nom_p.txt.
func readPGroups(path string) map[string][]string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		c := strings.Split(sc.Text(), ";")
		if len(c) != 3 || !strings.HasSuffix(c[2], "P") || strings.HasPrefix(c[0], "#") {
			continue
		}
		l := strings.TrimSuffix(c[0], "*")
		out[l] = append(out[l], l+"*"+strings.TrimSuffix(c[2], "P"))
	}
	return out
}

func (gn *gen) allele(l string) string {
	i, _ := slices.BinarySearch(gn.cum[l], gn.r.Float64())
	return gn.names[l][min(i, len(gn.names[l])-1)]
}

var seroA = []string{"A1", "A2", "A3", "A11", "A23", "A24", "A9"}

// copyText is one position: mostly a plain allele.
func (gn *gen) copyText(l string, unit bool) string {
	a := gn.allele(l)
	switch x := gn.r.IntN(1000); {
	case unit && x < 25:
		return a[:strings.Index(a, ":")] + ":XX"
	case unit && x < 45:
		return a + "/" + gn.allele(l)
	case unit && l == "A" && x < 55:
		return seroA[gn.r.IntN(len(seroA))]
	case l == "A" && x < 62:
		return "A*01:01:01:02N"
	}
	return a
}

func (gn *gen) typing(unit bool) []bank.LocusTyping {
	var out []bank.LocusTyping
	for _, l := range genLoci {
		switch {
		case unit && l == "C" && gn.r.IntN(10) == 0,
			l == "DQB1" && gn.r.IntN(10) < 4,
			l == "DPB1" && gn.r.IntN(3) > 0:
			continue
		}
		text := gn.copyText(l, unit)
		if gn.r.IntN(20) > 0 {
			text += "+" + gn.copyText(l, unit)
		}
		out = append(out, bank.LocusTyping{Locus: l, Text: text})
	}
	return out
}

var genBanks = []*bank.Bank{
	{ID: "bank-one", FIN: "A0001", Accreditations: []bank.Accreditation{bank.AccreditationFACTNetCord}},
	{ID: "bank-two", FIN: "A0002", Accreditations: []bank.Accreditation{bank.AccreditationAABB}},
	{ID: "bank-three", FIN: "A0003", Accreditations: []bank.Accreditation{bank.AccreditationFACTNetCord}},
	{ID: "bank-four", FIN: "A0004"},
}

// units makes n units spread over genBanks (synth for everything but HLA,
// status, type and bank).
func (gn *gen) units(n int, seed uint64) []*bank.Unit {
	out := make([]*bank.Unit, 0, n)
	for bi, b := range genBanks {
		m := n / len(genBanks)
		if bi == 0 {
			m += n % len(genBanks)
		}
		for _, u := range synth.New(b.ID, b.FIN, testNow, seed+uint64(bi)).Units(m) {
			u.HLA = gn.typing(true)
			gn.seq++
			u.DIN = bank.DIN(fmt.Sprintf("%s%08d", b.FIN, gn.seq))
			u.Status = bank.StatusAvailable
			switch x := gn.r.IntN(100); {
			case x < 4:
				u.Status = bank.StatusReserved
			case x < 8:
				u.Status = bank.StatusQuarantine
			}
			if gn.r.IntN(25) == 0 {
				u.Type = bank.UnitTypeAutologous
			}
			out = append(out, u)
		}
	}
	return out
}

var genSpecs = []string{"A1", "A2", "A3", "A11", "A24", "A9", "B7", "B8", "B44", "B62", "DR15", "DR4", "DR17"}

// request makes a random patient from the same frequencies.
func (gn *gen) request(crit Criterion) *Request {
	req := &Request{Patient: Patient{HLA: gn.typing(false), ABO: []bank.ABO{"", "A", "B", "AB", "O"}[gn.r.IntN(5)]},
		WeightKg: 3 + float64(gn.r.IntN(900))/10, Disease: Disease(1 + gn.r.IntN(2)), Criterion: crit, AsOf: bank.DateOf(testNow)}
	// counted loci must be typed
	for _, rule := range crit.Loci() {
		if !slices.ContainsFunc(req.Patient.HLA, func(lt bank.LocusTyping) bool { return lt.Locus == rule.Locus }) {
			req.Patient.HLA = append(req.Patient.HLA, bank.LocusTyping{Locus: rule.Locus, Text: gn.allele(rule.Locus) + "+" + gn.allele(rule.Locus)})
		}
	}
	if gn.r.IntN(4) == 0 {
		for range 1 + gn.r.IntN(3) {
			req.Antibodies = append(req.Antibodies, Antibody{Specificity: genSpecs[gn.r.IntN(len(genSpecs))], MFI: float64(gn.r.IntN(5000))})
		}
	}
	return req
}

func itoa(i int) string { return strconv.Itoa(i) }
