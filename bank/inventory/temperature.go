package inventory

import (
	"math"
	"time"

	"github.com/cordbank/cordbank/bank/names"
)

// TemperatureReading is one measurement of a tank's temperature.
type TemperatureReading struct {
	Bank      string    `json:"bank,omitempty"`
	Container string    `json:"container,omitempty"` // tank id
	Time      time.Time `json:"time"`
	Celsius   float64   `json:"celsius"`
}

// MaxClockSkew is how far ahead of the server's clock a probe's reading
// may be dated: probes keep their own clocks.
const MaxClockSkew = 5 * time.Minute

// Validate checks a reading's temperature and time against now, adding a
// violation per bad field ("reading.celsius", "reading.time"). A zero
// time becomes now; the time is kept in UTC. Readings dated before
// earliestYear are refused: the caller gives the year cord blood banking
// began, since no unit was stored in a freezer before it.
func (r *TemperatureReading) Validate(v Violations, now time.Time, earliestYear int) {
	if math.IsNaN(r.Celsius) || math.IsInf(r.Celsius, 0) || r.Celsius < -273.15 || r.Celsius > 100 {
		v.Add("reading.celsius", "%g °C is not a storage temperature (-273.15..100)", r.Celsius)
	}
	switch {
	case r.Time.IsZero():
		r.Time = now
	case r.Time.After(now.Add(MaxClockSkew)):
		v.Add("reading.time", "%s is in the future", r.Time.UTC().Format(time.RFC3339))
	case r.Time.UTC().Year() < earliestYear:
		// A zero-valued clock (1970) or a typed year (1900): no cord unit
		// was stored in a freezer before cord blood banking began.
		v.Add("reading.time", "%s is before %d, when cord blood banking began", r.Time.UTC().Format(time.RFC3339), earliestYear)
	}
	r.Time = r.Time.UTC()
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
	return names.Excursion(e.Bank, e.ID)
}

// Open reports whether the excursion has not ended.
func (e *Excursion) Open() bool { return e.EndTime.IsZero() }

// Outside reports whether celsius is outside tank c's limits.
func (c *Container) Outside(celsius float64) bool {
	return (c.MinCelsius != nil && celsius < *c.MinCelsius) || (c.MaxCelsius != nil && celsius > *c.MaxCelsius)
}

// Step is what a reading does to its tank's excursion.
type Step int

// The steps of an excursion's life.
const (
	// Within: the tank is and was within its limits; nothing to record
	// beyond the reading.
	Within Step = iota
	// Opens: the first reading outside the limits opens an excursion.
	Opens
	// Continues: another reading outside the limits widens the open one.
	Continues
	// Closes: the first reading back inside the limits ends the open one.
	Closes
)

// Observe applies reading r of tank to the tank's open excursion (nil
// when none is open) and returns the step it takes with the excursion
// after the reading: a new one for Opens (without ID or UnitsExposed,
// which the store and the exposure count give it), a changed copy of
// open for Continues and Closes, nil for Within. open is not changed.
func Observe(tank *Container, open *Excursion, r TemperatureReading) (Step, *Excursion) {
	outside := tank.Outside(r.Celsius)
	switch {
	case outside && open == nil:
		return Opens, &Excursion{Bank: r.Bank, Container: tank.ID, StartTime: r.Time, MinCelsius: tank.MinCelsius, MaxCelsius: tank.MaxCelsius,
			LowestCelsius: r.Celsius, HighestCelsius: r.Celsius, Readings: 1}
	case outside:
		next := *open
		next.LowestCelsius, next.HighestCelsius = min(open.LowestCelsius, r.Celsius), max(open.HighestCelsius, r.Celsius)
		next.Readings++
		return Continues, &next
	case open != nil:
		next := *open
		next.EndTime = r.Time
		return Closes, &next
	}
	return Within, nil
}
