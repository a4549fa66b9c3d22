package bank

import (
	"context"
	"slices"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/names"
)

// CreateBank registers a bank with the given ID. requestID, when not empty,
// makes the call idempotent (AIP-155).
func (s *Service) CreateBank(ctx context.Context, b *Bank, requestID string) (*Bank, error) {
	if err := authorize(ctx, access.CreateBank, "", false); err != nil {
		return nil, err
	}
	var v Violations
	if !ValidBankID(b.ID) {
		v.Add("bank_id", "%q is not a valid bank id: 3-63 lower-case letters, digits and hyphens, starting with a letter", b.ID)
	}
	validRequestID(&v, requestID)
	b.validate(&v, "bank.")
	if err := v.Err("invalid bank"); err != nil {
		return nil, err
	}
	fp := fingerprint(requestID, "CreateBank", b)
	var out *Bank
	appended, err := s.writeHandOver(ctx, func(tx Tx) error {
		if name, err := replay(ctx, tx, requestID, "CreateBank", fp); err != nil {
			return err
		} else if name != "" {
			var err error
			out, err = tx.GetBank(ctx, b.ID)
			return err
		}
		now := s.now().UTC()
		nb := *b
		nb.Accreditations = slices.Clone(b.Accreditations)
		nb.FINs = b.withPrimaryFIN()
		nb.CreateTime, nb.UpdateTime, nb.Version = now, now, 1
		if err := tx.InsertBank(ctx, &nb); err != nil {
			return err
		}
		if err := s.newChain(ctx, tx, now).created("CreateBank", names.Bank(nb.ID), nb.ID, &nb); err != nil {
			return err
		}
		if requestID != "" {
			if err := tx.PutRequest(ctx, &RequestRecord{ID: requestID, Method: "CreateBank", Fingerprint: fp, Resource: names.Bank(b.ID), CreateTime: now}); err != nil {
				return err
			}
		}
		out = &nb
		return nil
	})
	if err == nil {
		s.handOver(appended, nil, []*Bank{out})
	}
	return out, err
}

// GetBank returns a bank, or KindNotFound.
func (s *Service) GetBank(ctx context.Context, id string) (*Bank, error) {
	if err := authorize(ctx, access.ReadBanks, "", false); err != nil {
		return nil, err
	}
	var out *Bank
	err := s.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.GetBank(ctx, id)
		return err
	})
	return out, err
}

// ListBanks returns one page of banks ordered by ID, and the token of the
// next page ("" on the last page).
func (s *Service) ListBanks(ctx context.Context, size int, token string) ([]*Bank, string, error) {
	if err := authorize(ctx, access.ReadBanks, "", false); err != nil {
		return nil, "", err
	}
	var v Violations
	n := pageSize(&v, size)
	fk := filterKey("banks")
	after := decodePageToken(&v, token, fk)
	if err := v.Err("invalid list request"); err != nil {
		return nil, "", err
	}
	var out []*Bank
	err := s.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.ListBanks(ctx, after, n+1)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, next := pageOf(out, n, fk, func(b *Bank) string { return b.ID })
	return out, next, nil
}

// bankMutable are the update mask paths of a bank.
var bankMutable = []string{"display_name", "fin", "country", "accreditations", "fins"}

// UpdateBank changes the fields of b named by mask ("*" for all mutable
// fields). etag, when not empty, must be the current etag (else KindAborted).
func (s *Service) UpdateBank(ctx context.Context, b *Bank, mask []string, etag string) (*Bank, error) {
	var v Violations
	paths := maskPaths(mask, bankMutable)
	if len(paths) == 0 {
		v.Add("update_mask", "name at least one field to update")
	}
	for _, p := range paths {
		if !slices.Contains(bankMutable, p) {
			v.Add("update_mask", "%q cannot be updated (mutable: %v)", p, bankMutable)
		}
	}
	if err := v.Err("invalid bank update"); err != nil {
		return nil, err
	}
	if err := authorize(ctx, access.UpdateBank, b.ID, false); err != nil {
		return nil, err
	}
	if slices.Contains(paths, "fin") || slices.Contains(paths, "fins") {
		// Which FINs a bank registers units under is the registry's
		// decision, not the bank's.
		if err := authorize(ctx, access.AssignFINs, b.ID, false); err != nil {
			return nil, NewError(KindPermissionDenied, ReasonPermissionDenied,
				"only the registry administrator assigns a bank's facility identification numbers (fin, fins)", "field", "fin")
		}
	}
	var out *Bank
	appended, err := s.writeHandOver(ctx, func(tx Tx) error {
		cur, err := tx.GetBank(ctx, b.ID)
		if err != nil {
			return err
		}
		if err := checkEtag(etag, cur.Version, names.Bank(cur.ID)); err != nil {
			return err
		}
		nb := *cur
		for _, p := range paths {
			switch p {
			case "display_name":
				nb.DisplayName = b.DisplayName
			case "fin":
				nb.FIN = b.FIN
			case "fins":
				nb.FINs = slices.Clone(b.FINs)
			case "country":
				nb.Country = b.Country
			case "accreditations":
				nb.Accreditations = slices.Clone(b.Accreditations)
			}
		}
		var v Violations
		if slices.Contains(paths, "fins") && !slices.Contains(nb.FINs, nb.FIN) {
			v.Add("bank.fins", "must contain the bank's fin %s", nb.FIN)
		}
		nb.FINs = nb.withPrimaryFIN()
		nb.validate(&v, "bank.")
		if err := v.Err("invalid bank"); err != nil {
			return err
		}
		nb.UpdateTime = s.now().UTC()
		nb.Version++
		if err := tx.UpdateBank(ctx, &nb); err != nil {
			return err
		}
		if err := s.newChain(ctx, tx, nb.UpdateTime).changed("UpdateBank", names.Bank(nb.ID), nb.ID, "", cur, &nb); err != nil {
			return err
		}
		out = &nb
		return nil
	})
	if err == nil {
		s.handOver(appended, nil, []*Bank{out})
	}
	return out, err
}
