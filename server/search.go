package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/hla"
	"github.com/cordbank/cordbank/bank/match"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// search implements pb.SearchServiceServer over a match.Index that the
// service keeps in sync (bank.WithWatcher): its own writes at once, those
// of other processes on the same store by catching up with the trail
// before every search (bank.Service.CatchUp).
type search struct {
	pb.UnimplementedSearchServiceServer
	idx *match.Index
	svc *bank.Service
}

// BuildIndex loads every bank and unit of svc into a new index graded with
// ref (nil: syntax only). Pass the index to the service as a watcher
// (bank.WithWatcher) before any write, and to Config.Index. The service
// then follows the trail from where the load began (bank.Service.FollowFrom).
func BuildIndex(ctx context.Context, svc *bank.Service, idx *match.Index) error {
	head, _, err := svc.ChainHead(ctx)
	if err != nil {
		return err
	}
	defer svc.FollowFrom(head)
	banks := map[string]*bank.Bank{}
	token := ""
	for {
		page, next, err := svc.ListBanks(ctx, bank.MaxPageSize, token)
		if err != nil {
			return err
		}
		for _, b := range page {
			banks[b.ID] = b
			idx.UpsertBank(b)
		}
		if next == "" {
			break
		}
		token = next
	}
	// Reading the store and loading the index overlap: one goroutine
	// loads each page while the scan reads the next.
	pages := make(chan scannedPage, 2)
	loaded := make(chan []string, 1)
	go func() {
		var bad []string
		for p := range pages {
			if err := idx.Load(p.units, banks); err != nil {
				bad = append(bad, err.Error())
			}
			p.release()
		}
		loaded <- bad
	}()
	err = scanUnits(ctx, svc, idx, func(units []*bank.Unit, release func()) error {
		pages <- scannedPage{units, release}
		return nil
	})
	close(pages)
	bad := <-loaded
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		// Units whose typing the index's release refuses stay out of search
		// results; the operator must re-read them (cordbank hla reread).
		return fmt.Errorf("some units could not be indexed: %s", strings.Join(bad, "; "))
	}
	return nil
}

// SearchableScanner is a store's read transaction (bank.ReadTx) that
// can stream every unit of every bank with only the fields a search index
// reads, the others zero, in pages of up to pageSize in no particular
// order, all from the transaction's snapshot (both SQL stores: one
// statement over a third of the columns; PostgreSQL's on several
// connections sharing the snapshot). fn is called by one goroutine at a
// time and handed each page with a release function to call once done
// with its units, which gives their memory back to the scan for a later
// page. BuildIndex uses it when the store's Read hands one out, and
// bank.Service.ScanUnits otherwise.
type SearchableScanner interface {
	ScanSearchable(ctx context.Context, pageSize int, fn func(units []*bank.Unit, release func()) error) error
}

// scannedPage is a page of units read for the index, and the function
// that gives its memory back once loaded (SearchableScanner).
type scannedPage struct {
	units   []*bank.Unit
	release func()
}

// indexPage is how many units BuildIndex hands the index at once.
const indexPage = 1000

// scanUnits calls fn with every unit for the index: from one read
// transaction when the store offers a SearchableScanner, page by page
// (each page its own transaction) otherwise. Either way every read starts
// after BuildIndex recorded the head, so each unit comes in its state at
// the head or a newer one, and following the trail from the head brings
// every unit up to date (the index keeps the highest Version).
func scanUnits(ctx context.Context, svc *bank.Service, idx *match.Index, fn func(units []*bank.Unit, release func()) error) error {
	scanned := false
	err := svc.Store().Read(ctx, func(tx bank.ReadTx) error {
		s, ok := tx.(SearchableScanner)
		if !ok {
			return nil
		}
		scanned = true
		// Counted in the scan's own snapshot: the index makes room for
		// exactly the units the scan will hand it.
		counts, err := tx.CountResources(ctx)
		if err != nil {
			return err
		}
		idx.Grow(int(counts.Units))
		return s.ScanSearchable(ctx, indexPage, fn)
	})
	if err != nil || scanned {
		return err
	}
	return svc.ScanUnits(ctx, func(units []*bank.Unit) error { return fn(units, func() {}) })
}

func (s *search) SearchUnits(ctx context.Context, req *pb.SearchUnitsRequest) (*pb.SearchUnitsResponse, error) {
	r, err := matchRequest(req, "")
	if err != nil {
		return nil, err
	}
	if err := s.svc.CatchUp(ctx); err != nil {
		return nil, err
	}
	res, err := s.idx.Search(ctx, r)
	if err != nil {
		return nil, err
	}
	return searchResponse(res), nil
}

