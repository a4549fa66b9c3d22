package bank

import (
	"context"
	"slices"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/unit"
)

// LookupUnit returns the unit with din, whatever bank holds it, as the
// caller of ctx may see it: what a scanned bag label names. DINs are
// globally unique, so at most one bank holds it. A DIN nobody registered
// and a private unit the caller may not see give the same KindNotFound,
// naming "banks/-/units/{din}" and never the bank.
func (s *Service) LookupUnit(ctx context.Context, din unit.DIN) (*Unit, error) {
	if err := authorize(ctx, access.ReadUnits, "", false); err != nil {
		return nil, err
	}
	var out *Unit
	err := s.store.Read(ctx, func(tx ReadTx) error {
		banks, err := banksByFIN(ctx, tx, din.FIN())
		if err != nil {
			return err
		}
		for _, b := range banks {
			u, err := tx.GetUnit(ctx, b, din)
			if KindOf(err) == KindNotFound {
				continue
			}
			if err != nil {
				return err
			}
			if u.IsPrivate() && !access.PrincipalFrom(ctx).SeesPrivateOf(u.Bank) {
				break
			}
			out = u
			return nil
		}
		return NewError(KindNotFound, ReasonUnitNotFound, "unit not found", "name", "banks/-/units/"+string(din))
	})
	if err != nil {
		return nil, err
	}
	return showUnit(ctx, out), nil
}

// banksByFIN returns every bank id, those registering units under fin
// first: a unit is registered under its bank's FIN, so the first is
// nearly always the one; the rest cover FINs reassigned since.
func banksByFIN(ctx context.Context, tx ReadTx, fin string) ([]string, error) {
	var owners, others []string
	after := ""
	for {
		page, err := tx.ListBanks(ctx, after, 500)
		if err != nil {
			return nil, err
		}
		for _, b := range page {
			if b.OwnsFIN(fin) {
				owners = append(owners, b.ID)
			} else {
				others = append(others, b.ID)
			}
		}
		if len(page) < 500 {
			return slices.Concat(owners, others), nil
		}
		after = page[len(page)-1].ID
	}
}
