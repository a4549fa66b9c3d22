package match

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Packed per-locus summary of a unit typing for the search's patient,
// memoised per distinct typing id.
const (
	sumMatches  = 0x3 // bits 0-1
	sumDefShift = 2   // bits 2-3: definite
	sumGvH      = 1 << 4
	sumHvG      = 1 << 5
	sumDSA      = 1 << 6
	sumDone     = 1 << 15
)

const (
	xStatus = iota
	xSegment
	xRBC
	xAge
	xAccredited
	xTNC
	xCD34
	xDouble
	xGrade
	xDSA
	nFilters
)

var filterNames = [nFilters]string{FilterStatus, FilterSegment, FilterRBCDepleted,
	FilterUnitAge, FilterAccredited, FilterTNC, FilterCD34, FilterDoubleDose, FilterMatchGrade, FilterDSA}

// scan is one search's state. It runs under the index's read lock.
type scan struct {
	x        *Index
	p        *plan
	privBank int64 // bank index whose private units are searched, -1 none
	minColl  int32
	counted  []int // locus indexes of counted loci
	levels   [nLoci]Level
	want     [nLoci]bool // locus needs a match summary
	dsaLoci  []int
	cIdx     int
	cCounted bool
	memo     [nLoci][]uint32 // shared by the range workers, accessed atomically
	// posMemo holds, per unit position id, how the patient's two copies
	// compare with it (two Confidences and a done bit); shared like memo.
	posMemo [nLoci][]uint32
	// posDSA holds, per unit position id, whether an antibody of the
	// patient is donor-specific against it (dsaHit) once known (dsaDone).
	posDSA   [nLoci][]uint32
	excluded [nFilters]int
	passed   int
	// scanned counts the entries in the search's scope: public units and
	// the private units of privBank.
	scanned int
}

func unixDay(d int32) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

func (x *Index) newScan(p *plan, opts []SearchOption) *scan {
	var o searchOpts
	for _, f := range opts {
		f(&o)
	}
	s := &scan{x: x, p: p, privBank: -1, minColl: -1 << 31, cIdx: locusIndex["C"]}
	if o.privateBank != "" {
		if i, ok := x.bankIdx[o.privateBank]; ok {
			s.privBank = int64(i)
		}
	}
	asOf := p.asOf
	if asOf.IsZero() {
		asOf = bankDate(x.now())
	}
	if n := p.pol.MaxUnitAgeYears; n > 0 {
		s.minColl = dayOf(bankDate(asOf.Time().AddDate(-n, 0, 0)))
	}
	for _, r := range p.crit.Loci() {
		li := locusIndex[r.Locus]
		s.counted = append(s.counted, li)
		s.levels[li], s.want[li] = p.pol.AlleleLevel, true
		if r.Antigen {
			s.levels[li] = LevelAntigen
		}
		if li == s.cIdx {
			s.cCounted = true
		}
	}
	if !s.cCounted && p.patient.loci[s.cIdx] != nil {
		s.levels[s.cIdx], s.want[s.cIdx] = p.pol.AlleleLevel, true
	}
	for li := range nLoci {
		for _, ab := range p.abs {
			if ab.loci[0] == li {
				s.dsaLoci = append(s.dsaLoci, li)
				break
			}
		}
	}
	s.allocMemo()
	return s
}

// memoPool recycles memo tables: one search allocates up to a few MB of
// them on a large index, and making that garbage on every search would
// make the collector run (and scan the index) several times a second.
var memoPool sync.Pool

func (s *scan) allocMemo() {
	for li := range nLoci {
		dsa := slices.Contains(s.dsaLoci, li)
		if s.want[li] || dsa {
			s.memo[li] = pooledMemo(len(s.x.geno[li].list) + 1)
		}
		if s.want[li] {
			s.posMemo[li] = pooledMemo(len(s.x.geno[li].posList) + 1)
		}
		if dsa {
			s.posDSA[li] = pooledMemo(len(s.x.geno[li].posList) + 1)
		}
	}
}

