package sqlite

import (
	"strings"

	"github.com/cordbank/cordbank/internal/store/rowenc"
)

// The units table's encoding is shared with internal/store/postgres
// (package rowenc); these names keep this package's SQL readable.

// unitColumns lists the columns of units in the order unitArgs writes them
// and unitRow.dest reads them.
var unitColumns = rowenc.UnitColumns

var (
	unitColumnList   = rowenc.UnitColumnList
	unitPlaceholders = strings.TrimSuffix(strings.Repeat("?, ", len(unitColumns)), ", ")
	// unitAssignments sets every column but the key (din, bank_id).
	unitAssignments = strings.Join(unitColumns[2:], " = ?, ") + " = ?"
)

// unitRow receives one row of units; reuse it across rows to save
// allocations.
type unitRow = rowenc.UnitRow

var (
	unitArgs     = rowenc.UnitArgs
	unitArgsBuf  = rowenc.UnitArgsBuf
	typingsJSON  = rowenc.TypingsJSON
	parseTypings = rowenc.ParseTypings
	nullFloat    = rowenc.NullFloat
	nullTime     = rowenc.NullTime
	nullString   = rowenc.NullString
	nullDate     = rowenc.NullDate
	parseDate    = rowenc.ParseDate
	timeOf       = rowenc.TimeOf
)
