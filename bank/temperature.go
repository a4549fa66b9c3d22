package bank

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/cordbank/cordbank/bank/access"
)

// TemperatureReading is one measurement of a tank's temperature.
type TemperatureReading struct {
	Bank      string    `json:"bank,omitempty"`
	Container string    `json:"container,omitempty"` // tank id
	Time      time.Time `json:"time"`
	Celsius   float64   `json:"celsius"`
}

// Excursion is a period a tank spent outside its temperature limits
// (domain.md §2.5): opened by the first reading outside them, closed by
// the first reading back inside. Named banks/{Bank}/excursions/{ID}.
type Excursion struct {
	Bank      string `json:"bank,omitempty"`
	ID        int64  `json:"id,omitempty"`
	Container string `json:"container,omitempty"` // tank id
	// StartTime is the time of the reading that opened it; EndTime of the
	// one that closed it, zero while open.
	StartTime time.Time `json:"start_time"`
	EndTime   time.Time `json:"end_time,omitempty"`
	// MinCelsius and MaxCelsius are the tank's limits when it opened.
	MinCelsius *float64 `json:"min_celsius,omitempty"`
	MaxCelsius *float64 `json:"max_celsius,omitempty"`
	// LowestCelsius and HighestCelsius are the extremes of the readings
	// outside the limits.
	LowestCelsius  float64 `json:"lowest_celsius"`
	HighestCelsius float64 `json:"highest_celsius"`
	// Readings counts the readings outside the limits.
	Readings int `json:"readings"`
	// UnitsExposed is the number of units in the tank when it opened; each
	// has a "TemperatureExcursion" event in its history.
	UnitsExposed int `json:"units_exposed"`
}

// Name returns the excursion's resource name.
func (e *Excursion) Name() string {
	return "banks/" + e.Bank + "/excursions/" + strconv.FormatInt(e.ID, 10)
}

// Open reports whether the excursion has not ended.
func (e *Excursion) Open() bool { return e.EndTime.IsZero() }

// ReadingResult is what a recorded reading did.
type ReadingResult struct {
	Reading *TemperatureReading
	// Excursion is the tank's excursion after the reading: the one it
	// opened, continued or closed; nil when the tank is and was within
	// its limits.
	Excursion *Excursion
	Opened    bool
	Closed    bool
}

// maxClockSkew is how far ahead of the server's clock a probe's reading may
// be dated: probes keep their own clocks.
const maxClockSkew = 5 * time.Minute

