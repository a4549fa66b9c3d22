package bank

import (
	"time"

	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/names"
	"github.com/cordbank/cordbank/bank/unit"
)

// Reservation is a transplant centre's hold on one unit for one patient
// (EMDIS RSV_REQ/RSV_RES), named
// banks/{bank}/units/{din}/reservations/{id}. A unit has at most one open
// reservation: the store enforces it with a unique index, the service by
// reserving only AVAILABLE units inside one write transaction.
type Reservation struct {
	ID   string   `json:"id,omitempty"`
	Bank string   `json:"bank,omitempty"`
	DIN  unit.DIN `json:"din,omitempty"`
	// TransplantCenter identifies the reserving centre (its registry or
	// organisation id).
	TransplantCenter string `json:"transplant_center,omitempty"`
	// PatientID is the registry's patient id. Never a name.
	PatientID string                      `json:"patient_id,omitempty"`
	Status    lifecycle.ReservationStatus `json:"status,omitempty"`
	// ExpireTime is when an ACTIVE hold lapses by itself; the unit then
	// becomes AVAILABLE again without anyone acting.
	ExpireTime time.Time `json:"expire_time"`

	CT              lifecycle.CTStatus `json:"ct,omitempty"`
	CTRequestTime   time.Time          `json:"ct_request_time"`
	CTCompleteDate  unit.Date          `json:"ct_complete_date"` // EMDIS CB_CT_COMPLETE_DATE
	CTTyping        []LocusTyping      `json:"ct_typing,omitempty"`
	CTDiscrepancies []string           `json:"ct_discrepancies,omitempty"` // loci that disagreed

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
	return names.Reservation(r.Bank, string(r.DIN), r.ID)
}

// UnitName returns the name of the reserved unit.
func (r *Reservation) UnitName() string { return UnitName(r.Bank, r.DIN) }

// Open reports whether the reservation still holds its unit.
func (r *Reservation) Open() bool { return r.Status.Open() }

// Due reports whether the hold lapsed at now (lifecycle.Due): an ACTIVE
// reservation past its expiry, to be expired before anything else.
func (r *Reservation) Due(now time.Time) bool { return lifecycle.Due(r.Status, r.ExpireTime, now) }

// maxIDLength bounds a registry id (transplant centre, patient, org).
const maxIDLength = 64
