package bank

import (
	"time"

	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/names"
	"github.com/cordbank/cordbank/bank/unit"
)

// Unit is one cord blood unit (a cryopreserved product of one donation),
// named banks/{Bank}/units/{DIN}. The parent bank is the manufacturing bank
// and never changes; later transfers of custody change the distributing
// bank, not the name.
type Unit struct {
	Bank string   `json:"bank,omitempty"`
	DIN  unit.DIN `json:"din,omitempty"`

	Type   UnitType         `json:"unit_type,omitempty"`
	Status lifecycle.Status `json:"status,omitempty"`

	// LocalID is the bank's own identifier (EMDIS CB_LOCAL_ID), optional.
	LocalID string `json:"local_id,omitempty"`

	CollectionDate   unit.Date        `json:"collection_date,omitempty"`
	ProcessingDate   unit.Date        `json:"processing_date,omitempty"`
	FreezeDate       unit.Date        `json:"freeze_date,omitempty"` // optional
	ProcessingMethod ProcessingMethod `json:"processing_method,omitempty"`
	Reduction        Reduction        `json:"reduction,omitempty"`

	InfantBirthDate unit.Date `json:"infant_birth_date,omitempty"`
	InfantSex       Sex       `json:"infant_sex,omitempty"`
	ABO             ABO       `json:"abo,omitempty"`
	Rh              Rh        `json:"rh,omitempty"`
	// Ethnicity is the registry's ethnicity code or text (EMDIS ETHN);
	// free form because registries use different code lists.
	Ethnicity string `json:"ethnicity,omitempty"`

	CollectionVolumeML float64 `json:"collection_volume_ml,omitempty"`
	FrozenVolumeML     float64 `json:"frozen_volume_ml,omitempty"` // optional (0 = unknown)

	Cells CellCounts `json:"cells,omitempty"`

	Bags               int `json:"bags,omitempty"`
	CompartmentsPerBag int `json:"compartments_per_bag,omitempty"`
	AttachedSegments   int `json:"attached_segments,omitempty"`

	IDM         IDMResult `json:"idm,omitempty"`
	IDMTestDate unit.Date `json:"idm_test_date,omitempty"` // optional

	// HLA holds the unit's typing, one entry per typed locus, the text as
	// submitted, in canonical locus order (A, B, C, DRB1, ... DPB1, others).
	HLA []LocusTyping `json:"hla,omitempty"`
	// HLARelease is the IPD-IMGT/HLA release the typings were read against
	// ("3.24.0"), "" when they were checked by syntax only.
	HLARelease string `json:"hla_release,omitempty"`

	// Private holds maternal and family data, visible only to the owning
	// bank (an authorization layer strips it for everyone else).
	Private UnitPrivate `json:"private,omitempty"`

	// StatusReason is the EMDIS reason code (CB_STAT_REASON: QR, AD, CD,
	// MR, DS, OT, XP, NS) the last lifecycle method recorded; "" means the
	// status's default reason (lifecycle.Status.EMDISStatus). Set only by lifecycle
	// methods.
	StatusReason string `json:"status_reason,omitempty"`
	// StatusEndDate is the date a temporary status ends (EMDIS
	// CB_STAT_END_DATE), zero when the status has no end.
	StatusEndDate unit.Date `json:"status_end_date,omitempty"`
	// StatusNote is the free-text note of the last status change.
	StatusNote string `json:"status_note,omitempty"`
	// StatusTime is when the unit entered its status; zero means at
	// registration (see StatusSince).
	StatusTime time.Time `json:"status_time,omitempty"`
	// DistributingBank is the id of the bank that distributes the unit
	// (EMDIS BANK_DISTRIB_ID); "" means the parent (manufacturing) bank.
	// Transfers change it; the unit's name never changes.
	DistributingBank string `json:"distributing_bank,omitempty"`

	CreateTime time.Time `json:"create_time,omitempty"`
	UpdateTime time.Time `json:"update_time,omitempty"`
	Version    int64     `json:"version,omitempty"`
}

// Name returns the unit's resource name.
func (u *Unit) Name() string { return UnitName(u.Bank, u.DIN) }

// UnitName formats the resource name of the unit din of bank.
func UnitName(bank string, din unit.DIN) string { return names.Unit(bank, string(din)) }

// EMDIS returns the registry status and reason codes the unit reports:
// its status's code, and its recorded StatusReason or else the status's
// default reason.
func (u *Unit) EMDIS() (status, reason string) {
	status, reason = u.Status.EMDISStatus()
	if u.StatusReason != "" {
		reason = u.StatusReason
	}
	return status, reason
}