// RecordReading stores a reading of a tank (r.Time zero means now). A
// reading outside the tank's limits opens an excursion when none is open
// and records an exposure event ("TemperatureExcursion") on every unit in
// the tank, at any depth; a reading inside the limits closes the open
// excursion. Errors: KindInvalid (a non-finite or impossible temperature,
// a time in the future or before 1988, a container that is not a tank);
// KindNotFound (container).
func (s *Service) RecordReading(ctx context.Context, r TemperatureReading) (*ReadingResult, error) {
	if err := authorize(ctx, access.WriteInventory, r.Bank, false); err != nil {
		return nil, err
	}
	var v Violations
	now := s.now().UTC()
	if math.IsNaN(r.Celsius) || math.IsInf(r.Celsius, 0) || r.Celsius < -273.15 || r.Celsius > 100 {
		v.Add("reading.celsius", "%g °C is not a storage temperature (-273.15..100)", r.Celsius)
	}
	switch {
	case r.Time.IsZero():
		r.Time = now
	case r.Time.After(now.Add(maxClockSkew)):
		v.Add("reading.time", "%s is in the future", r.Time.UTC().Format(time.RFC3339))
	case r.Time.UTC().Year() < firstCollectionYear:
		// A zero-valued clock (1970) or a typed year (1900): no cord unit
		// was stored in a freezer before cord blood banking began.
		v.Add("reading.time", "%s is before %d, when cord blood banking began", r.Time.UTC().Format(time.RFC3339), firstCollectionYear)
	}
	r.Time = r.Time.UTC()
	if err := v.Err("invalid temperature reading"); err != nil {
		return nil, err
	}
	var out *ReadingResult
	err := s.store.Write(ctx, func(tx Tx) error {
		c, err := tx.GetContainer(ctx, r.Bank, r.Container)
		if err != nil {
			return err
		}
		if c.Kind != KindTank {
			return fieldError(ReasonInvalidArgument, "parent", fmt.Sprintf("readings are recorded per tank; %s is a %s", c.Name(), c.Kind), "name", c.Name())
		}
		if err := tx.InsertReading(ctx, &r); err != nil {
			return err
		}
		audit := s.newChain(ctx, tx, now)
		if err := audit.record("RecordTemperatureReading", c.Name(), r.Bank, "", []FieldChange{{Field: "temperature_reading", After: auditJSON(r)}}); err != nil {
			return err
		}
		out = &ReadingResult{Reading: &r}
		outside := (c.MinCelsius != nil && r.Celsius < *c.MinCelsius) || (c.MaxCelsius != nil && r.Celsius > *c.MaxCelsius)
		open, err := tx.GetOpenExcursion(ctx, r.Bank, c.ID)
		if err != nil {
			return err
		}
		switch {
		case outside && open == nil:
			e := &Excursion{Bank: r.Bank, Container: c.ID, StartTime: r.Time, MinCelsius: c.MinCelsius, MaxCelsius: c.MaxCelsius,
				LowestCelsius: r.Celsius, HighestCelsius: r.Celsius, Readings: 1}
			if err := s.expose(ctx, tx, audit, c, e, r); err != nil {
				return err
			}
			out.Excursion, out.Opened = e, true
		case outside:
			before := *open
			open.LowestCelsius, open.HighestCelsius = min(open.LowestCelsius, r.Celsius), max(open.HighestCelsius, r.Celsius)
			open.Readings++
			if err := tx.UpdateExcursion(ctx, open); err != nil {
				return err
			}
			if err := audit.changed("ContinueExcursion", open.Name(), r.Bank, "", &before, open); err != nil {
				return err
			}
			out.Excursion = open
		case open != nil:
			before := *open
			open.EndTime = r.Time
			if err := tx.UpdateExcursion(ctx, open); err != nil {
				return err
			}
			if err := audit.changed("CloseExcursion", open.Name(), r.Bank, "", &before, open); err != nil {
				return err
			}
			out.Excursion, out.Closed = open, true
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
func (s *Service) expose(ctx context.Context, tx Tx, audit *chain, c *Container, e *Excursion, r TemperatureReading) error {
	t, err := loadTree(ctx, tx, c.Bank)
	if err != nil {
		return err
	}
	ps, err := tx.ListPlacements(ctx, c.Bank, ids(t.preorder(c.ID)))
	if err != nil {
		return err
	}
	e.UnitsExposed = len(ps)
	if err := tx.InsertExcursion(ctx, e); err != nil {
		return err
	}
	if err := audit.created("OpenExcursion", e.Name(), c.Bank, e); err != nil {
		return err
	}
	exposure := auditJSON(struct {
		Excursion string    `json:"excursion"`
		Tank      string    `json:"tank"`
		Celsius   float64   `json:"celsius"`
		Time      time.Time `json:"time"`
	}{e.Name(), c.Name(), r.Celsius, r.Time})
	for _, p := range ps {
		if err := audit.record("TemperatureExcursion", "banks/"+p.Bank+"/units/"+string(p.DIN), c.Bank, "",
			[]FieldChange{{Field: "exposure", After: exposure}}); err != nil {
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
func (s *Service) ListExcursions(ctx context.Context, r ListExcursionsRequest) ([]*Excursion, string, error) {
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
	var out []*Excursion
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
	out, next := pageOf(out, n, fk, func(e *Excursion) string { return strconv.FormatInt(e.ID, 10) })
	return out, next, nil
}
