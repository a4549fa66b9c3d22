package bank

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/names"
	"github.com/cordbank/cordbank/bank/unit"
)

// ReserveRequest asks to hold a unit for a patient.
type ReserveRequest struct {
	Bank             string
	DIN              unit.DIN
	TransplantCenter string
	PatientID        string
	ExpireTime       time.Time
	// Etag, when not empty, must be the unit's current etag.
	Etag      string
	RequestID string
}

func validID(v *Violations, field, s string, required bool) {
	switch {
	case s == "" && required:
		v.Add(field, "required")
	case len(s) > maxIDLength:
		v.Add(field, "at most %d characters", maxIDLength)
	default:
		for _, r := range s {
			if r <= ' ' || r > '~' {
				v.Add(field, "printable ASCII without spaces only (a registry id, never a name)")
				return
			}
		}
	}
}

// ReserveUnit holds an AVAILABLE unit for a patient until r.ExpireTime: the
// unit becomes RESERVED (EMDIS RS) and drops out of search results at once.
// Of many concurrent reservations of one unit exactly one succeeds; the
// others get KindFailedPrecondition (ReasonUnitNotReservable: the unit is
// no longer available) or KindAborted (stale etag). Autologous units are
// never reserved; a directed unit only for its designated recipient. An
// ACTIVE hold that lapsed but was not yet swept is expired first.
func (s *Service) ReserveUnit(ctx context.Context, r ReserveRequest) (*Reservation, error) {
	if err := authorize(ctx, access.ReserveUnit, r.Bank, false); err != nil {
		return nil, err
	}
	tc, err := ownCentre(access.PrincipalFrom(ctx), r.TransplantCenter, "reserves")
	if err != nil {
		return nil, err
	}
	r.TransplantCenter = tc
	var v Violations
	validID(&v, "transplant_center", r.TransplantCenter, true)
	validID(&v, "patient_id", r.PatientID, true)
	lifecycle.CheckExpiry(&v, "expire_time", r.ExpireTime, s.now())
	validRequestID(&v, r.RequestID)
	if err := v.Err("invalid reservation"); err != nil {
		return nil, err
	}
	r.ExpireTime = r.ExpireTime.UTC()
	fp := fingerprint(r.RequestID, "ReserveUnit", r)
	var out *Reservation
	var changed []*Unit
	err = s.store.Write(ctx, func(tx Tx) error {
		changed = changed[:0]
		if name, err := replay(ctx, tx, r.RequestID, "ReserveUnit", fp); err != nil {
			return err
		} else if name != "" {
			var err error
			out, err = tx.GetReservation(ctx, name[strings.LastIndexByte(name, '/')+1:])
			return err
		}
		now := s.now().UTC()
		trail := s.newChain(ctx, tx, now)
		u, err := visibleUnit(ctx, tx, r.Bank, r.DIN)
		if err != nil {
			return err
		}
		if err := checkEtag(r.Etag, u.Version, u.Name()); err != nil {
			return err
		}
		if u.Status == lifecycle.StatusReserved {
			// A lapsed hold frees the unit even before the sweeper runs.
			if u, err = s.expireIfDue(ctx, tx, trail, u, now); err != nil {
				return err
			}
			if u.Status == lifecycle.StatusAvailable {
				changed = append(changed, u)
			}
		}
		candidate := lifecycle.Candidate{Status: u.Status, Autologous: u.Type == UnitTypeAutologous,
			Directed: u.Type == UnitTypeDirected, DirectedRecipient: u.Private.DirectedRecipient}
		if err := candidate.CheckReservable(r.PatientID); err != nil {
			return lifecycleRefused(err, u.Name(), "unit_type", string(u.Type))
		}
		res := &Reservation{ID: lifecycle.NewReservationID(), Bank: u.Bank, DIN: u.DIN, TransplantCenter: r.TransplantCenter,
			PatientID: r.PatientID, Status: lifecycle.ReservationActive, ExpireTime: r.ExpireTime,
			CreateTime: now, UpdateTime: now, Version: 1}
		if err := tx.InsertReservation(ctx, res); err != nil {
			return err
		}
		if err := trail.created("ReserveUnit", res.Name(), res.Bank, res); err != nil {
			return err
		}
		nu, err := s.setUnitStatus(ctx, tx, trail, u, "ReserveUnit", lifecycle.StatusReserved, "", unit.DateOf(r.ExpireTime), "reserved for patient "+r.PatientID+" by "+r.TransplantCenter, now)
		if err != nil {
			return err
		}
		changed = append(changed, nu)
		if r.RequestID != "" {
			if err := tx.PutRequest(ctx, &RequestRecord{ID: r.RequestID, Method: "ReserveUnit", Fingerprint: fp, Resource: res.Name(), CreateTime: now}); err != nil {
				return err
			}
		}
		out = res
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.unitsChanged(changed)
	return out, nil
}

// setUnitStatus writes a status change of u made by a reservation method,
// with its audit event, and returns the new unit.
func (s *Service) setUnitStatus(ctx context.Context, tx RegistryWriter, trail *chain, u *Unit, method string, to lifecycle.Status, reason string, end unit.Date, note string, now time.Time) (*Unit, error) {
	nu := cloneUnit(u)
	nu.Status, nu.StatusReason, nu.StatusEndDate, nu.StatusNote, nu.StatusTime = to, reason, end, note, now
	nu.UpdateTime, nu.Version = now, u.Version+1
	if err := tx.UpdateUnit(ctx, nu); err != nil {
		return nil, err
	}
	if err := trail.changed(method, nu.Name(), nu.Bank, reason, u, nu); err != nil {
		return nil, err
	}
	return nu, nil
}

// endReservation closes an open reservation with status st and records it.
func (s *Service) endReservation(ctx context.Context, tx ReservationWriter, trail *chain, res *Reservation, method string, st lifecycle.ReservationStatus, why string, now time.Time) (*Reservation, error) {
	nr := *res
	nr.Status, nr.EndTime, nr.EndReason, nr.UpdateTime, nr.Version = st, now, why, now, res.Version+1
	if err := tx.UpdateReservation(ctx, &nr); err != nil {
		return nil, err
	}
	if err := trail.changed(method, nr.Name(), nr.Bank, "", res, &nr); err != nil {
		return nil, err
	}
	return &nr, nil
}

// expireIfDue expires the open reservation of a RESERVED unit whose hold
// lapsed at now, returning the unit as it then is.
func (s *Service) expireIfDue(ctx context.Context, tx Tx, trail *chain, u *Unit, now time.Time) (*Unit, error) {
	res, err := tx.OpenReservation(ctx, u.DIN)
	if err != nil || res == nil || !res.Due(now) {
		return u, err
	}
	if _, err := s.endReservation(ctx, tx, trail, res, "ExpireReservation", lifecycle.ReservationExpired, "the hold lapsed at "+res.ExpireTime.Format(time.RFC3339), now); err != nil {
		return nil, err
	}
	return s.setUnitStatus(ctx, tx, trail, u, "ExpireReservation", lifecycle.StatusAvailable, "", unit.Date{}, "reservation "+res.ID+" expired", now)
}

// ExpireReservations ends every ACTIVE hold whose expiry has passed and
// makes its unit AVAILABLE again, each with an audit event by the system.
// The server runs it periodically; it returns how many it expired.
func (s *Service) ExpireReservations(ctx context.Context) (int, error) {
	ctx = WithCaller(ctx, Caller{Principal: "system:reservation-expiry", RequestID: CallerFrom(ctx).RequestID})
	n := 0
	for {
		var changed []*Unit
		var done bool
		err := s.store.Write(ctx, func(tx Tx) error {
			changed = changed[:0]
			now := s.now().UTC()
			due, err := tx.DueReservations(ctx, now, 200)
			if err != nil {
				return err
			}
			done = len(due) < 200
			trail := s.newChain(ctx, tx, now)
			for _, res := range due {
				u, err := tx.GetUnit(ctx, res.Bank, res.DIN)
				if err != nil {
					return err
				}
				nu, err := s.expireIfDue(ctx, tx, trail, u, now)
				if err != nil {
					return err
				}
				changed = append(changed, nu)
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += len(changed)
		s.unitsChanged(changed)
		if done {
			return n, nil
		}
	}
}

// reservationActions are the policy's actions of the reservation changes.
var reservationActions = map[lifecycle.ReservationAction]access.Action{
	lifecycle.ReservationExtend: access.ChangeReservation, lifecycle.ReservationRelease: access.ChangeReservation,
	lifecycle.ReservationRequestTyping: access.RequestForCentre, lifecycle.ReservationRequestShipment: access.RequestForCentre,
	lifecycle.ReservationRecordTyping: access.RecordConfirmatoryTyping,
}

// ReservationChange is a request to act on an open reservation.
type ReservationChange struct {
	Bank   string
	DIN    unit.DIN
	ID     string
	Action lifecycle.ReservationAction
	// ExpireTime is the new expiry (extend).
	ExpireTime time.Time
	// Reason says why a reservation is released (optional, free text).
	Reason string
	// Typing is the confirmatory typing (recordTyping): at least A, B
	// and DRB1.
	Typing []LocusTyping
	// Etag, when not empty, must be the reservation's current etag.
	Etag      string
	RequestID string
}

func (s *Service) validateChange(r *ReservationChange, v *Violations) {
	validRequestID(v, r.RequestID)
	if _, ok := r.Action.Method(); !ok {
		v.Add("action", "unknown reservation action %q", r.Action)
		return
	}
	if r.Action == lifecycle.ReservationExtend {
		lifecycle.CheckExpiry(v, "expire_time", r.ExpireTime, s.now())
	} else if !r.ExpireTime.IsZero() {
		v.Add("expire_time", "only extend takes an expiry")
	}
	if len(r.Reason) > 500 {
		v.Add("reason", "at most 500 characters")
	}
	if r.Action == lifecycle.ReservationRecordTyping {
		validateHLA(r.Typing, s.hla, true, v, "typing")
		for _, l := range lifecycle.ConfirmatoryLoci() {
			if !slices.ContainsFunc(r.Typing, func(t LocusTyping) bool { return t.Locus == l }) {
				v.Add("typing."+strings.ToLower(l), "required: confirmatory typing retests A, B and DRB1")
			}
		}
	} else if len(r.Typing) > 0 {
		v.Add("typing", "only recordTyping takes a typing")
	}
}

// ChangeReservation applies one action to an open reservation and returns
// it as stored:
//   - extend: a new, later expiry (ACTIVE or SHIPMENT_REQUESTED);
//   - release: the centre lets the unit go; it becomes AVAILABLE;
//   - requestTyping: confirmatory typing is requested (ACTIVE);
//   - recordTyping: the retest of A, B and DRB1 is recorded; when every
//     retested locus agrees with the registration typing CT is COMPLETE
//     (CT complete date = today); otherwise it is DISCREPANT, the
//     reservation is CANCELLED and the unit TEMPORARILY_UNAVAILABLE (AD)
//     until the bank resolves it;
//   - requestShipment: the unit is asked for (EMDIS WOR_REQ): reservation
//     and unit become SHIPMENT_REQUESTED; the bank then ships it
//     (lifecycle ship), which fulfils the reservation.
//
// Errors: KindInvalid naming bad fields; KindNotFound; KindAborted on a
// stale etag; KindFailedPrecondition (ReasonIllegalTransition) when the
// reservation's state forbids the action. Nothing is written on error.
func (s *Service) ChangeReservation(ctx context.Context, r ReservationChange) (*Reservation, error) {
	var v Violations
	s.validateChange(&r, &v)
	if err := v.Err("invalid reservation change"); err != nil {
		return nil, err
	}
	if err := authorize(ctx, reservationActions[r.Action], r.Bank, false); err != nil {
		return nil, err
	}
	method, _ := r.Action.Method()
	fp := fingerprint(r.RequestID, method, r)
	var out *Reservation
	var changed []*Unit
	err := s.store.Write(ctx, func(tx Tx) error {
		changed = changed[:0]
		if name, err := replay(ctx, tx, r.RequestID, method, fp); err != nil {
			return err
		} else if name != "" {
			var err error
			out, err = tx.GetReservation(ctx, r.ID)
			return err
		}
		res, err := visibleReservation(ctx, tx, r.Bank, r.DIN, r.ID)
		if err != nil {
			return err
		}
		if err := checkEtag(r.Etag, res.Version, res.Name()); err != nil {
			return err
		}
		now := s.now().UTC()
		trail := s.newChain(ctx, tx, now)
		u, err := tx.GetUnit(ctx, res.Bank, res.DIN)
		if err != nil {
			return err
		}
		if res.Due(now) {
			if u, err = s.expireIfDue(ctx, tx, trail, u, now); err != nil {
				return err
			}
			changed = append(changed, u)
			if res, err = tx.GetReservation(ctx, r.ID); err != nil {
				return err
			}
		}
		if err := lifecycle.CheckChange(r.Action, res.Status, res.CT); err != nil {
			return lifecycleRefused(err, res.Name())
		}
		nr := *res
		nr.UpdateTime, nr.Version = now, res.Version+1
		var unitTo lifecycle.Status
		unitReason, unitNote, unitEnd := "", "", unit.Date{}
		switch r.Action {
		case lifecycle.ReservationExtend:
			var v Violations
			if lifecycle.CheckExtension(&v, "expire_time", r.ExpireTime, res.ExpireTime); v.Len() > 0 {
				return v.Err("invalid reservation change")
			}
			nr.ExpireTime = r.ExpireTime.UTC()
			unitTo, unitEnd, unitNote = u.Status, unit.DateOf(nr.ExpireTime), u.StatusNote
		case lifecycle.ReservationRelease:
			nr.Status, nr.EndTime, nr.EndReason = lifecycle.ReservationReleased, now, r.Reason
			unitTo, unitNote = lifecycle.StatusAvailable, "reservation "+res.ID+" released"
		case lifecycle.ReservationRequestTyping:
			nr.CT, nr.CTRequestTime = lifecycle.CTRequested, now
		case lifecycle.ReservationRecordTyping:
			unitTo, unitReason, unitNote = recordConfirmatoryTyping(&nr, u, r.Typing, now)
		case lifecycle.ReservationRequestShipment:
			nr.Status, nr.ShipmentRequestTime = lifecycle.ReservationShipmentRequested, now
			unitTo, unitNote = lifecycle.StatusShipmentRequested, "shipment requested by "+res.TransplantCenter
			unitEnd = unit.DateOf(res.ExpireTime)
		}
		if err := tx.UpdateReservation(ctx, &nr); err != nil {
			return err
		}
		if err := trail.changed(method, nr.Name(), nr.Bank, "", res, &nr); err != nil {
			return err
		}
		if unitTo != "" {
			nu, err := s.setUnitStatus(ctx, tx, trail, u, method, unitTo, unitReason, unitEnd, unitNote, now)
			if err != nil {
				return err
			}
			changed = append(changed, nu)
		}
		if r.RequestID != "" {
			if err := tx.PutRequest(ctx, &RequestRecord{ID: r.RequestID, Method: method, Fingerprint: fp, Resource: nr.Name(), CreateTime: now}); err != nil {
				return err
			}
		}
		out = &nr
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.unitsChanged(changed)
	return out, nil
}

// recordConfirmatoryTyping records the confirmatory typing ct of unit u
// on its reservation nr: when every retested locus agrees with the
// registration typing CT is COMPLETE (dated today); otherwise it is
// DISCREPANT and the reservation CANCELLED, and the returned status change
// (TEMPORARILY_UNAVAILABLE, reason AD, with its note) is what the unit must
// get. RecordConfirmatoryTyping and typing reports (ApplyTypingReport)
// both record confirmatory typing through it.
func recordConfirmatoryTyping(nr *Reservation, u *Unit, ct []LocusTyping, now time.Time) (unitTo lifecycle.Status, unitReason, unitNote string) {
	nr.CTTyping = ct
	nr.CTDiscrepancies = ctDiscrepancies(u.HLA, ct)
	if len(nr.CTDiscrepancies) == 0 {
		nr.CT, nr.CTCompleteDate = lifecycle.CTComplete, unit.DateOf(now)
		return "", "", ""
	}
	nr.CT = lifecycle.CTDiscrepant
	nr.Status, nr.EndTime, nr.EndReason = lifecycle.ReservationCancelled, now, "confirmatory typing discrepancy at "+strings.Join(nr.CTDiscrepancies, ", ")
	return lifecycle.StatusTemporarilyUnavailable, lifecycle.DiscrepancyReason, nr.EndReason
}

// ctDiscrepancies lists the loci of ct whose retest disagrees with the
// registration typing reg. A retest agrees when, in one orientation, each
// retested copy (at two-field ARD level) is one of the registration copy's
// possibilities; a registration typed by serology only is compared by
// antigen. A locus the unit was never typed at cannot disagree.
func ctDiscrepancies(reg, ct []LocusTyping) []string {
	var out []string
	for _, c := range ct {
		i := slices.IndexFunc(reg, func(t LocusTyping) bool { return t.Locus == c.Locus })
		if i < 0 {
			continue
		}
		if !typingsAgree(reg[i].Reading, c.Reading) {
			out = append(out, c.Locus)
		}
	}
	return out
}

// typingsAgree compares two readings copy by copy, both orientations.
func typingsAgree(reg, ct TypingReading) bool {
	rl, cl := copies(reg.LGX), copies(ct.LGX)
	rs, cs := copies(reg.Serology), copies(ct.Serology)
	if len(rl) == 0 || len(cl) == 0 {
		return false
	}
	if len(rl) == 1 {
		rl, rs = append(rl, rl[0]), append(rs, rs...)
	}
	if len(cl) == 1 {
		cl, cs = append(cl, cl[0]), append(cs, cs...)
	}
	agree := func(i, j int) bool {
		if slices.ContainsFunc(cl[j], func(a string) bool { return slices.Contains(rl[i], a) }) {
			return true
		}
		// Serology-only registration: compare antigens.
		serologyOnly := !slices.ContainsFunc(rl[i], func(a string) bool { return strings.Contains(a, "*") })
		return serologyOnly && i < len(rs) && j < len(cs) && slices.ContainsFunc(cs[j], func(a string) bool { return slices.Contains(rs[i], a) })
	}
	return (agree(0, 0) && agree(1, 1)) || (agree(0, 1) && agree(1, 0))
}

// copies splits a one-locus GL String into its copies ('+'), each a list
// of possibilities ('/').
func copies(gl string) [][]string {
	if gl == "" {
		return nil
	}
	var out [][]string
	for _, c := range strings.Split(gl, "+") {
		out = append(out, strings.Split(c, "/"))
	}
	return out
}

// closeOnTransition ends the open reservation of a unit leaving RESERVED
// or SHIPMENT_REQUESTED through a lifecycle method: shipping fulfils it,
// any other disposition cancels it.
func (s *Service) closeOnTransition(ctx context.Context, tx Tx, trail *chain, before, after *Unit, method string, now time.Time) error {
	st, why, closes := lifecycle.Closing(before.Status, after.Status)
	if !closes {
		return nil
	}
	res, err := tx.OpenReservation(ctx, before.DIN)
	if err != nil || res == nil {
		return err
	}
	_, err = s.endReservation(ctx, tx, trail, res, method, st, why, now)
	return err
}

// GetReservation returns a reservation of a unit, or KindNotFound.
func (s *Service) GetReservation(ctx context.Context, bank string, din unit.DIN, id string) (*Reservation, error) {
	if err := authorize(ctx, access.ReadReservations, bank, false); err != nil {
		return nil, err
	}
	var out *Reservation
	err := s.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = visibleReservation(ctx, tx, bank, din, id)
		return err
	})
	return out, err
}

// ownCentre returns the transplant centre a call of p acts for: a
// coordinator acts for its own centre only (the default when tc is
// empty); anyone else for tc as given. verb completes the refusal
// ("coordinator X reserves for transplant centre Y only").
func ownCentre(p Principal, tc, verb string) (string, error) {
	if p.Role != RoleCoordinator || tc == p.Org {
		return tc, nil
	}
	if tc == "" {
		return p.Org, nil
	}
	return "", NewError(KindPermissionDenied, ReasonPermissionDenied,
		fmt.Sprintf("coordinator %q %s transplant centre %q only", p.Name, verb, p.Org))
}

// visibleReservation returns reservation id of the unit of bank with din
// if the caller of ctx may see it. A coordinator sees its own centre's
// reservations of public units only; anything else is KindNotFound, the
// answer for a reservation that does not exist.
func visibleReservation(ctx context.Context, tx ReadTx, bank string, din unit.DIN, id string) (*Reservation, error) {
	notFound := NewError(KindNotFound, ReasonReservationNotFound, "no such reservation", "name", names.Reservation(bank, string(din), id))
	r, err := tx.GetReservation(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Bank != bank || r.DIN != din {
		return nil, notFound
	}
	p := access.PrincipalFrom(ctx)
	if p.SeesPrivateOf(bank) {
		return r, nil
	}
	if p.Role == RoleCoordinator && r.TransplantCenter != p.Org {
		return nil, notFound
	}
	if _, err := visibleUnit(ctx, tx, bank, din); KindOf(err) == KindNotFound {
		return nil, notFound
	} else if err != nil {
		return nil, err
	}
	return r, nil
}

// ListReservationsRequest selects a page of reservations.
type ListReservationsRequest struct {
	Bank             string   // required
	DIN              unit.DIN // one unit's reservations
	TransplantCenter string
	OpenOnly         bool
	PageSize         int
	PageToken        string
}

// ListReservations returns one page of a bank's reservations in id order.
func (s *Service) ListReservations(ctx context.Context, r ListReservationsRequest) ([]*Reservation, error) {
	out, _, err := s.ListReservationsPage(ctx, r)
	return out, err
}

// ListReservationsPage is ListReservations with the next page's token ("" on
// the last page).
func (s *Service) ListReservationsPage(ctx context.Context, r ListReservationsRequest) ([]*Reservation, string, error) {
	var v Violations
	n := pageSize(&v, r.PageSize)
	if err := authorize(ctx, access.ReadReservations, r.Bank, false); err != nil {
		return nil, "", err
	}
	p := access.PrincipalFrom(ctx)
	outsider := !p.SeesPrivateOf(r.Bank)
	tc, err := ownCentre(p, r.TransplantCenter, "lists the reservations of")
	if err != nil {
		return nil, "", err
	}
	r.TransplantCenter = tc
	fk := filterKey("reservations", r.Bank, string(r.DIN), r.TransplantCenter, fmt.Sprint(r.OpenOnly))
	after := decodePageToken(&v, r.PageToken, fk)
	if err := v.Err("invalid list request"); err != nil {
		return nil, "", err
	}
	var out []*Reservation
	err = s.store.Read(ctx, func(tx ReadTx) error {
		var err error
		// Scoped before paging: outsiders page through the reservations
		// of public units only.
		out, err = tx.ListReservations(ctx, ReservationQuery{Bank: r.Bank, DIN: r.DIN, TransplantCenter: r.TransplantCenter,
			OpenOnly: r.OpenOnly, PublicUnitsOnly: outsider, AfterID: after, Limit: n + 1})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, next := pageOf(out, n, fk, func(r *Reservation) string { return r.ID })
	return out, next, nil
}