func (s *search) SearchBankUnits(ctx context.Context, req *pb.SearchBankUnitsRequest) (*pb.SearchUnitsResponse, error) {
	id, err := parseBankName(req.GetBank())
	if err != nil {
		return nil, invalid("bank", err)
	}
	r, err := matchRequest(req.GetSearch(), "search.")
	if err != nil {
		return nil, err
	}
	if err := s.svc.CatchUp(ctx); err != nil {
		return nil, err
	}
	res, err := s.idx.Search(ctx, r, match.IncludePrivateOfBank(id))
	if err != nil {
		return nil, withPrefix(err, "search.")
	}
	return searchResponse(res), nil
}

func (s *search) SearchDoubleUnits(ctx context.Context, req *pb.SearchDoubleUnitsRequest) (*pb.SearchDoubleUnitsResponse, error) {
	r, err := matchRequest(req.GetSearch(), "search.")
	if err != nil {
		return nil, err
	}
	if err := s.svc.CatchUp(ctx); err != nil {
		return nil, err
	}
	res, err := s.idx.SearchDouble(ctx, r)
	if err != nil {
		return nil, withPrefix(err, "search.")
	}
	out := &pb.SearchDoubleUnitsResponse{Candidates: int32(res.Candidates), TotalSize: int32(res.TotalSize),
		HlaRelease: res.Release, Excluded: excluded(res.Excluded), FrequencySet: res.FrequencySet}
	for _, p := range res.Pairs {
		out.Pairs = append(out.Pairs, &pb.UnitPair{
			Units: []*pb.UnitMatch{unitMatch(&p.Units[0]), unitMatch(&p.Units[1])},
			Rank:  int32(p.Rank), CombinedTncPerKg: p.CombinedTNCPerKg, Preferred: p.Preferred,
			Worse: matchGrade(&p.Worse), Explanation: p.Explanation, DecidedBy: p.DecidedBy,
		})
	}
	return out, nil
}

// matchRequest converts a wire search request. prefix is prepended to the
// field names of violations (e.g. "search." for wrapped requests).
func matchRequest(req *pb.SearchUnitsRequest, prefix string) (*match.Request, error) {
	var v bank.Violations
	r := &match.Request{
		WeightKg: req.GetWeightKg(),
		PageSize: int(req.GetPageSize()),
		Patient: match.Patient{ABO: fromEnum[bank.ABO](req.GetPatient().GetAbo(), pfxABO),
			Population: strings.TrimSpace(req.GetPatient().GetPopulation())},
		Probabilities: req.MatchProbabilities,
	}
	switch req.GetDisease() {
	case pb.DiseaseClass_DISEASE_CLASS_MALIGNANT:
		r.Disease = match.Malignant
	case pb.DiseaseClass_DISEASE_CLASS_NON_MALIGNANT:
		r.Disease = match.NonMalignant
	}
	switch req.GetCriterion() {
	case pb.MatchCriterion_MATCH_CRITERION_SIX_OF_SIX:
		r.Criterion = match.Criterion6of6
	case pb.MatchCriterion_MATCH_CRITERION_TEN_OF_TEN:
		r.Criterion = match.Criterion10of10
	case pb.MatchCriterion_MATCH_CRITERION_EIGHT_OF_EIGHT, pb.MatchCriterion_MATCH_CRITERION_UNSPECIFIED:
		r.Criterion = match.Criterion8of8
	default:
		v.Add(prefix+"criterion", "unknown criterion %d", req.GetCriterion())
	}
	p := req.GetPatient()
	switch {
	case len(p.GetHla()) > 0 && p.GetGlString() != "":
		v.Add(prefix+"patient.gl_string", "give the patient's typing either per locus (hla) or as a GL String, not both")
	case p.GetGlString() != "":
		ts, err := splitGL(p.GetGlString())
		if err != nil {
			v.Add(prefix+"patient.gl_string", "%v", err)
		}
		r.Patient.HLA = ts
	default:
		r.Patient.HLA = typingsFromProto(p.GetHla())
	}
	for _, a := range req.GetAntibodies() {
		r.Antibodies = append(r.Antibodies, match.Antibody{Specificity: a.GetSpecificity(), MFI: a.GetMfi()})
	}
	r.Policy = overrides(req.GetPolicy())
	if req.MaxMismatches != nil {
		mm := int(req.GetMaxMismatches())
		minMatches := r.Criterion.Total() - mm
		switch {
		case mm < 0 || mm > r.Criterion.Total():
			v.Add(prefix+"max_mismatches", "%d is outside 0..%d for %s", mm, r.Criterion.Total(), r.Criterion)
		case r.Policy.MinMatches != nil && *r.Policy.MinMatches != minMatches:
			v.Add(prefix+"max_mismatches", "contradicts policy.min_matches %d (%s allows %d mismatches at most)", *r.Policy.MinMatches, r.Criterion, r.Criterion.Total()-*r.Policy.MinMatches)
		default:
			r.Policy.MinMatches = &minMatches
		}
	}
	if req.GetPolicy().GetAlleleLevel() == pb.AlleleLevel_ALLELE_LEVEL_G_GROUP {
		r.Policy.AlleleLevel = match.LevelAlleleG
	}
	if err := v.Err("invalid search"); err != nil {
		return nil, err
	}
	return r, nil
}

