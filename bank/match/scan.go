package match

import (
	"context"
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
	xPrivate
	xAge
	xAccredited
	xSegment
	xRBC
	xTNC
	xCD34
	xDouble
	xGrade
	xDSA
	nFilters
)

var filterNames = [nFilters]string{FilterStatus, FilterPrivate, FilterUnitAge, FilterAccredited, FilterSegment,
	FilterRBCDepleted, FilterTNC, FilterCD34, FilterDoubleDose, FilterMatchGrade, FilterDSA}

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
	memo     [nLoci][]uint16
	excluded [nFilters]int
	passed   int
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
	for li := range nLoci {
		if s.want[li] || len(s.dsaLoci) > 0 {
			s.memo[li] = make([]uint16, len(x.geno[li].list)+1)
		}
	}
	return s
}

// summary returns the memoised summary of typing id at locus li.
func (s *scan) summary(li int, id uint32) uint16 {
	v := s.memo[li][id]
	if v&sumDone != 0 {
		return v
	}
	var u *locusTyping
	if id != 0 {
		u = s.x.geno[li].list[id-1]
	}
	v = sumDone
	if p := s.p.patient.loci[li]; p != nil && s.want[li] {
		lg := s.x.g.gradeLocus(p, u, s.levels[li])
		v |= uint16(lg.Matches) | uint16(lg.Definite)<<sumDefShift
		if lg.GvH > 0 {
			v |= sumGvH
		}
		if lg.HvG > 0 {
			v |= sumHvG
		}
	}
	if len(s.p.abs) > 0 && len(s.x.g.dsaLocus(s.p.patient.loci[li], u, s.p.abs, li, nil)) > 0 {
		v |= sumDSA
	}
	s.memo[li][id] = v
	return v
}

// run scans every entry, applies the filters (and extra, for double-unit
// searches) and keeps the n best candidates.
func (s *scan) run(ctx context.Context, n int, extra func(tncKg, cd34Kg float64) bool) ([]cand, error) {
	p, pol, dose := s.p, &s.p.pol, &s.p.dose
	t := &topN{order: pol.Order, n: n}
	maxLost := p.crit.Total() - pol.MinMatches
	x := s.x
	for i := range x.entries {
		if i&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		e := &x.entries[i]
		f := e.flags
		if f&fAvailable == 0 {
			s.excluded[xStatus]++
			continue
		}
		if f&fPublic == 0 && int64(e.bank) != s.privBank {
			s.excluded[xPrivate]++
			continue
		}
		if e.coll < s.minColl {
			s.excluded[xAge]++
			continue
		}
		accredited := x.banks[e.bank].accredited
		if pol.RequireAccredited && !accredited {
			s.excluded[xAccredited]++
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
		total, definite, lost := 0, 0, 0
		gvh, hvg := false, false
		for _, li := range s.counted {
			v := s.summary(li, e.geno[li])
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
			if s.summary(li, e.geno[li])&sumDSA != 0 {
				dsa = true
				break
			}
		}
		if dsa && pol.ExcludeDSA {
			s.excluded[xDSA]++
			continue
		}
		cMis := false
		if cid := e.geno[s.cIdx]; cid != 0 && s.want[s.cIdx] {
			cMis = s.summary(s.cIdx, cid)&sumMatches < 2
		}
		s.passed++
		c := cand{idx: int32(i), dsa: dsa, k: keys{total: int8(total), definite: int8(definite),
			adequate: dose.adequate(tncKg, cd34Kg), cMismatch: cMis, direction: directionOf(gvh, hvg),
			tncKg: tncKg, cd34Kg: cd34Kg, accredited: accredited, aboOK: ABOCompatible(p.abo, abos[e.abo]),
			rbc: f&fRBCDepleted != 0, coll: e.coll, din: e.din, bank: x.banks[e.bank].id}}
		t.offer(&c)
	}
	return t.sorted(), nil
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
