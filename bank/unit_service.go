package bank

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/names"
	"github.com/cordbank/cordbank/bank/unit"
)

// unknownBank turns "bank not found" into a violation of the request's
// parent field: the caller named a bank that does not exist.
func unknownBank(err error, id string) error {
	if KindOf(err) == KindNotFound {
		return &Error{Kind: KindInvalid, Reason: ReasonBankNotFound, Message: "unknown bank",
			Violations: []Violation{{Field: "parent", Description: "bank " + id + " does not exist"}},
			Metadata:   map[string]string{"bank": names.Bank(id)}}
	}
	return err
}

// prepareNewUnit validates u for registration and sets the fields the
// service owns. It returns the violations found (prefix "unit.").
func (s *Service) prepareNewUnit(u *Unit, v *Violations) {
	validateUnit(u, unit.DateOf(s.now()), s.hla, v, "unit.")
	u.Status = lifecycle.StatusQuarantine
}

// ValidateUnit returns every problem with u as a new registration, without
// writing anything. Transports use it to report their own parse errors
// together with the domain's in one response.
func (s *Service) ValidateUnit(u *Unit) []Violation {
	var v Violations
	validateUnit(cloneUnit(u), unit.DateOf(s.now()), s.hla, &v, "unit.")
	return v.List()
}

// CreateUnit registers a unit in quarantine. The unit's DIN is its
// identity; requestID, when not empty, makes the call idempotent.
func (s *Service) CreateUnit(ctx context.Context, u *Unit, requestID string) (*Unit, error) {
	var v Violations
	validRequestID(&v, requestID)
	nu := cloneUnit(u)
	s.prepareNewUnit(nu, &v)
	if err := v.Err("invalid unit"); err != nil {
		return nil, err
	}
	fp := fingerprint(requestID, "CreateUnit", nu)
	var out *Unit
	if err := authorize(ctx, access.WriteUnits, nu.Bank, false); err != nil {
		return nil, err
	}
	// The unit's creation event (its JSON snapshot and content hash) is
	// made here, on the caller's goroutine, as an import's are: the single
	// writer only links it to the chain.
	now := s.now().UTC()
	nu.CreateTime, nu.UpdateTime, nu.Version = now, now, 1
	snap, err := snapshotJSON(nu)
	if err != nil {
		return nil, err
	}
	event := prepareEvent(newEvent(CallerFrom(ctx), now, "CreateUnit", nu.Name(), nu.Bank, "", createdChanges(snap)))
	appended, err := s.writeHandOver(ctx, func(tx Tx) error {
		b, err := tx.GetBank(ctx, nu.Bank)
		if err != nil {
			return unknownBank(err, nu.Bank)
		}
		// Before anything reads the DIN: the refusal must not depend on
		// whether another bank registered it.
		if !b.OwnsFIN(nu.DIN.FIN()) {
			return finNotOwned(b, nu.DIN, "unit.din")
		}
		if name, err := replay(ctx, tx, requestID, "CreateUnit", fp); err != nil {
			return err
		} else if name != "" {
			var err error
			out, err = tx.GetUnit(ctx, nu.Bank, nu.DIN)
			return err
		}
		if err := tx.InsertUnit(ctx, nu); err != nil {
			return err
		}
		trail := s.newChain(ctx, tx, now)
		trail.knowUnit(nu) // its event's stream, without reading the unit back
		if err := trail.appendPrepared(event); err != nil {
			return err
		}
		if requestID != "" {
			if err := tx.PutRequest(ctx, &RequestRecord{ID: requestID, Method: "CreateUnit", Fingerprint: fp, Resource: nu.Name(), CreateTime: now}); err != nil {
				return err
			}
		}
		out = nu
		return nil
	})
	if err == nil {
		s.handOver(appended, []*Unit{out}, nil)
	}
	return out, err
}