// withPrefix renames the fields of a validation error from the search
// engine, which names them from the root of a SearchUnitsRequest, for
// requests that wrap one ("search.weight_kg").
func withPrefix(err error, prefix string) error {
	var de *bank.Error
	if prefix == "" || !errors.As(err, &de) || len(de.Violations) == 0 {
		return err
	}
	c := *de
	c.Violations = make([]bank.Violation, len(de.Violations))
	for i, v := range de.Violations {
		c.Violations[i] = bank.Violation{Field: prefix + v.Field, Description: v.Description}
	}
	return &c
}

// splitGL splits a multi-locus GL String (or GLSC) into per-locus typings.
func splitGL(s string) ([]bank.LocusTyping, error) {
	var g *hla.GL
	if strings.HasPrefix(strings.ToLower(s), "hla#") {
		c, err := hla.ParseGLSC(s)
		if err != nil {
			return nil, err
		}
		g = c.GL
	} else {
		var err error
		if g, err = hla.ParseGL(s); err != nil {
			return nil, err
		}
	}
	parts := []*hla.GL{g}
	if g.Op == hla.OpLoci {
		parts = g.Items
	}
	var out []bank.LocusTyping
	seen := map[string]bool{}
	for _, part := range parts {
		locus := ""
		mixed := false
		part.Names(func(n hla.Name) {
			// Serological antigens name their molecular locus (DR15 is a
			// DRB1 typing, Cw3 a C typing).
			l := n.Locus
			if n.Kind == hla.KindSerology {
				l = n.MolecularLocus()
			}
			if locus == "" {
				locus = l
			} else if l != locus {
				mixed = true
			}
		})
		if mixed {
			return nil, fmt.Errorf("%q mixes loci; join loci with '^'", part.String())
		}
		if seen[locus] {
			return nil, fmt.Errorf("locus %s appears twice", locus)
		}
		seen[locus] = true
		out = append(out, bank.LocusTyping{Locus: locus, Text: part.String()})
	}
	return out, nil
}

func overrides(p *pb.SearchPolicy) match.Overrides {
	if p == nil {
		return match.Overrides{}
	}
	i := func(x *int32) *int {
		if x == nil {
			return nil
		}
		n := int(*x)
		return &n
	}
	o := match.Overrides{
		MinMatches: i(p.MinMatches), MinTNCPerKg: p.MinTncPerKg, MinCD34PerKg: p.MinCd34PerKg,
		AdequateTNCPerKg: p.AdequateTncPerKg, AdequateCD34PerKg: p.AdequateCd34PerKg,
		DSAMinMFI: p.DsaMinMfi, ExcludeDSA: p.ExcludeDsa, MaxUnitAgeYears: i(p.MaxUnitAgeYears),
		RequireAccredited: p.RequireAccredited, RequireAttachedSegment: p.RequireAttachedSegment,
		RequireRBCDepleted: p.RequireRbcDepleted, DoubleCandidates: i(p.DoubleCandidates),
		DoubleMinTNCPerKg: p.DoubleMinTncPerKg, DoubleMinCD34PerKg: p.DoubleMinCd34PerKg,
		DoublePreferredCombinedTNCPerKg: p.DoublePreferredCombinedTncPerKg,
	}
	for _, k := range p.GetOrder() {
		o.Order = append(o.Order, match.RankKey(k))
	}
	return o
}

func excluded(m map[string]int) map[string]int32 {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]int32, len(m))
	for k, n := range m {
		out[k] = int32(n)
	}
	return out
}

