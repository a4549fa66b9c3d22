package lifecycle

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank/refusal"
)

// ReservationStatus is where a reservation is in its life.
type ReservationStatus string

// Reservation statuses; wire enum cordbank.v1.ReservationStatus.
const (
	ReservationActive            ReservationStatus = "ACTIVE"
	ReservationShipmentRequested ReservationStatus = "SHIPMENT_REQUESTED"
	ReservationReleased          ReservationStatus = "RELEASED"  // the centre let the unit go
	ReservationExpired           ReservationStatus = "EXPIRED"   // the hold lapsed
	ReservationCancelled         ReservationStatus = "CANCELLED" // the unit can no longer be provided
	ReservationFulfilled         ReservationStatus = "FULFILLED" // the unit shipped
)

// Open reports whether a reservation in status s still holds its unit.
func (s ReservationStatus) Open() bool {
	return s == ReservationActive || s == ReservationShipmentRequested
}

// Due reports whether a hold in status s that expires at expire has lapsed
// at now: only an ACTIVE hold lapses by itself (one whose unit was asked
// for is the bank's to ship or cancel).
func Due(s ReservationStatus, expire, now time.Time) bool {
	return s == ReservationActive && !expire.After(now)
}

// CTStatus is the state of confirmatory typing (a repeat typing of the
// unit's attached segment before shipment).
type CTStatus string

// Confirmatory typing states; wire enum cordbank.v1.ConfirmatoryTypingStatus.
const (
	CTNotRequested CTStatus = ""
	CTRequested    CTStatus = "REQUESTED"
	CTComplete     CTStatus = "COMPLETE"   // A, B and DRB1 retested and agree
	CTDiscrepant   CTStatus = "DISCREPANT" // a retested locus disagrees
)

// ConfirmatoryLoci returns the loci that must be retested and agree for
// confirmatory typing to be complete (EMDIS CB_CT_COMPLETE_DATE).
func ConfirmatoryLoci() []string { return []string{"A", "B", "DRB1"} }

// DiscrepancyReason is the EMDIS reason (AD: additional testing) a unit
// gets when a retest of its typing disagrees with its registration typing.
const DiscrepancyReason = "AD"

// MaxHold bounds how far ahead a hold may expire, so a forgotten
// reservation cannot block a unit for years.
const MaxHold = 365 * 24 * time.Hour

// CheckExpiry checks the expiry a request gives a hold (under field):
// required, in the future of now, and at most MaxHold ahead.
func CheckExpiry(v Violations, field string, expire, now time.Time) {
	switch {
	case expire.IsZero():
		v.Add(field, "required: when the hold lapses by itself")
	case !expire.After(now):
		v.Add(field, "%s is in the past", expire.UTC().Format(time.RFC3339))
	case expire.Sub(now) > MaxHold:
		v.Add(field, "more than %d days ahead", int(MaxHold/(24*time.Hour)))
	}
}

// CheckExtension checks that an extension moves the hold's expiry later
// than current (under field).
func CheckExtension(v Violations, field string, expire, current time.Time) {
	if !expire.After(current) {
		v.Add(field, "must be later than the current expiry %s", current.Format(time.RFC3339))
	}
}

// Candidate is what the reservation rules need to know of a unit that is
// to be reserved.
type Candidate struct {
	Status Status
	// Autologous: the unit is kept for the donor child alone.
	Autologous bool
	// Directed: the unit is kept for one family recipient, whose registry
	// id is DirectedRecipient.
	Directed          bool
	DirectedRecipient string
}

// CheckReservable refuses (RuleNotReservable) to reserve c for patient
// unless it is AVAILABLE and kept for anyone, or directed to that patient.
func (c Candidate) CheckReservable(patient string) error {
	why := ""
	switch {
	case c.Autologous:
		why = "an autologous unit is kept for the donor child alone"
	case c.Directed && patient != c.DirectedRecipient:
		why = "a directed unit can be reserved only for its designated recipient"
	case c.Status != StatusAvailable:
		why = fmt.Sprintf("it is %s, not AVAILABLE", c.Status)
	default:
		return nil
	}
	return refusal.New(RuleNotReservable, "unit cannot be reserved: "+why, "status", string(c.Status))
}

// NewReservationID returns a fresh random reservation id (16 hex digits).
func NewReservationID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ReservationAction is a change to an open reservation.
type ReservationAction string

// Reservation actions: the custom verbs of the API.
const (
	ReservationExtend          ReservationAction = "extend"
	ReservationRelease         ReservationAction = "release"
	ReservationRequestTyping   ReservationAction = "requestTyping"
	ReservationRecordTyping    ReservationAction = "recordTyping"
	ReservationRequestShipment ReservationAction = "requestShipment"
)

var reservationMethods = map[ReservationAction]string{
	ReservationExtend: "ExtendReservation", ReservationRelease: "ReleaseReservation",
	ReservationRequestTyping: "RequestConfirmatoryTyping", ReservationRecordTyping: "RecordConfirmatoryTyping",
	ReservationRequestShipment: "RequestShipment",
}

// Method names the use case of a (request records, the audit trail);
// false when a is not a reservation action.
func (a ReservationAction) Method() (string, bool) {
	m, ok := reservationMethods[a]
	return m, ok
}

// CheckChange refuses (RuleIllegalReservationChange) action a on a
// reservation in status st with confirmatory typing ct when its state
// forbids it: no change to a closed reservation; typing is requested once,
// on an ACTIVE hold, and recorded only when requested; shipment is
// requested once.
func CheckChange(a ReservationAction, st ReservationStatus, ct CTStatus) error {
	why := ""
	switch {
	case !st.Open():
		why = "it is closed"
	case a == ReservationRequestTyping && (st != ReservationActive || ct == CTRequested || ct == CTComplete):
		why = "confirmatory typing is already " + strings.ToLower(string(ct))
	case a == ReservationRecordTyping && ct != CTRequested:
		why = "confirmatory typing was not requested"
	case a == ReservationRequestShipment && st != ReservationActive:
		why = "shipment was already requested"
	default:
		return nil
	}
	return refusal.New(RuleIllegalReservationChange, fmt.Sprintf("reservation is %s: cannot %s: %s", st, a, why),
		"status", string(st), "action", string(a))
}

// Closing is what a unit leaving a hold through a lifecycle action (from
// before to after) does to its open reservation: shipping fulfils it, any
// other disposition cancels it, with why as its end reason. ok is false
// when the unit was not held or its status did not change.
func Closing(before, after Status) (st ReservationStatus, why string, ok bool) {
	if !before.Held() || after == before {
		return "", "", false
	}
	if after == StatusShipped {
		return ReservationFulfilled, "the unit shipped", true
	}
	return ReservationCancelled, "the unit was " + strings.ToLower(string(after)), true
}