// GetUnit returns a unit of a bank as the caller of ctx may see it, or
// KindNotFound (also for a private unit of a bank the caller does not
// belong to: access.Principal.SeesPrivateOf).
func (s *Service) GetUnit(ctx context.Context, bank string, din unit.DIN) (*Unit, error) {
	if err := authorize(ctx, access.ReadUnits, bank, false); err != nil {
		return nil, err
	}
	var out *Unit
	err := s.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = visibleUnit(ctx, tx, bank, din)
		return err
	})
	if err != nil {
		return nil, err
	}
	return showUnit(ctx, out), nil
}

// showUnit returns u as the caller of ctx may see it: without its private
// (maternal, family) fields outside its bank. u is not modified.
func showUnit(ctx context.Context, u *Unit) *Unit {
	if access.PrincipalFrom(ctx).SeesPrivateOf(u.Bank) {
		return u
	}
	c := *u
	c.Private = UnitPrivate{}
	return &c
}

// ListUnitsRequest selects a page of a bank's units.
type ListUnitsRequest struct {
	Bank          string
	Statuses      []lifecycle.Status
	Types         []UnitType
	ABOs          []ABO
	CollectedFrom unit.Date
	CollectedTo   unit.Date
	PageSize      int
	PageToken     string
}

// ListUnits returns one page of a bank's units in DIN order and the next
// page's token ("" on the last page). Pages are keyset-based: units created
// while a client pages through never make it see a unit twice or skip one
// that existed when it started.
func (s *Service) ListUnits(ctx context.Context, r ListUnitsRequest) ([]*Unit, string, error) {
	var v Violations
	n := pageSize(&v, r.PageSize)
	for _, st := range r.Statuses {
		if !statuses[st] {
			v.Add("status", "unknown status %q", st)
		}
	}
	for _, t := range r.Types {
		if !unitTypes[t] {
			v.Add("unit_type", "unknown unit type %q", t)
		}
	}
	for _, a := range r.ABOs {
		if !abos[a] {
			v.Add("abo", "unknown ABO group %q", a)
		}
	}
	if !r.CollectedFrom.IsZero() && !r.CollectedTo.IsZero() && r.CollectedTo.Before(r.CollectedFrom) {
		v.Add("collected_before", "%s is before collected_after %s", r.CollectedTo, r.CollectedFrom)
	}
	fk := filterKey("units", r.Bank, join(r.Statuses), join(r.Types), join(r.ABOs), r.CollectedFrom.String(), r.CollectedTo.String())
	after := decodePageToken(&v, r.PageToken, fk)
	if err := v.Err("invalid list request"); err != nil {
		return nil, "", err
	}
	if err := authorize(ctx, access.ReadUnits, r.Bank, false); err != nil {
		return nil, "", err
	}
	q := UnitQuery{Bank: r.Bank, Statuses: r.Statuses, Types: r.Types, ABOs: r.ABOs,
		CollectedFrom: r.CollectedFrom, CollectedTo: r.CollectedTo, AfterDIN: unit.DIN(after), Limit: n + 1}
	outsider := !access.PrincipalFrom(ctx).SeesPrivateOf(r.Bank)
	if outsider {
		// Scoped before paging: outsiders page through public units only.
		if len(r.Types) > 0 && !slices.Contains(r.Types, UnitTypePublic) {
			q.Limit = 0 // only private types asked for: nothing to see
		}
		q.Types = []UnitType{UnitTypePublic}
	}
	var out []*Unit
	err := s.store.Read(ctx, func(tx ReadTx) error {
		if _, err := tx.GetBank(ctx, r.Bank); err != nil {
			return err
		}
		if q.Limit == 0 {
			return nil
		}
		var err error
		out, err = tx.ListUnits(ctx, q)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, next := pageOf(out, n, fk, func(u *Unit) string { return string(u.DIN) })
	if outsider {
		for i, u := range out {
			out[i] = showUnit(ctx, u)
		}
	}
	return out, next, nil
}

func join[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

// UpdateUnit changes the fields of u named by mask ("*" for every mutable
// field); u.Bank and u.DIN name the unit. The identity (din), the unit type
// and the status cannot be changed here: status changes are lifecycle
// methods. etag, when not empty, must be the current etag (else KindAborted).
func (s *Service) UpdateUnit(ctx context.Context, u *Unit, mask []string, etag string) (*Unit, error) {
	if err := authorize(ctx, access.WriteUnits, u.Bank, false); err != nil {
		return nil, err
	}
	var v Violations
	paths := maskPaths(mask, unitMutablePaths)
	if len(paths) == 0 {
		v.Add("update_mask", "name at least one field to update")
	}
	for _, p := range paths {
		if unitImmutable[p] {
			v.Add("update_mask", "%s cannot be changed by an update", p)
		} else if unitSetters[p] == nil {
			v.Add("update_mask", "unknown field %q", p)
		}
	}
	if err := v.Err("invalid unit update"); err != nil {
		return nil, err
	}
	var out *Unit
	appended, err := s.writeHandOver(ctx, func(tx Tx) error {
		cur, err := tx.GetUnit(ctx, u.Bank, u.DIN)
		if err != nil {
			return err
		}
		if err := checkEtag(etag, cur.Version, cur.Name()); err != nil {
			return err
		}
		nu := cloneUnit(cur)
		for _, p := range paths {
			unitSetters[p](nu, u)
		}
		var v Violations
		validateUnit(nu, unit.DateOf(s.now()), s.hla, &v, "unit.")
		if err := v.Err("invalid unit"); err != nil {
			return err
		}
		nu.UpdateTime = s.now().UTC()
		nu.Version++
		if err := tx.UpdateUnit(ctx, nu); err != nil {
			return err
		}
		if err := s.newChain(ctx, tx, nu.UpdateTime).changed("UpdateUnit", nu.Name(), nu.Bank, "", cur, nu); err != nil {
			return err
		}
		out = nu
		return nil
	})
	if err == nil {
		s.handOver(appended, []*Unit{out}, nil)
	}
	return out, err
}

// ImportResult is the outcome of one unit of an import batch.
type ImportResult struct {
	Unit *Unit // the stored unit, nil on error
	// AlreadyPresent: the DIN was registered in this bank before, with the
	// same registration content (sameRegistration); nothing was written
	// and Unit is the stored unit. An interrupted import sent again gets
	// this for every unit it had stored.
	AlreadyPresent bool
	Err            error
}

// sameRegistration reports whether stored, a registered unit, holds what
// registering incoming would store: every field a registration sets, but
// not what the service or later lifecycle methods own (status, times,
// version, custody, the HLA release the typings were read against).
func sameRegistration(stored, incoming *Unit) bool {
	a, b := registrationView(stored), registrationView(incoming)
	sa, err1 := snapshotJSON(a)
	sb, err2 := snapshotJSON(b)
	return err1 == nil && err2 == nil && sa == sb
}

func registrationView(u *Unit) *Unit {
	c := *u
	c.Status, c.StatusReason, c.StatusEndDate, c.StatusNote, c.StatusTime = "", "", unit.Date{}, "", time.Time{}
	c.DistributingBank, c.HLARelease = "", ""
	c.CreateTime, c.UpdateTime, c.Version = time.Time{}, time.Time{}, 0
	return &c
}

// ImportUnits registers a batch of units of one bank in one transaction.
// Each unit is validated and inserted on its own: a bad or duplicate unit
// gets its error in its result and does not stop the others. An error
// returned by the function itself (the bank does not exist, the store
// failed) means nothing of the batch was written.
func (s *Service) ImportUnits(ctx context.Context, bank string, units []*Unit) ([]ImportResult, error) {
	own := make([]*Unit, len(units))
	for i, u := range units {
		own[i] = cloneUnit(u)
	}
	b := s.PrepareImport(ctx, bank, own)
	res, err := s.CommitImport(ctx, b)
	b.Wait()
	return res, err
}

// ImportBatch is a batch of units validated and made ready for storage by
// PrepareImport. It is used once, by CommitImport.
type ImportBatch struct {
	bank  string
	now   time.Time
	res   []ImportResult
	valid []*Unit
	idx   []int
	// events are the units' audit events, content hashed before the
	// transaction so the single writer only links them.
	events []preparedEvent
	// notified is closed when the watchers (the search index) have seen
	// the committed units; nil until CommitImport stored the batch.
	notified chan struct{}
}

// Wait blocks until the watchers (the search index) have seen the units
// CommitImport stored, so a search made afterwards finds them. CommitImport
// tells them on another goroutine: the writer goes on with the next batch
// meanwhile. Wait returns at once for a batch that stored nothing.
func (b *ImportBatch) Wait() {
	if b.notified != nil {
		<-b.notified
	}
}

// PrepareImport validates units for registration in bank and builds their
// audit events. It does no I/O: a caller that streams an import can
// prepare the next batch on one core while CommitImport writes the
// previous one on another. ctx gives the caller recorded in the events.
//
// PrepareImport takes ownership of units: it sets their server-owned
// fields (bank, status, times, HLA readings) in place and the results
// return them, so the caller must not change them afterwards. (Copying
// each unit cost an import more than its validation.)
func (s *Service) PrepareImport(ctx context.Context, bank string, units []*Unit) *ImportBatch {
	b := &ImportBatch{bank: bank, now: s.now().UTC(), res: make([]ImportResult, len(units)),
		valid: make([]*Unit, 0, len(units)), idx: make([]int, 0, len(units)), events: make([]preparedEvent, 0, len(units))}
	caller := CallerFrom(ctx)
	for i, u := range units {
		var v Violations
		nu := u
		nu.Bank = bank
		s.prepareNewUnit(nu, &v)
		if err := v.Err("invalid unit"); err != nil {
			b.res[i].Err = err
			continue
		}
		nu.CreateTime, nu.UpdateTime, nu.Version = b.now, b.now, 1
		snap, err := snapshotJSON(nu)
		if err != nil {
			b.res[i].Err = err
			continue
		}
		e := newEvent(caller, b.now, "ImportUnits", nu.Name(), nu.Bank, "", createdChanges(snap))
		b.valid, b.idx, b.events = append(b.valid, nu), append(b.idx, i), append(b.events, prepareEvent(e))
	}
	return b
}

// CommitImport stores a prepared batch in one transaction: each unit is
// inserted on its own, so a duplicate DIN gets its error in its result
// and does not stop the others. An error returned by the function itself
// (the bank does not exist, the store failed) means nothing of the batch
// was written. Call b.Wait before answering the caller, so the search
// index has the units too.
func (s *Service) CommitImport(ctx context.Context, b *ImportBatch) ([]ImportResult, error) {
	return s.commitImport(ctx, b, false)
}

// TryImport decides every unit of a prepared batch exactly as CommitImport
// would (the same checks, in a write transaction that is then rolled
// back) and writes nothing: a dry run. A DIN repeated within the batch is
// decided as CommitImport decides it (the second is already present when
// identical); across batches it is not seen, so a caller that dry-runs
// in several batches refuses repeated DINs itself.
func (s *Service) TryImport(ctx context.Context, b *ImportBatch) ([]ImportResult, error) {
	return s.commitImport(ctx, b, true)
}

// errDryRun rolls back a TryImport's transaction.
var errDryRun = &Error{Kind: KindAborted, Message: "dry run"}

func (s *Service) commitImport(ctx context.Context, b *ImportBatch, dryRun bool) ([]ImportResult, error) {
	res := b.res
	if err := authorize(ctx, access.WriteUnits, b.bank, false); err != nil {
		return nil, err
	}
	appended, err := s.writeHandOver(WithBulkWrite(ctx), func(tx Tx) error {
		bk, err := tx.GetBank(ctx, b.bank)
		if err != nil {
			return unknownBank(err, b.bank)
		}
		// Units under a FIN the bank does not own are refused before any
		// DIN is looked up or inserted (see CreateUnit).
		owned := b.valid
		if !bk.ownsAllFINs(b.valid) {
			owned = make([]*Unit, 0, len(b.valid))
			for _, nu := range b.valid {
				if bk.OwnsFIN(nu.DIN.FIN()) {
					owned = append(owned, nu)
				}
			}
		}
		ierrs, err := tx.InsertUnits(ctx, owned)
		if err != nil {
			return err
		}
		errs := ierrs
		if len(owned) != len(b.valid) {
			errs = make([]error, len(b.valid))
			k := 0
			for j, nu := range b.valid {
				if !bk.OwnsFIN(nu.DIN.FIN()) {
					errs[j] = finNotOwned(bk, nu.DIN, "unit.din")
					continue
				}
				errs[j] = ierrs[k]
				k++
			}
		}
		events := make([]preparedEvent, 0, len(b.valid))
		trail := s.newChain(ctx, tx, b.now)
		for j, nu := range b.valid {
			if errs[j] != nil {
				r := &res[b.idx[j]]
				r.Err = errs[j]
				// A unit stored in this bank before under a FIN it does
				// not own (registered before FINs were assigned) is still
				// this bank's own: sent again, it is already present.
				// GetUnit finds only this bank's units, so the answer for
				// another bank's DIN stays FIN_NOT_OWNED either way.
				if KindOf(errs[j]) == KindAlreadyExists || !bk.OwnsFIN(nu.DIN.FIN()) {
					// Registered before: in this bank with the same content,
					// that is the outcome a re-sent import wants.
					if stored, err := tx.GetUnit(ctx, b.bank, nu.DIN); err == nil && sameRegistration(stored, nu) {
						r.Unit, r.AlreadyPresent, r.Err = stored, true, nil
					} else if err != nil && KindOf(err) != KindNotFound {
						return err
					}
				}
				continue
			}
			res[b.idx[j]].Unit = nu
			trail.knowUnit(nu) // its event's stream, without reading the unit back
			events = append(events, b.events[j])
		}
		if dryRun {
			return errDryRun
		}
		return trail.appendAll(events)
	})
	if dryRun && errors.Is(err, errDryRun) {
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	created := make([]*Unit, 0, len(res))
	for _, r := range res {
		if r.Unit != nil && !r.AlreadyPresent {
			created = append(created, r.Unit)
		}
	}
	b.notified = make(chan struct{})
	go func() {
		defer close(b.notified)
		s.handOver(appended, created, nil)
	}()
	return res, nil
}

// ScanUnits calls fn with every unit of every bank, in pages of up to
// 1000 in DIN order (each page read in its own transaction), until fn
// returns an error, without their HLA readings (UnitQuery.WithoutReadings).
// The search index is built with it only from a store whose read
// transaction offers no one-statement scan of the searchable columns
// (server.SearchableScanner, which both SQL stores do).
func (s *Service) ScanUnits(ctx context.Context, fn func([]*Unit) error) error {
	after := unit.DIN("")
	for {
		var page []*Unit
		err := s.store.Read(ctx, func(tx ReadTx) error {
			var err error
			page, err = tx.ListUnits(ctx, UnitQuery{AfterDIN: after, Limit: 1000, WithoutReadings: true})
			return err
		})
		if err != nil || len(page) == 0 {
			return err
		}
		if err := fn(page); err != nil {
			return err
		}
		after = page[len(page)-1].DIN
	}
}

func cloneUnit(u *Unit) *Unit {
	c := *u
	c.HLA = slices.Clone(u.HLA)
	c.Private.MaternalHLA = slices.Clone(u.Private.MaternalHLA)
	c.Cells = cloneCells(u.Cells)
	return &c
}

func cloneCells(c CellCounts) CellCounts {
	cp := func(p *float64) *float64 {
		if p == nil {
			return nil
		}
		x := *p
		return &x
	}
	return CellCounts{cp(c.PreProcessingTNC), c.PostProcessingTNC, cp(c.PreProcessingCD34), cp(c.PostProcessingCD34), cp(c.ViabilityPercent), cp(c.CFU), cp(c.NucleatedRBC)}
}