// Distributor returns the id of the bank that distributes the unit: the
// DistributingBank after a transfer, else the parent bank.
func (u *Unit) Distributor() string {
	if u.DistributingBank != "" {
		return u.DistributingBank
	}
	return u.Bank
}

// StatusSince returns when the unit entered its status: StatusTime, or the
// registration time for a unit whose status never changed.
func (u *Unit) StatusSince() time.Time {
	if u.StatusTime.IsZero() {
		return u.CreateTime
	}
	return u.StatusTime
}

// IsPrivate reports whether the whole unit is private to its bank:
// autologous and directed units never enter the public pool.
func (u *Unit) IsPrivate() bool { return u.Type != UnitTypePublic }

// CellCounts are absolute numbers of cells (1.2e9, never "120 x10^7").
// Optional counts are nil when not measured; "unknown" and "zero" differ for
// search filters (a unit with unknown CD34+ is not dropped by a CD34+ floor).
type CellCounts struct {
	// TNC before processing (collected), optional.
	PreProcessingTNC *float64 `json:"pre_processing_tnc,omitempty"`
	// TNC after processing, at cryopreservation: the count doses are
	// computed from. Required.
	PostProcessingTNC float64  `json:"post_processing_tnc,omitempty"`
	PreProcessingCD34 *float64 `json:"pre_processing_cd34,omitempty"`
	// CD34+ at cryopreservation, optional (older units lack it).
	PostProcessingCD34 *float64 `json:"post_processing_cd34,omitempty"`
	// ViabilityPercent is the viability of the post-processing product,
	// 0-100, optional.
	ViabilityPercent *float64 `json:"viability_percent,omitempty"`
	// CFU is colony-forming units at cryopreservation, optional.
	CFU *float64 `json:"cfu,omitempty"`
	// NucleatedRBC is nucleated red cells, optional: doses may be overstated
	// when TNC includes them (domain.md §7.8).
	NucleatedRBC *float64 `json:"nucleated_rbc,omitempty"`
}

// LocusTyping is the typing of one HLA locus as submitted: a GL String
// fragment for that locus, e.g. "A*02:01+A*24:02" or "A2+A24".
type LocusTyping struct {
	Locus string `json:"locus,omitempty"` // canonical upper-case locus name: A, B, C, DRB1 ...
	Text  string `json:"text,omitempty"`
	// Reading is how the service read Text against the unit's HLARelease.
	// The service sets it; callers' values are ignored.
	Reading TypingReading `json:"-"`
}

// TypingReading is a typing parsed and reduced against one IPD-IMGT/HLA
// release (or by syntax only, where reductions truncate fields). It is
// derived data: kept with the unit for traceability, recomputed when a new
// release is loaded (Service.RereadHLA).
type TypingReading struct {
	GL string `json:"gl,omitempty"` // canonical GL String
	// No G-group form is kept: a two-field typing reduces to every G group
	// under it (A*02:01 to over a hundred names), which would dwarf the
	// rest of the record. `cordbank hla reduce --to g` computes it.
	P        string `json:"p,omitempty"`        // reduced to P groups
	LGX      string `json:"lgx,omitempty"`      // reduced to 2-field ARD level
	Serology string `json:"serology,omitempty"` // reduced to serological antigens ("" without reference data)
	Flags    string `json:"flags,omitempty"`    // comma-separated hla.Flags, e.g. "ambiguous,xx"
}

// UnitPrivate is maternal and family data.
type UnitPrivate struct {
	MaternalID string `json:"maternal_id,omitempty"`
	// MaternalHLA is the mother's typing (used for NIMA), optional.
	MaternalHLA []LocusTyping `json:"maternal_hla,omitempty"`
	FamilyID    string        `json:"family_id,omitempty"`
	// DirectedRecipient is the registry id of the family member a directed
	// unit is kept for (never a name).
	DirectedRecipient string `json:"directed_recipient,omitempty"`
	Notes             string `json:"notes,omitempty"`
}

// IsZero reports whether no private field is set.
func (p *UnitPrivate) IsZero() bool {
	return p.MaternalID == "" && len(p.MaternalHLA) == 0 && p.FamilyID == "" && p.DirectedRecipient == "" && p.Notes == ""
}

// UnitType says for whom a unit is kept.
type UnitType string

