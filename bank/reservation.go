package bank

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Reservation is a transplant centre's hold on one unit for one patient
// (EMDIS RSV_REQ/RSV_RES), named
// banks/{bank}/units/{din}/reservations/{id}. A unit has at most one open
// reservation: the store enforces it with a unique index, the service by
// reserving only AVAILABLE units inside one write transaction.
type Reservation struct {
	ID   string `json:"id,omitempty"`
	Bank string `json:"bank,omitempty"`
	DIN  DIN    `json:"din,omitempty"`
	// TransplantCenter identifies the reserving centre (its registry or
	// organisation id).
	TransplantCenter string `json:"transplant_center,omitempty"`
	// PatientID is the registry's patient id. Never a name.
	PatientID string            `json:"patient_id,omitempty"`
	Status    ReservationStatus `json:"status,omitempty"`
	// ExpireTime is when an ACTIVE hold lapses by itself; the unit then
	// becomes AVAILABLE again without anyone acting.
	ExpireTime time.Time `json:"expire_time"`

	CT              CTStatus      `json:"ct,omitempty"`
	CTRequestTime   time.Time     `json:"ct_request_time"`
	CTCompleteDate  Date          `json:"ct_complete_date"` // EMDIS CB_CT_COMPLETE_DATE
	CTTyping        []LocusTyping `json:"ct_typing,omitempty"`
	CTDiscrepancies []string      `json:"ct_discrepancies,omitempty"` // loci that disagreed

	ShipmentRequestTime time.Time `json:"shipment_request_time"`

	// EndTime and EndReason say when and why a reservation stopped being
	// open (released, expired, cancelled, fulfilled).
	EndTime   time.Time `json:"end_time"`
	EndReason string    `json:"end_reason,omitempty"`

	CreateTime time.Time `json:"create_time"`
	UpdateTime time.Time `json:"update_time"`
	Version    int64     `json:"version,omitempty"`
}

// Name returns the reservation's resource name.
func (r *Reservation) Name() string {
	return "banks/" + r.Bank + "/units/" + string(r.DIN) + "/reservations/" + r.ID
}

// UnitName returns the name of the reserved unit.
func (r *Reservation) UnitName() string { return UnitName(r.Bank, r.DIN) }

// Open reports whether the reservation still holds its unit.
func (r *Reservation) Open() bool {
	return r.Status == ReservationActive || r.Status == ReservationShipmentRequested
}

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

// ctLoci must be retested and agree for confirmatory typing to be
// complete (EMDIS CB_CT_COMPLETE_DATE).
var ctLoci = []string{"A", "B", "DRB1"}

// Reservation limits.
const (
	// MaxHold bounds how far ahead a hold may expire, so a forgotten
	// reservation cannot block a unit for years.
	MaxHold     = 365 * 24 * time.Hour
	maxIDLength = 64
)

func newReservationID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
