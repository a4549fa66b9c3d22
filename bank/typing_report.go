package bank

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// TypingReport is a laboratory's HLA typing report (an HML file, read by
// the transport) to apply to units of one bank.
type TypingReport struct {
	Bank string
	// Source names the report in audit events and answers: its document
	// id and sender ("HML 2.16.840.1.113883.3.1470/ct-0001 from reporting
	// centre 567").
	Source  string
	Samples []ReportedSample
	// Field is the request field that carried the report ("hml"): every
	// violation names it, with the place in the report.
	Field string
}

// ReportedSample is one sample of a report: the unit's DIN as the report
// writes it and the typing found.
type ReportedSample struct {
	ID string
	// Where locates the sample in the report ("line 12").
	Where   string
	Typings []ReportedTyping
}

// ReportedTyping is the typing of one locus of a sample.
type ReportedTyping struct {
	Locus, Text string
	Where       string
	// AlleleDB and Release are the nomenclature the laboratory named
	// (HML allele-db and allele-version): IPD-IMGT/HLA and its release,
	// stated at NamedWhere.
	AlleleDB, Release string
	NamedWhere        string
	TypingDate        string
	Methods           []string
}

// TypingOutcome is what a report did to one unit.
type TypingOutcome string

// Typing report outcomes.
const (
	// TypingConfirmed: the report agrees with the registration typing and
	// completed the confirmatory typing a transplant centre requested on
	// the unit's open reservation.
	TypingConfirmed TypingOutcome = "CONFIRMED"
	// TypingExtended: the report agrees and added loci or resolution.
	TypingExtended TypingOutcome = "EXTENDED"
	// TypingUnchanged: the report agrees and adds nothing.
	TypingUnchanged TypingOutcome = "UNCHANGED"
	// TypingDiscrepant: a locus disagrees with the registration typing.
	TypingDiscrepant TypingOutcome = "DISCREPANT"
)

// SampleResult is what a report did to one unit.
type SampleResult struct {
	SampleID string
	Unit     *Unit // the unit as it now is
	Outcome  TypingOutcome
	// Added, Updated and Kept are the report's loci the unit had no typing
	// at, whose typing it replaced (agreeing and at least as resolved),
	// and whose stored typing stays (the same, or more resolved).
	Added, Updated, Kept []string
	// Discrepant lists the loci that disagree.
	Discrepant []string
	// Reservation names the reservation whose confirmatory typing the
	// report recorded ("" for none).
	Reservation string
	// Releases are the IPD-IMGT/HLA releases the report named.
	Releases []string

	before int64 // the unit's version before the report
}

const importTypingMethod = "ImportTypingReport"

var releaseRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// ApplyTypingReport applies a laboratory's typing report to the bank's
// units, all samples in one transaction: a report with any bad sample
// changes nothing, so a laboratory resends it corrected and the bank
// never has to work out which samples went in.
//
// Each sample names a unit by its DIN (as on the label: spaces, flags and
// check character accepted, the check character verified). Its typing is
// compared with the unit's registration typing, locus by locus, as
// confirmatory typing is (ctDiscrepancies):
//
//   - agreeing: loci the unit was not typed at are added (extended
//     typing) and agreeing loci at least as resolved as the stored typing
//     replace it, read against the server's IPD-IMGT/HLA release; when a
//     transplant centre requested confirmatory typing on the unit's open
//     reservation and the report retests A, B and DRB1, that confirmatory
//     typing is recorded COMPLETE, exactly as RecordConfirmatoryTyping does;
//   - discrepant: the unit's typing is left as it is (the sample may not be
//     the unit's) and the unit does what a discrepant confirmatory typing
//     does: it becomes TEMPORARILY_UNAVAILABLE with reason AD, its open
//     reservation is cancelled (a requested confirmatory typing recorded
//     DISCREPANT); a unit in QUARANTINE stays there with the discrepancy
//     as its status note.
//
// Every change is an audit event (method ImportTypingReport) whose reason
// names the report, the sample's line and the IPD-IMGT/HLA release the
// laboratory named. Sending the same report again changes nothing more.
//
// Errors: KindInvalid naming r.Field with each bad sample's place (a DIN
// that does not parse, a DIN twice, a typing that does not read, a
// nomenclature other than IPD-IMGT/HLA, no release); KindNotFound
// (ReasonUnitNotFound) for a DIN the bank has no unit under, the same
// answer whether or not another bank has one; KindFailedPrecondition
// (ReasonIllegalTransition) for a unit no longer held (shipped, infused,
// discarded, expired, withdrawn).
func (s *Service) ApplyTypingReport(ctx context.Context, r TypingReport) ([]SampleResult, error) {
	if err := authorize(ctx, access.ImportTypingReport, r.Bank, false); err != nil {
		return nil, err
	}
	dins, typings, err := s.validateTypingReport(&r)
	if err != nil {
		return nil, err
	}
	var out []SampleResult
	var changed []*Unit
	err = s.store.Write(ctx, func(tx Tx) error {
		out, changed = out[:0], changed[:0]
		now := s.now().UTC()
		trail := s.newChain(ctx, tx, now)
		for i, smp := range r.Samples {
			res, wrote, err := s.applySample(ctx, tx, trail, &r, smp, dins[i], typings[i], now)
			if err != nil {
				return err
			}
			out = append(out, res)
			if wrote {
				changed = append(changed, res.Unit)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.unitsChanged(changed)
	return out, nil
}

// validateTypingReport checks every sample before anything is read: DINs,
// nomenclature, release and typings, naming each problem's place.
func (s *Service) validateTypingReport(r *TypingReport) ([]unit.DIN, [][]LocusTyping, error) {
	var v Violations
	field := cmp.Or(r.Field, "report")
	if len(r.Samples) == 0 {
		v.Add(field, "the report has no sample")
	}
	dins := make([]unit.DIN, len(r.Samples))
	typings := make([][]LocusTyping, len(r.Samples))
	seen := map[unit.DIN]string{}
	for i, smp := range r.Samples {
		din, err := unit.ParseDIN(smp.ID)
		if err != nil {
			v.Add(field, "%s: sample id %q is not a unit's DIN: %v", smp.Where, smp.ID, err)
		} else if first, dup := seen[din]; dup {
			v.Add(field, "%s: sample %s is the unit of the sample at %s: one sample per unit", smp.Where, din, first)
		} else {
			seen[din] = smp.Where
		}
		dins[i] = din
		if len(smp.Typings) == 0 {
			v.Add(field, "%s: sample %q has no HLA typing to apply", smp.Where, smp.ID)
		}
		named := map[string]bool{} // assignments whose nomenclature was refused
		for _, t := range smp.Typings {
			if named[t.NamedWhere] && t.NamedWhere != "" {
				continue
			}
			if !strings.Contains(strings.ToUpper(t.AlleleDB), "IMGT") {
				named[t.NamedWhere] = true
				v.Add(field, "%s: allele-db %q: cordbank reads IPD-IMGT/HLA nomenclature only (allele-db IMGT/HLA)", cmp.Or(t.NamedWhere, t.Where), t.AlleleDB)
				continue
			}
			if !releaseRE.MatchString(t.Release) {
				named[t.NamedWhere] = true
				v.Add(field, "%s: allele-version %q: name the IPD-IMGT/HLA release the typing was assigned with (3.24.0)", cmp.Or(t.NamedWhere, t.Where), t.Release)
				continue
			}
			read, err := s.hla.Read(t.Locus, t.Text)
			if err != nil {
				why := err.Error()
				if loaded := s.hla.Release(); loaded != "" && loaded != t.Release {
					why += fmt.Sprintf(" (read against IPD-IMGT/HLA %s, the release this server loads; the report names %s)", loaded, t.Release)
				}
				v.Add(field, "%s: HLA-%s typing %q: %s", t.Where, t.Locus, t.Text, why)
				continue
			}
			read.Text = t.Text
			typings[i] = append(typings[i], read)
		}
		sortTypings(typings[i])
	}
	if err := v.Err("invalid typing report"); err != nil {
		return nil, nil, err
	}
	return dins, typings, nil
}

// applySample applies one sample's typing to its unit (ApplyTypingReport)
// and reports whether it wrote the unit.
func (s *Service) applySample(ctx context.Context, tx Tx, trail *chain, r *TypingReport, smp ReportedSample, din unit.DIN, typing []LocusTyping, now time.Time) (SampleResult, bool, error) {
	res, err := s.applySampleTo(ctx, tx, trail, r, smp, din, typing, now)
	if err != nil {
		return res, false, err
	}
	return res, res.Unit.Version != res.before, nil
}

func (s *Service) applySampleTo(ctx context.Context, tx Tx, trail *chain, r *TypingReport, smp ReportedSample, din unit.DIN, typing []LocusTyping, now time.Time) (SampleResult, error) {
	res := SampleResult{SampleID: smp.ID}
	for _, t := range smp.Typings {
		if !slices.Contains(res.Releases, t.Release) {
			res.Releases = append(res.Releases, t.Release)
		}
	}
	u, err := visibleUnit(ctx, tx, r.Bank, din)
	if KindOf(err) == KindNotFound {
		return res, NewError(KindNotFound, ReasonUnitNotFound, fmt.Sprintf("%s: sample %q: bank %s has no unit %s", smp.Where, smp.ID, r.Bank, din),
			"name", UnitName(r.Bank, din))
	} else if err != nil {
		return res, err
	}
	res.Unit, res.before = u, u.Version
	if u.Status.Terminal() {
		return res, NewError(KindFailedPrecondition, ReasonIllegalTransition,
			fmt.Sprintf("%s: unit %s is %s: typing reports apply to units the bank still holds", smp.Where, din, u.Status),
			"name", u.Name(), "status", string(u.Status))
	}
	why := typingReason(r.Source, smp)
	disc := ctDiscrepancies(u.HLA, typing)
	open, err := tx.OpenReservation(ctx, din)
	if err != nil {
		return res, err
	}
	cur := u
	if open != nil && open.CT == lifecycle.CTRequested && retestsCTLoci(typing) {
		nr := *open
		nr.UpdateTime, nr.Version = now, open.Version+1
		unitTo, unitReason, unitNote := recordConfirmatoryTyping(&nr, u, typing, now)
		if err := tx.UpdateReservation(ctx, &nr); err != nil {
			return res, err
		}
		if err := trail.changed(importTypingMethod, nr.Name(), nr.Bank, why, open, &nr); err != nil {
			return res, err
		}
		res.Reservation = nr.Name()
		if unitTo != "" {
			if cur, err = s.setUnitStatus(ctx, tx, trail, u, importTypingMethod, unitTo, unitReason, unit.Date{}, unitNote+": "+why, now); err != nil {
				return res, err
			}
		}
	}
	if len(disc) > 0 {
		res.Outcome, res.Discrepant = TypingDiscrepant, disc
		if res.Reservation == "" {
			if cur, err = s.holdDiscrepant(ctx, tx, trail, u, disc, why, now); err != nil {
				return res, err
			}
		}
		res.Unit = cur
		return res, nil
	}
	merged := cloneUnit(cur)
	merged.HLA, res.Added, res.Updated, res.Kept = mergeTypings(cur.HLA, typing)
	switch {
	case len(res.Added)+len(res.Updated) > 0:
		res.Outcome = TypingExtended
		var v Violations
		validateHLA(merged.HLA, s.hla, true, &v, "hla")
		if err := v.Err("invalid merged typing"); err != nil {
			return res, Internal(err, "%s: the merged typing of %s does not read", smp.Where, din)
		}
		merged.HLARelease = s.hla.Release()
		merged.UpdateTime, merged.Version = now, cur.Version+1
		if err := tx.UpdateUnit(ctx, merged); err != nil {
			return res, err
		}
		if err := trail.changed(importTypingMethod, merged.Name(), merged.Bank, why, cur, merged); err != nil {
			return res, err
		}
		cur = merged
	default:
		res.Outcome = TypingUnchanged
	}
	if res.Reservation != "" {
		res.Outcome = TypingConfirmed
	}
	res.Unit = cur
	return res, nil
}

// holdDiscrepant takes a unit whose retest disagrees out of circulation as
// a discrepant confirmatory typing does: TEMPORARILY_UNAVAILABLE with
// reason AD, its open reservation cancelled (closeOnTransition). A unit in
// QUARANTINE is not listed anyway: it keeps its status, with the
// discrepancy as its note. A unit already held for this discrepancy is
// left alone, so a report sent twice records it once.
func (s *Service) holdDiscrepant(ctx context.Context, tx Tx, trail *chain, u *Unit, loci []string, why string, now time.Time) (*Unit, error) {
	note := "typing discrepancy at " + strings.Join(loci, ", ") + ": " + why
	to, reason := lifecycle.StatusTemporarilyUnavailable, lifecycle.DiscrepancyReason
	if u.Status == lifecycle.StatusQuarantine {
		to, reason = lifecycle.StatusQuarantine, u.StatusReason
	}
	if u.Status == to && u.StatusReason == reason && u.StatusNote == note {
		return u, nil
	}
	nu, err := s.setUnitStatus(ctx, tx, trail, u, importTypingMethod, to, reason, unit.Date{}, note, now)
	if err != nil {
		return nil, err
	}
	return nu, s.closeOnTransition(ctx, tx, trail, u, nu, importTypingMethod, now)
}

// retestsCTLoci reports whether a typing covers the loci confirmatory
// typing must retest.
func retestsCTLoci(ts []LocusTyping) bool {
	for _, l := range lifecycle.ConfirmatoryLoci() {
		if !slices.ContainsFunc(ts, func(t LocusTyping) bool { return t.Locus == l }) {
			return false
		}
	}
	return true
}

// typingReason is the audit reason of a sample's changes: the report, the
// sample's place and the releases, dates and methods it names.
func typingReason(source string, smp ReportedSample) string {
	var rel, dates, methods []string
	for _, t := range smp.Typings {
		if !slices.Contains(rel, t.Release) {
			rel = append(rel, t.Release)
		}
		if t.TypingDate != "" && !slices.Contains(dates, t.TypingDate) {
			dates = append(dates, t.TypingDate)
		}
		for _, m := range t.Methods {
			if !slices.Contains(methods, m) {
				methods = append(methods, m)
			}
		}
	}
	out := fmt.Sprintf("%s, sample %q at %s: IPD-IMGT/HLA %s", cmp.Or(source, "typing report"), smp.ID, smp.Where, strings.Join(rel, ", "))
	if len(dates) > 0 {
		out += ", typed " + strings.Join(dates, ", ")
	}
	if len(methods) > 0 {
		out += " by " + strings.Join(methods, ", ")
	}
	return out
}

// mergeTypings merges an agreeing report into a unit's typing: a locus
// the unit lacks is added; a report typing at least as resolved as the
// stored one (and read differently) replaces it; otherwise the stored one
// stays. It returns the merged typings in canonical order and the loci of
// each kind.
func mergeTypings(stored, report []LocusTyping) (merged []LocusTyping, added, updated, kept []string) {
	merged = slices.Clone(stored)
	for _, t := range report {
		i := slices.IndexFunc(merged, func(m LocusTyping) bool { return m.Locus == t.Locus })
		switch {
		case i < 0:
			merged = append(merged, t)
			added = append(added, t.Locus)
		case merged[i].Reading.GL != t.Reading.GL && resolution(t.Reading.GL) >= resolution(merged[i].Reading.GL):
			merged[i] = t
			updated = append(updated, t.Locus)
		default:
			kept = append(kept, t.Locus)
		}
	}
	sortTypings(merged)
	return merged, added, updated, kept
}

// resolution is the fewest fields any name of a GL String is typed to:
// 0 for a serological antigen, 1 for an allele family, an XX code or a
// multiple allele code, else the number of fields (A*02:01:01 is 3).
func resolution(gl string) int {
	least := -1
	for _, name := range strings.FieldsFunc(gl, func(r rune) bool { return strings.ContainsRune("+/|~^", r) }) {
		n := 0
		if star := strings.IndexByte(name, '*'); star >= 0 {
			fields := strings.Split(name[star+1:], ":")
			n = len(fields)
			if n >= 2 && strings.IndexFunc(fields[1], func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0 {
				n = 1
			}
		}
		if least < 0 || n < least {
			least = n
		}
	}
	return max(least, 0)
}
