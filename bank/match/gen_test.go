package match

import (
	"path/filepath"
	"strconv"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/hla"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/synth"
)

// gen wraps synth.Registry, the registry generator of the property tests
// and benchmarks, and turns its patients into Requests.
type gen struct{ *synth.Registry }

// newGen returns a registry generator with tail rare alleles per locus,
// taken from the P groups of the real reference files when real is set and
// they are present, else invented.
func newGen(seed uint64, tail int, real bool) *gen {
	pfile := ""
	if real && realDir != "" {
		pfile = filepath.Join(realDir, hla.FileNomP)
	}
	return &gen{synth.NewRegistry(seed, tail, pfile)}
}

// genBanks are the banks the generated units belong to.
var genBanks = synth.NewRegistry(0, 0, "").Banks()

// units makes n units spread over genBanks, collected before testNow.
func (gn *gen) units(n int, seed uint64) []*bank.Unit { return gn.Units(n, seed, testNow) }

// request makes a random patient from the same frequencies.
func (gn *gen) request(crit Criterion) *Request {
	var loci []string
	for _, rule := range crit.Loci() {
		loci = append(loci, rule.Locus)
	}
	p := gn.Patient(loci...)
	req := &Request{Patient: Patient{HLA: p.HLA, ABO: p.ABO}, WeightKg: p.WeightKg, Disease: NonMalignant,
		Criterion: crit, AsOf: unit.DateOf(testNow)}
	if p.Malignant {
		req.Disease = Malignant
	}
	for _, a := range p.Antibodies {
		req.Antibodies = append(req.Antibodies, Antibody{Specificity: a.Specificity, MFI: a.MFI})
	}
	return req
}

func itoa(i int) string { return strconv.Itoa(i) }
