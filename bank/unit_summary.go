package bank

import (
	"context"
	"math"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/lifecycle"
)

// UnitSummary counts a bank's units (SummarizeUnits).
type UnitSummary struct {
	Total            int
	ByStatus         map[lifecycle.Status]int
	ByType           map[UnitType]int
	ByABO            map[ABO]int
	ByCollectionYear map[int]int
	// AvailableTNC bins the post-processing TNC of AVAILABLE units (see
	// TNCBins); the first and last bins also hold what lies outside.
	AvailableTNC []TNCBin
}

// TNCBin is one bin of post-processing TNC: [Low, High) cells.
type TNCBin struct {
	Low, High float64
	N         int
}

// TNCBins are the bins of UnitSummary.AvailableTNC: a quarter decade each
// from 1e8 to 10^10.5 cells, where cord units' TNC lies.
func TNCBins() []TNCBin {
	var out []TNCBin
	for e := 8.0; e < 10.5; e += 0.25 {
		out = append(out, TNCBin{Low: math.Pow(10, e), High: math.Pow(10, e+0.25)})
	}
	return out
}

// SummarizeUnits counts the units of bank the caller may see: every unit
// for the bank's own staff, its public units for everyone else, so the
// counts an outsider gets never depend on private units.
func (s *Service) SummarizeUnits(ctx context.Context, bank string) (*UnitSummary, error) {
	if err := authorize(ctx, access.ReadUnits, bank, false); err != nil {
		return nil, err
	}
	publicOnly := !access.PrincipalFrom(ctx).SeesPrivateOf(bank)
	var out *UnitSummary
	err := s.store.Read(ctx, func(tx ReadTx) error {
		if _, err := tx.GetBank(ctx, bank); err != nil {
			return err
		}
		var err error
		out, err = tx.SummarizeUnits(ctx, bank, publicOnly)
		return err
	})
	return out, err
}

// NewUnitSummary returns an empty summary with its TNC bins.
func NewUnitSummary() *UnitSummary {
	return &UnitSummary{ByStatus: map[lifecycle.Status]int{}, ByType: map[UnitType]int{}, ByABO: map[ABO]int{},
		ByCollectionYear: map[int]int{}, AvailableTNC: TNCBins()}
}

// Add counts n units of one status, type, ABO group and collection year.
func (sum *UnitSummary) Add(st lifecycle.Status, ty UnitType, abo ABO, year, n int) {
	sum.Total += n
	sum.ByStatus[st] += n
	sum.ByType[ty] += n
	sum.ByABO[abo] += n
	sum.ByCollectionYear[year] += n
}

// AddAvailableTNC bins one available unit's post-processing TNC.
func (sum *UnitSummary) AddAvailableTNC(tnc float64) {
	bins := sum.AvailableTNC
	for i := range bins {
		if tnc < bins[i].High || i == len(bins)-1 {
			bins[i].N++
			return
		}
	}
}
