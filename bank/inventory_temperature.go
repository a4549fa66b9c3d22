package bank

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/unit"
)

// ReadingResult is what a recorded reading did.
type ReadingResult struct {
	Reading *inventory.TemperatureReading
	// Excursion is the tank's excursion after the reading: the one it
	// opened, continued or closed; nil when the tank is and was within
	// its limits.
	Excursion *inventory.Excursion
	Opened    bool
	Closed    bool
}

// RecordReading stores a reading of a tank (r.Time zero means now). A
// reading outside the tank's limits opens an excursion when none is open
// and records an exposure event ("TemperatureExcursion") on every unit in
// the tank, at any depth; a reading inside the limits closes the open
// excursion (inventory.Observe). Errors: KindInvalid (a non-finite or
// impossible temperature, a time in the future or before 1988, a
// container that is not a tank); KindNotFound (container).
func (s *Service) RecordReading(ctx context.Context, r inventory.TemperatureReading) (*ReadingResult, error) {
	if err := authorize(ctx, access.WriteInventory, r.Bank, false); err != nil {
		return nil, err
	}
	var v Violations
	now := s.now().UTC()
	r.Validate(&v, now, unit.FirstCollectionYear)
	if err := v.Err("invalid temperature reading"); err != nil {
		return nil, err
	}
	var out *ReadingResult
	err := s.store.Write(ctx, func(tx Tx) error {
		c, err := tx.GetContainer(ctx, r.Bank, r.Container)
		if err != nil {
			return err
		}
		if c.Kind != inventory.KindTank {
			return fieldError(ReasonInvalidArgument, "parent", fmt.Sprintf("readings are recorded per tank; %s is a %s", c.Name(), c.Kind), "name", c.Name())
		}
		if err := tx.InsertReading(ctx, &r); err != nil {
			return err
		}
		trail := s.newChain(ctx, tx, now)
		if err := trail.record("RecordTemperatureReading", c.Name(), r.Bank, "", []audit.FieldChange{{Field: "temperature_reading", After: auditJSON(r)}}); err != nil {
			return err
		}
		out = &ReadingResult{Reading: &r}
		open, err := tx.GetOpenExcursion(ctx, r.Bank, c.ID)
		if err != nil {
			return err
		}
		switch step, e := inventory.Observe(c, open, r); step {
		case inventory.Opens:
			if err := s.expose(ctx, tx, trail, c, e, r); err != nil {
				return err
			}
			out.Excursion, out.Opened = e, true
		case inventory.Continues:
			if err := tx.UpdateExcursion(ctx, e); err != nil {
				return err
			}
			if err := trail.changed("ContinueExcursion", e.Name(), r.Bank, "", open, e); err != nil {
				return err
			}
			out.Excursion = e
		case inventory.Closes:
			if err := tx.UpdateExcursion(ctx, e); err != nil {
				return err
			}
			if err := trail.changed("CloseExcursion", e.Name(), r.Bank, "", open, e); err != nil {
				return err
			}
			out.Excursion, out.Closed = e, true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// expose opens excursion e of tank c and records an exposure event on
// every unit stored in the tank.
func (s *Service) expose(ctx context.Context, tx Tx, trail *chain, c *inventory.Container, e *inventory.Excursion, r inventory.TemperatureReading) error {
	t, err := loadTree(ctx, tx, c.Bank)
	if err != nil {
		return err
	}
	ps, err := tx.ListPlacements(ctx, c.Bank, inventory.IDs(t.Preorder(c.ID)))
	if err != nil {
		return err
	}
	e.UnitsExposed = len(ps)
	if err := tx.InsertExcursion(ctx, e); err != nil {
		return err
	}
	if err := trail.created("OpenExcursion", e.Name(), c.Bank, e); err != nil {
		return err
	}
	exposure := auditJSON(struct {
		Excursion string    `json:"excursion"`
		Tank      string    `json:"tank"`
		Celsius   float64   `json:"celsius"`
		Time      time.Time `json:"time"`
	}{e.Name(), c.Name(), r.Celsius, r.Time})
	for _, p := range ps {
		if err := trail.record("TemperatureExcursion", UnitName(p.Bank, p.DIN), c.Bank, "",
			[]audit.FieldChange{{Field: "exposure", After: exposure}}); err != nil {
			return err
		}
	}
	return nil
}

// ListExcursionsRequest selects a page of a bank's excursions.
type ListExcursionsRequest struct {
	Bank      string
	Container string // "" for every tank
	Open      *bool  // nil: open and closed
	PageSize  int
	PageToken string
}

// ListExcursions returns one page of excursions, oldest first, and the
// next page's token.
func (s *Service) ListExcursions(ctx context.Context, r ListExcursionsRequest) ([]*inventory.Excursion, string, error) {
	if err := authorize(ctx, access.ReadInventory, r.Bank, false); err != nil {
		return nil, "", err
	}
	var v Violations
	n := pageSize(&v, r.PageSize)
	state := "all"
	if r.Open != nil {
		state = strconv.FormatBool(*r.Open)
	}
	fk := filterKey("excursions", r.Bank, r.Container, state)
	after := decodePageToken(&v, r.PageToken, fk)
	var afterID int64
	if after != "" {
		var err error
		if afterID, err = strconv.ParseInt(after, 10, 64); err != nil {
			v.Add("page_token", "not a page token returned by this method")
		}
	}
	if err := v.Err("invalid list request"); err != nil {
		return nil, "", err
	}
	var out []*inventory.Excursion
	err := s.store.Read(ctx, func(tx ReadTx) error {
		if _, err := tx.GetBank(ctx, r.Bank); err != nil {
			return err
		}
		if r.Container != "" {
			if _, err := tx.GetContainer(ctx, r.Bank, r.Container); err != nil {
				return containerField(err, "container", r.Bank, r.Container)
			}
		}
		var err error
		out, err = tx.ListExcursions(ctx, ExcursionQuery{Bank: r.Bank, Container: r.Container, Open: r.Open, AfterID: afterID, Limit: n + 1})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, next := pageOf(out, n, fk, func(e *inventory.Excursion) string { return strconv.FormatInt(e.ID, 10) })
	return out, next, nil
}