func searchResponse(res *match.Result) *pb.SearchUnitsResponse {
	out := &pb.SearchUnitsResponse{TotalSize: int32(res.TotalSize), HlaRelease: res.Release,
		Excluded: excluded(res.Excluded), Scanned: int32(res.Scanned), FrequencySet: res.FrequencySet,
		LikelihoodWindow: int32(res.LikelihoodWindow), LikelihoodExact: res.LikelihoodExact}
	for i := range res.Matches {
		out.Matches = append(out.Matches, unitMatch(&res.Matches[i]))
	}
	for _, c := range res.ConfirmTyping {
		out.ConfirmTyping = append(out.ConfirmTyping, &pb.ConfirmTypingSuggestion{Unit: c.Unit, ExpectedGain: c.Gain})
	}
	return out
}

func matchProbability(pr *match.Prediction) *pb.MatchProbability {
	if pr == nil {
		return nil
	}
	out := &pb.MatchProbability{FrequencySet: pr.Set, Population: pr.Population, NomenclatureVersion: pr.NomenclatureVersion,
		UnitFrequencySet: pr.UnitSet, Unexplained: pr.Unexplained, PatientGenotypes: int32(pr.PatientGenotypes),
		UnitGenotypes: int32(pr.UnitGenotypes), Unrepresented: pr.Unrepresented}
	if pr.Unrepresented == "" {
		out.P8Of8, out.P7Of8, out.P6OrFewerOf8, out.P6Of6 = &pr.P8of8, &pr.P7of8, &pr.P6orFewerOf8, &pr.P6of6
		out.ExpectedMismatches = &pr.ExpectedMismatches
		out.LocusMatch = map[string]float64{}
		for i, l := range match.PredictedLoci {
			out.LocusMatch[l] = pr.Locus[i]
		}
	}
	return out
}

func unitMatch(m *match.Match) *pb.UnitMatch {
	out := &pb.UnitMatch{
		Unit: m.Unit, Bank: bankName(m.Bank), Rank: int32(m.Rank), Grade: matchGrade(&m.Grade),
		TncPerKg: m.TNCPerKg, DoseAdequate: m.DoseAdequate, Accredited: m.Accredited,
		AboCompatible: m.ABOCompatible, RbcDepleted: m.RBCDepleted, CollectionDate: m.CollectionDate.String(),
		DonorSpecificAntibodies: m.DSA, Explanation: m.Explanation, DecidedBy: string(m.DecidedBy),
	}
	if m.CD34Known {
		out.Cd34PerKg = &m.CD34PerKg
	}
	out.Probability = matchProbability(m.Prediction)
	return out
}

var directions = map[match.Direction]pb.MismatchDirection{
	match.DirectionNone:          pb.MismatchDirection_MISMATCH_DIRECTION_UNSPECIFIED,
	match.DirectionGvHOnly:       pb.MismatchDirection_MISMATCH_DIRECTION_GVH_ONLY,
	match.DirectionBidirectional: pb.MismatchDirection_MISMATCH_DIRECTION_BIDIRECTIONAL,
	match.DirectionHvGOnly:       pb.MismatchDirection_MISMATCH_DIRECTION_HVG_ONLY,
}

var confidences = map[match.Confidence]pb.MatchConfidence{
	match.Mismatch:  pb.MatchConfidence_MATCH_CONFIDENCE_MISMATCH,
	match.Potential: pb.MatchConfidence_MATCH_CONFIDENCE_POTENTIAL,
	match.Definite:  pb.MatchConfidence_MATCH_CONFIDENCE_DEFINITE,
}

func matchGrade(g *match.Grade) *pb.MatchGrade {
	out := &pb.MatchGrade{Total: int32(g.Total), Definite: int32(g.Definite), OutOf: int32(g.OutOf),
		Potential: g.Potential() > 0, Direction: directions[g.Direction], CMismatch: g.CMismatch, Summary: g.Describe()}
	for _, l := range g.Loci {
		lm := &pb.LocusMatch{Locus: l.Locus, Level: l.Level.String(), Counted: l.Counted, UnitTyped: l.UnitTyped,
			Matches: int32(l.Matches), Definite: int32(l.Definite), GvhMismatches: int32(l.GvH), HvgMismatches: int32(l.HvG),
			Direction: directions[l.Direction], Notes: l.Notes}
		for _, p := range l.Positions {
			lm.Positions = append(lm.Positions, &pb.PositionMatch{Patient: p.Patient, Unit: p.Unit, Confidence: confidences[p.Confidence], Relation: p.Relation})
		}
		out.Loci = append(out.Loci, lm)
	}
	return out
}
