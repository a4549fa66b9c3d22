package lifecycle

import "slices"

// Status is a unit's lifecycle state (domain.md §2.2).
type Status string

// Statuses; wire enum cordbank.v1.UnitStatus (UNIT_STATUS_ + value). The
// transitions between them are custom methods, never a field update.
const (
	StatusQuarantine             Status = "QUARANTINE"
	StatusAvailable              Status = "AVAILABLE"
	StatusTemporarilyUnavailable Status = "TEMPORARILY_UNAVAILABLE"
	StatusReserved               Status = "RESERVED"
	StatusShipmentRequested      Status = "SHIPMENT_REQUESTED"
	StatusShipped                Status = "SHIPPED"
	StatusInfused                Status = "INFUSED"
	StatusDiscarded              Status = "DISCARDED"
	StatusExpired                Status = "EXPIRED"
	StatusWithdrawn              Status = "WITHDRAWN"
)

// Statuses returns every unit status, in lifecycle order.
func Statuses() []Status {
	return []Status{StatusQuarantine, StatusAvailable, StatusTemporarilyUnavailable, StatusReserved, StatusShipmentRequested,
		StatusShipped, StatusInfused, StatusDiscarded, StatusExpired, StatusWithdrawn}
}

// nonTerminal are the states a unit can still leave for any disposition.
// SHIPPED is terminal but for recording the infusion.
var nonTerminal = []Status{StatusQuarantine, StatusAvailable, StatusTemporarilyUnavailable, StatusReserved, StatusShipmentRequested}

// Terminal reports whether no lifecycle method but recording an infusion
// leaves s: the unit has left the inventory for good.
func (s Status) Terminal() bool { return !slices.Contains(nonTerminal, s) }

// Held reports whether a unit in status s is held by an open reservation
// (RESERVED, or SHIPMENT_REQUESTED on the way to shipment).
func (s Status) Held() bool { return s == StatusReserved || s == StatusShipmentRequested }

// EMDISStatus returns the registry status code (AV, TU, RS, DE) and the
// default reason code (domain.md §2.1) that a unit in status s reports.
func (s Status) EMDISStatus() (status, reason string) {
	switch s {
	case StatusAvailable:
		return "AV", ""
	case StatusQuarantine:
		return "TU", "QR"
	case StatusTemporarilyUnavailable:
		return "TU", "AD"
	case StatusReserved, StatusShipmentRequested:
		return "RS", ""
	case StatusShipped, StatusInfused:
		return "DE", "DS"
	case StatusDiscarded:
		return "DE", "CD"
	case StatusExpired:
		return "DE", "XP"
	case StatusWithdrawn:
		return "DE", "OT"
	}
	return "", ""
}
