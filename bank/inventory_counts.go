package bank

import (
	"context"
	"time"

	"github.com/cordbank/cordbank/bank/lifecycle"
)

// InventoryCounts are the registry-wide counts a bank's IT watches
// (metrics, alerts): units by bank, status and type, open reservations and
// those about to lapse, open temperature excursions. They are for
// operators, not for API callers: they count private units too.
type InventoryCounts struct {
	Units        []UnitCount
	Reservations []ReservationCount
	// OpenExcursions counts the open temperature excursions by bank.
	OpenExcursions map[string]int
}

// UnitCount is the number of units of one bank in one status and type.
type UnitCount struct {
	Bank   string
	Status lifecycle.Status
	Type   UnitType
	N      int
}

// ReservationCount is a bank's open reservations (ACTIVE or
// SHIPMENT_REQUESTED), and how many of those that are ACTIVE lapse before
// the window's end.
type ReservationCount struct {
	Bank         string
	Open         int
	ExpiringSoon int
}

// InventoryCounts counts the inventory in one snapshot; reservations
// lapsing within window of now count as expiring soon.
func (s *Service) InventoryCounts(ctx context.Context, window time.Duration) (*InventoryCounts, error) {
	var out *InventoryCounts
	err := s.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.CountInventory(ctx, s.now().Add(window))
		return err
	})
	return out, err
}
