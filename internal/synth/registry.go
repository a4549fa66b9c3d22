package synth

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// RegistryLoci are the loci a Registry types, in order.
var RegistryLoci = []string{"A", "B", "C", "DRB1", "DQB1", "DPB1"}

// Registry generates a multi-bank public registry richer than Generator:
// Generator's common alleles (with their frequencies, sampled from
// Generator itself) plus a long Zipf-like tail of real two-field names (the
// P groups of an IPD-IMGT/HLA hla_nom_p.txt when given, else invented
// names), and a few percent of ambiguous (allele lists, "XX" codes),
// serological, null and homozygous typings, as real inventories have. It
// also draws patients from the same frequencies.
//
// It feeds the search engine's property tests and benchmarks. Output is
// deterministic: the same seeds, tail and P group file yield the same units
// and patients, in the same order of calls. A Registry is not safe for
// concurrent use.
type Registry struct {
	r     *rand.Rand
	names map[string][]string
	cum   map[string][]float64
	seq   int // DIN sequence, shared by every bank of the registry
}

// NewRegistry returns a registry generator. tail is the number of extra
// (rare) alleles per locus; pGroupFile is the path of an IPD-IMGT/HLA
// hla_nom_p.txt whose P group names supply them ("" or an unreadable file:
// invented names such as "A*80:10", valid in syntax only).
func NewRegistry(seed uint64, tail int, pGroupFile string) *Registry {
	gn := &Registry{r: rand.New(rand.NewPCG(seed, 7)), names: map[string][]string{}, cum: map[string][]float64{}}
	s := New("x", "X0000", time.Unix(0, 0), seed)
	var pgroups map[string][]string
	if pGroupFile != "" {
		pgroups = readPGroups(pGroupFile)
	}
	for _, l := range RegistryLoci {
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

// Allele returns a random two-field allele of locus ("A*02:01") drawn from
// the registry's frequencies.
func (gn *Registry) Allele(locus string) string {
	i, _ := slices.BinarySearch(gn.cum[locus], gn.r.Float64())
	return gn.names[locus][min(i, len(gn.names[locus])-1)]
}

var seroA = []string{"A1", "A2", "A3", "A11", "A23", "A24", "A9"}

// copyText is one position: mostly a plain allele.
func (gn *Registry) copyText(l string, unit bool) string {
	a := gn.Allele(l)
	switch x := gn.r.IntN(1000); {
	case unit && x < 25:
		return a[:strings.Index(a, ":")] + ":XX"
	case unit && x < 45:
		return a + "/" + gn.Allele(l)
	case unit && l == "A" && x < 55:
		return seroA[gn.r.IntN(len(seroA))]
	case l == "A" && x < 62:
		return "A*01:01:01:02N"
	}
	return a
}

// Typing returns a random typing of RegistryLoci: DQB1 is missing from 40 %
// and DPB1 from two thirds of typings, and one in 20 loci is given as one
// name (homozygous). A unit's typing (unit true) also lacks C one time in
// ten and carries the unit-only ambiguities (XX codes, allele lists, HLA-A
// serology); both sides carry a few HLA-A null alleles.
func (gn *Registry) Typing(unit bool) []bank.LocusTyping {
	var out []bank.LocusTyping
	for _, l := range RegistryLoci {
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

// registryBanks are the banks of every Registry: two FACT-NetCord, one
// AABB and one unaccredited bank.
var registryBanks = []bank.Bank{
	{ID: "bank-one", DisplayName: "Bank One", FIN: "A0001", Country: "US", Accreditations: []bank.Accreditation{bank.AccreditationFACTNetCord}},
	{ID: "bank-two", DisplayName: "Bank Two", FIN: "A0002", Country: "US", Accreditations: []bank.Accreditation{bank.AccreditationAABB}},
	{ID: "bank-three", DisplayName: "Bank Three", FIN: "A0003", Country: "GB", Accreditations: []bank.Accreditation{bank.AccreditationFACTNetCord}},
	{ID: "bank-four", DisplayName: "Bank Four", FIN: "A0004", Country: "DE"},
}

// Banks returns (new copies of) the registry's four banks, which Units
// spreads the units over.
func (gn *Registry) Banks() []*bank.Bank {
	out := make([]*bank.Bank, len(registryBanks))
	for i := range registryBanks {
		b := registryBanks[i]
		b.Accreditations = slices.Clone(b.Accreditations)
		out[i] = &b
	}
	return out
}

// Units makes n units collected before now, spread evenly over Banks (the
// first bank takes the remainder). Generator(seed+i) supplies everything of
// bank i's units but HLA, DIN, status and type: HLA is Typing(true); DINs
// are the bank's FIN and a registry-wide sequence number, so they are
// unique across calls; 4 % are RESERVED, 4 % QUARANTINE, the rest
// AVAILABLE; one in 25 is AUTOLOGOUS, the rest PUBLIC.
func (gn *Registry) Units(n int, seed uint64, now time.Time) []*bank.Unit {
	out := make([]*bank.Unit, 0, n)
	for bi := range registryBanks {
		b := &registryBanks[bi]
		m := n / len(registryBanks)
		if bi == 0 {
			m += n % len(registryBanks)
		}
		for _, u := range New(b.ID, b.FIN, now, seed+uint64(bi)).Units(m) {
			u.HLA = gn.Typing(true)
			gn.seq++
			// FIN + 8 digits: the nominal year and sequence number of an
			// ISBT 128 DIN (years 00, 01, ... as the sequence grows).
			u.DIN = unit.DIN(fmt.Sprintf("%s%08d", b.FIN, gn.seq))
			u.Status = lifecycle.StatusAvailable
			switch x := gn.r.IntN(100); {
			case x < 4:
				u.Status = lifecycle.StatusReserved
			case x < 8:
				u.Status = lifecycle.StatusQuarantine
			}
			if gn.r.IntN(25) == 0 {
				u.Type = bank.UnitTypeAutologous
			}
			out = append(out, u)
		}
	}
	return out
}

// Antibody is a patient's anti-HLA antibody: a serological specificity
// ("A2", "B44", "DR15") and its MFI.
type Antibody struct {
	Specificity string
	MFI         float64
}

// Patient is a search patient, as plain data (the search engine's request
// type is built from it by the caller).
type Patient struct {
	// HLA is the patient's typing: Typing(false), plus every locus of
	// Patient's required list that it lacked, as two alleles.
	HLA []bank.LocusTyping
	// ABO is "" (unknown) one time in five, else A, B, AB or O equally.
	ABO      bank.ABO
	WeightKg float64 // 3 to 92.9 kg, uniform in steps of 0.1 kg
	// Malignant is the disease class: malignant or non-malignant, equally.
	Malignant  bool
	Antibodies []Antibody // for one patient in four: 1 to 3 antibodies, MFI 0-4999
}

var antibodySpecs = []string{"A1", "A2", "A3", "A11", "A24", "A9", "B7", "B8", "B44", "B62", "DR15", "DR4", "DR17"}

// Patient returns a random patient drawn from the registry's frequencies;
// every locus of required (the counted loci of a match criterion) is typed.
func (gn *Registry) Patient(required ...string) Patient {
	p := Patient{HLA: gn.Typing(false), ABO: []bank.ABO{"", "A", "B", "AB", "O"}[gn.r.IntN(5)]}
	p.WeightKg = 3 + float64(gn.r.IntN(900))/10
	p.Malignant = gn.r.IntN(2) == 0
	for _, l := range required {
		if !slices.ContainsFunc(p.HLA, func(lt bank.LocusTyping) bool { return lt.Locus == l }) {
			p.HLA = append(p.HLA, bank.LocusTyping{Locus: l, Text: gn.Allele(l) + "+" + gn.Allele(l)})
		}
	}
	if gn.r.IntN(4) == 0 {
		for range 1 + gn.r.IntN(3) {
			p.Antibodies = append(p.Antibodies, Antibody{Specificity: antibodySpecs[gn.r.IntN(len(antibodySpecs))], MFI: float64(gn.r.IntN(5000))})
		}
	}
	return p
}