func pooledMemo(n int) []uint32 {
	if m, ok := memoPool.Get().(*[]uint32); ok && cap(*m) >= n {
		clear((*m)[:n])
		return (*m)[:n]
	}
	return make([]uint32, n)
}

// release returns the memo tables to the pool; the scan must not be used
// afterwards.
func (s *scan) release() {
	for li := range s.memo {
		for _, m := range [3][]uint32{s.memo[li], s.posMemo[li], s.posDSA[li]} {
			if m != nil {
				memoPool.Put(&m)
			}
		}
		s.memo[li], s.posMemo[li], s.posDSA[li] = nil, nil, nil
	}
}

// parallelMin is the number of entries from which a search scans in
// parallel (a variable so tests can split small indexes too).
var parallelMin = 1 << 14

// run scans every entry, applies the filters (and extra, for double-unit
// searches) and keeps the n best candidates. Large indexes are split into
// one range per CPU sharing the memo, then the kept candidates are merged.
func (s *scan) run(ctx context.Context, n int, extra func(tncKg, cd34Kg float64) bool) ([]cand, error) {
	total := len(s.x.entries)
	if s.primeOnly() {
		total = s.x.nPrime
		// Counted here, not before: the range workers start from copies
		// of s, whose counts are added back below.
		defer s.countNotPrime()
	}
	workers := min(runtime.GOMAXPROCS(0), 4)
	if total < parallelMin || workers < 2 {
		t := &topN{order: s.p.pol.Order, n: n}
		if err := s.runRange(ctx, 0, total, t, extra); err != nil {
			return nil, err
		}
		return t.sorted(), nil
	}
	parts := make([]*scan, workers)
	tops := make([]*topN, workers)
	errs := make([]error, workers)
	// Every worker's copy is taken before any worker starts: worker 0
	// scans with s itself, and a copy made while it counts would carry its
	// counts twice.
	parts[0] = s
	for w := 1; w < workers; w++ {
		c := *s
		parts[w] = &c
	}
	var wg sync.WaitGroup
	for w := range workers {
		tops[w] = &topN{order: s.p.pol.Order, n: n}
		lo, hi := total*w/workers, total*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = parts[w].runRange(ctx, lo, hi, tops[w], extra)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	t := tops[0]
	for w := 1; w < workers; w++ {
		s.passed += parts[w].passed
		s.scanned += parts[w].scanned
		for i := range s.excluded {
			s.excluded[i] += parts[w].excluded[i]
		}
		for i := range tops[w].items {
			t.offer(&tops[w].items[i])
		}
	}
	return t.sorted(), nil
}

// primeOnly reports whether every unit the search may return is prime
// (Index.entries): only public units, and the policy needs an attached
// segment and red-cell depletion, as the default one does.
func (s *scan) primeOnly() bool {
	pol := &s.p.pol
	return s.privBank < 0 && pol.RequireAttachedSegment && pol.RequireRBCDepleted
}

// countNotPrime adds the entries a prime-only scan skips to the filter
// each fails first. The flag filters come first in the filter order, so
// an entry's flags alone decide it.
func (s *scan) countNotPrime() {
	for class, n := range s.x.classCount {
		f := uint8(class)
		if f&fPublic == 0 {
			continue // private: out of a prime-only search's scope
		}
		s.scanned += n
		switch {
		case isPrime(f):
			// Scanned one by one (and counted there).
			s.scanned -= n
		case f&fAvailable == 0:
			s.excluded[xStatus] += n
		case f&fSegment == 0:
			s.excluded[xSegment] += n
		default:
			s.excluded[xRBC] += n
		}
	}
}

// get returns the memoised summary of typing id at locus li (inlined fast
// path; summary computes it on first use).
func (s *scan) get(li int, id uint32) uint16 {
	if v := atomic.LoadUint32(&s.memo[li][id]); v&sumDone != 0 {
		return uint16(v)
	}
	return s.summary(li, id)
}

func (s *scan) summary(li int, id uint32) uint16 {
	var u *locusTyping
	if id != 0 {
		u = s.x.geno[li].list[id-1]
	}
	v := uint16(sumDone)
	if s.p.patient.loci[li] == nil && s.p.patient.imputed[li] && s.want[li] {
		v |= 2 // imputed patient locus: two potential matches (GradeLocus)
	}
	if p := s.p.patient.loci[li]; p != nil && s.want[li] {
		var matches, definite, gvh, hvg int
		if ids := s.positions(li, id, p); ids[0] != 0 {
			// Fast path: combine the memoised position comparisons.
			var m [2][2]Confidence
			for j := range 2 {
				c := s.posConf(li, ids[j], p)
				m[0][j], m[1][j] = Confidence(c&3), Confidence(c>>2&3)
			}
			_, matches, definite, gvh, hvg = pairCounts(&m)
		} else {
			lg := s.x.g.gradeLocus(p, u, s.levels[li])
			matches, definite, gvh, hvg = lg.Matches, lg.Definite, lg.GvH, lg.HvG
		}
		v |= uint16(matches) | uint16(definite)<<sumDefShift
		if gvh > 0 {
			v |= sumGvH
		}
		if hvg > 0 {
			v |= sumHvG
		}
	}
	if s.posDSA[li] != nil && s.dsaAt(li, id, u) {
		v |= sumDSA
	}
	// Racing workers compute the same value: last store wins harmlessly.
	atomic.StoreUint32(&s.memo[li][id], uint32(v))
	return v
}

// dsaAt reports whether an antibody of the patient is donor-specific
// against unit typing id (u) at locus li. A single-genotype typing is
// decided per position, memoised: registries repeat a few hundred alleles
// in hundreds of thousands of genotypes.
func (s *scan) dsaAt(li int, id uint32, u *locusTyping) bool {
	if id == 0 {
		return false
	}
	ids := s.x.geno[li].pos[id-1]
	if ids[0] == 0 {
		return len(s.x.g.dsaLocus(s.p.patient.loci[li], u, s.p.abs, li, nil)) > 0
	}
	return s.posDSAHit(li, ids[0]) || s.posDSAHit(li, ids[1])
}

func (s *scan) posDSAHit(li int, pid uint32) bool {
	const done, hit = 1, 2
	if v := atomic.LoadUint32(&s.posDSA[li][pid]); v&done != 0 {
		return v&hit != 0
	}
	d, p := s.x.geno[li].posList[pid-1], s.p.patient.loci[li]
	v := uint32(done)
	for _, ab := range s.p.abs {
		if s.x.g.targets(ab, p, d, li) {
			v |= hit
			break
		}
	}
	atomic.StoreUint32(&s.posDSA[li][pid], v)
	return v&hit != 0
}

// positions returns the position ids of unit typing id when the fast path
// applies (both sides one genotype, no null copy read as the other), else
// {0, 0}.
func (s *scan) positions(li int, id uint32, p *locusTyping) [2]uint32 {
	if id == 0 || len(p.alts) != 1 || p.alts[0][0].homNull || p.alts[0][1].homNull {
		return [2]uint32{}
	}
	return s.x.geno[li].pos[id-1]
}

// posConf compares the patient's two copies at locus li with unit position
// pid, memoised: bits 0-1 copy 0's Confidence, bits 2-3 copy 1's.
func (s *scan) posConf(li int, pid uint32, p *locusTyping) uint32 {
	const done = 1 << 8
	if v := atomic.LoadUint32(&s.posMemo[li][pid]); v&done != 0 {
		return v
	}
	up := s.x.geno[li].posList[pid-1]
	c0, _ := s.x.g.matchAt(s.levels[li], &p.alts[0][0], up)
	c1, _ := s.x.g.matchAt(s.levels[li], &p.alts[0][1], up)
	v := uint32(c0) | uint32(c1)<<2 | done
	atomic.StoreUint32(&s.posMemo[li][pid], v)
	return v
}

func (s *scan) runRange(ctx context.Context, lo, hi int, t *topN, extra func(tncKg, cd34Kg float64) bool) error {
	p, pol, dose := s.p, &s.p.pol, &s.p.dose
	maxLost := p.crit.Total() - pol.MinMatches
	x := s.x
	// Most passing units rank below the n kept; when the order starts with
	// the match count they are rejected before their keys are built.
	matchFirst := len(pol.Order) > 0 && pol.Order[0] == RankMatchCount
	var aboOK [len(abos)]bool
	for i, a := range abos {
		aboOK[i] = ABOCompatible(p.abo, a)
	}
	// Local copies the loop can keep in registers: reading them through
	// x on every entry cost a tenth of a search.
	entries, ids := x.entries, x.ids
	accredited := make([]bool, len(x.banks))
	for i, b := range x.banks {
		accredited[i] = b.accredited
	}
	for i := lo; i < hi; i++ {
		if i&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		e := &entries[i]
		f := e.flags
		if f&fPublic == 0 && int64(e.bank) != s.privBank {
			// Out of the search's scope: not counted anywhere, so no
			// answer depends on private units the caller may not see.
			continue
		}
		s.scanned++
		if f&fAvailable == 0 {
			s.excluded[xStatus]++
			continue
		}
		if pol.RequireAttachedSegment && f&fSegment == 0 {
			s.excluded[xSegment]++
			continue
		}
		if pol.RequireRBCDepleted && f&fRBCDepleted == 0 {
			s.excluded[xRBC]++
			continue
		}
		if e.coll < s.minColl {
			s.excluded[xAge]++
			continue
		}
		accredited := accredited[e.bank]
		if pol.RequireAccredited && !accredited {
			s.excluded[xAccredited]++
			continue
		}
		tncKg, cd34Kg := e.tnc/p.weight, -1.0
		if e.cd34 >= 0 {
			cd34Kg = e.cd34 / p.weight
		}
		tncOK, cd34OK := passesFloors(dose.MinTNCPerKg, dose.MinCD34PerKg, tncKg, cd34Kg)
		if !tncOK {
			s.excluded[xTNC]++
			continue
		}
		if !cd34OK {
			s.excluded[xCD34]++
			continue
		}
		if extra != nil && !extra(tncKg, cd34Kg) {
			s.excluded[xDouble]++
			continue
		}
		id := &ids[i]
		total, definite, lost := 0, 0, 0
		gvh, hvg := false, false
		for _, li := range s.counted {
			v := s.get(li, id[li])
			m := int(v & sumMatches)
			total += m
			definite += int(v>>sumDefShift) & 3
			lost += 2 - m
			gvh = gvh || v&sumGvH != 0
			hvg = hvg || v&sumHvG != 0
			if lost > maxLost {
				break
			}
		}
		if lost > maxLost {
			s.excluded[xGrade]++
			continue
		}
		dsa := false
		for _, li := range s.dsaLoci {
			if s.get(li, id[li])&sumDSA != 0 {
				dsa = true
				break
			}
		}
		if dsa && pol.ExcludeDSA {
			s.excluded[xDSA]++
			continue
		}
		s.passed++
		if matchFirst && len(t.items) == t.n {
			r := &t.items[0].k
			if int8(total) < r.total || (int8(total) == r.total && int8(definite) < r.definite) {
				continue
			}
		}
		cMis := false
		if cid := id[s.cIdx]; cid != 0 && s.want[s.cIdx] {
			cMis = s.get(s.cIdx, cid)&sumMatches < 2
		}
		c := cand{idx: int32(i), dsa: dsa, k: keys{total: int8(total), definite: int8(definite),
			adequate: dose.adequate(tncKg, cd34Kg), cMismatch: cMis, direction: directionOf(gvh, hvg),
			tncKg: tncKg, cd34Kg: cd34Kg, accredited: accredited, aboOK: aboOK[e.abo],
			rbc: f&fRBCDepleted != 0, coll: e.coll, din: x.cold[i].din, bank: x.banks[e.bank].id}}
		t.offer(&c)
	}
	return nil
}

func (s *scan) excludedMap() map[string]int {
	m := map[string]int{}
	for i, n := range s.excluded {
		if n > 0 {
			m[filterNames[i]] = n
		}
	}
	return m
}