// Unit types; wire enum cordbank.v1.UnitType (UNIT_TYPE_ + value).
const (
	UnitTypePublic     UnitType = "PUBLIC"     // listed for any patient (ISBT 128 collection type V)
	UnitTypeAutologous UnitType = "AUTOLOGOUS" // for the donor child only (1)
	UnitTypeDirected   UnitType = "DIRECTED"   // for a named family recipient (2 / F)
)

// ProcessingMethod is the EMDIS CB_PROC_METH code.
type ProcessingMethod string

// Processing methods; wire enum cordbank.v1.ProcessingMethod.
const (
	ProcessingHES        ProcessingMethod = "HES" // hydroxyethyl starch sedimentation
	ProcessingDensity    ProcessingMethod = "DGS" // density gradient separation
	ProcessingCentrifuge ProcessingMethod = "CEN"
	ProcessingFiltration ProcessingMethod = "FIL"
	ProcessingFicoll     ProcessingMethod = "FIC"
	ProcessingPercoll    ProcessingMethod = "PER"
	ProcessingOther      ProcessingMethod = "OTH"
)

// Reduction says what processing removed (WMDA bank questionnaire options).
type Reduction string

// Reductions; wire enum cordbank.v1.Reduction.
const (
	ReductionPlasmaAndRBC Reduction = "PLASMA_AND_RBC"
	ReductionPlasmaOnly   Reduction = "PLASMA_ONLY"
	ReductionRBCOnly      Reduction = "RBC_ONLY"
	ReductionNone         Reduction = "NONE" // RBC-replete, not recommended
)

// RBCDepleted reports whether red cells were removed: selection guidelines
// avoid RBC-replete units (domain.md §1.5).
func (r Reduction) RBCDepleted() bool { return r == ReductionPlasmaAndRBC || r == ReductionRBCOnly }

// Sex of the infant donor.
type Sex string

// Sexes; wire enum cordbank.v1.Sex.
const (
	SexFemale  Sex = "FEMALE"
	SexMale    Sex = "MALE"
	SexUnknown Sex = "UNKNOWN"
)

// ABO blood group.
type ABO string

// ABO groups; wire enum cordbank.v1.ABO.
const (
	ABOA  ABO = "A"
	ABOB  ABO = "B"
	ABOAB ABO = "AB"
	ABOO  ABO = "O"
)

// Rh is the RhD type.
type Rh string

// RhD types; wire enum cordbank.v1.Rh.
const (
	RhPositive Rh = "POSITIVE"
	RhNegative Rh = "NEGATIVE"
)

// IDMResult summarizes infectious disease marker testing of the unit and
// the mother.
type IDMResult string

// IDM summaries; wire enum cordbank.v1.IDMResult.
const (
	IDMPending  IDMResult = "PENDING"
	IDMNegative IDMResult = "NEGATIVE" // all required markers non-reactive
	IDMReactive IDMResult = "REACTIVE" // at least one marker reactive
)

// enum sets for validation
var (
	unitTypes   = set(UnitTypePublic, UnitTypeAutologous, UnitTypeDirected)
	procMethods = set(ProcessingHES, ProcessingDensity, ProcessingCentrifuge, ProcessingFiltration, ProcessingFicoll, ProcessingPercoll, ProcessingOther)
	reductions  = set(ReductionPlasmaAndRBC, ReductionPlasmaOnly, ReductionRBCOnly, ReductionNone)
	sexes       = set(SexFemale, SexMale, SexUnknown)
	abos        = set(ABOA, ABOB, ABOAB, ABOO)
	rhs         = set(RhPositive, RhNegative)
	idmResults  = set(IDMPending, IDMNegative, IDMReactive)
	statuses    = set(lifecycle.StatusQuarantine, lifecycle.StatusAvailable, lifecycle.StatusTemporarilyUnavailable, lifecycle.StatusReserved, lifecycle.StatusShipmentRequested, lifecycle.StatusShipped, lifecycle.StatusInfused, lifecycle.StatusDiscarded, lifecycle.StatusExpired, lifecycle.StatusWithdrawn)
)

func set[T comparable](vs ...T) map[T]bool {
	m := make(map[T]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

// ValidStatus reports whether s is a known status (for list filters).
func ValidStatus(s lifecycle.Status) bool { return statuses[s] }

// ValidUnitType reports whether t is a known unit type.
func ValidUnitType(t UnitType) bool { return unitTypes[t] }

// ValidABO reports whether a is a known ABO group.
func ValidABO(a ABO) bool { return abos[a] }
