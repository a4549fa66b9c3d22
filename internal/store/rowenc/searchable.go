package rowenc

import (
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/cordbank/cordbank/bank"
)

// The searchable projection of units: the columns a search index reads
// (bank/match.Index: identity, version, the flags it partitions on, dose,
// collection date, ABO and the HLA typing text), for building the index at
// a server's start without decoding the other two thirds of each row.
// Both stores read it in one statement (server.BuildIndex).

// SearchableColumns lists the columns of the projection in the order
// SearchableRow.Dest and SearchableRow.SetRaw read them.
var SearchableColumns = append([]string{
	"din", "bank_id", "unit_type", "status", "collection_date", "reduction", "abo",
	"post_processing_tnc", "post_processing_cd34", "attached_segments", "version",
	"hla_other",
}, hlaColumns()...)

// SearchableColumnList is SearchableColumns joined for a SELECT.
var SearchableColumnList = strings.Join(SearchableColumns, ", ")

// searchableHLA is the position of hla_a in SearchableColumns; the other
// loci of HLALoci follow it.
const searchableHLA = 12

func hlaColumns() []string {
	out := make([]string, len(HLALoci))
	for i, l := range HLALoci {
		out[i] = "hla_" + strings.ToLower(l)
	}
	return out
}

// SearchableRow receives one row of the projection, either through
// database/sql's Scan (Dest) or from a driver's raw column values (SetRaw).
// Reuse it across rows.
type SearchableRow struct {
	din, bankID, unitType, status, collDate, reduction, abo string
	postTNC                                                 float64
	postCD34                                                sql.NullFloat64
	segments, version                                       int64
	hlaOther                                                sql.NullString
	hla                                                     [len(HLALoci)]sql.NullString
	destBuf                                                 []any
	// interned keeps one copy of each short, repeated text (bank ids,
	// enum names, dates) read by SetRaw, so a million rows of a few
	// hundred banks and four statuses allocate those strings once.
	interned map[string]string
}

// Dest returns the scan destinations in SearchableColumns order.
func (r *SearchableRow) Dest() []any {
	if r.destBuf != nil {
		return r.destBuf
	}
	d := []any{&r.din, &r.bankID, &r.unitType, &r.status, &r.collDate, &r.reduction, &r.abo,
		&r.postTNC, &r.postCD34, &r.segments, &r.version, &r.hlaOther}
	for i := range r.hla {
		d = append(d, &r.hla[i])
	}
	r.destBuf = d
	return d
}

// Raw column formats, as PostgreSQL's wire protocol numbers them.
const (
	FormatText   = 0
	FormatBinary = 1
)

// maxInterned bounds the interned texts of one SearchableRow: past it a
// text is copied like any other (a store whose "enum" columns hold
// arbitrary text must not grow the table without end).
const maxInterned = 1 << 14

// SetRaw fills the row from one row of raw column values in
// SearchableColumns order (nil: NULL), each in formats[i] (FormatText, or
// FormatBinary: PostgreSQL's binary encoding of text, float8 and int8).
// The values may be reused by the driver after the call: SetRaw copies
// what it keeps.
func (r *SearchableRow) SetRaw(vals [][]byte, formats []int16) error {
	if len(vals) != len(SearchableColumns) || len(formats) != len(vals) {
		return fmt.Errorf("searchable row has %d columns in %d formats, want %d", len(vals), len(formats), len(SearchableColumns))
	}
	for i, p := range [...]*string{&r.din, &r.bankID, &r.unitType, &r.status, &r.collDate, &r.reduction, &r.abo} {
		if vals[i] == nil {
			return fmt.Errorf("column %s is NULL", SearchableColumns[i])
		}
		if i == 0 {
			*p = string(vals[i]) // a DIN never repeats
		} else {
			*p = r.intern(vals[i])
		}
	}
	var err error
	if vals[7] == nil {
		return fmt.Errorf("column %s is NULL", SearchableColumns[7])
	}
	if r.postTNC, err = rawFloat(vals[7], formats[7]); err != nil {
		return fmt.Errorf("column %s: %w", SearchableColumns[7], err)
	}
	r.postCD34 = sql.NullFloat64{Valid: vals[8] != nil}
	if r.postCD34.Valid {
		if r.postCD34.Float64, err = rawFloat(vals[8], formats[8]); err != nil {
			return fmt.Errorf("column %s: %w", SearchableColumns[8], err)
		}
	}
	for i, p := range [...]*int64{&r.segments, &r.version} {
		v := vals[9+i]
		if v == nil {
			return fmt.Errorf("column %s is NULL", SearchableColumns[9+i])
		}
		if *p, err = rawInt(v, formats[9+i]); err != nil {
			return fmt.Errorf("column %s: %w", SearchableColumns[9+i], err)
		}
	}
	r.hlaOther = rawText(vals[11])
	for i := range r.hla {
		r.hla[i] = rawText(vals[searchableHLA+i])
	}
	return nil
}

func (r *SearchableRow) intern(b []byte) string {
	if s, ok := r.interned[unsafe.String(unsafe.SliceData(b), len(b))]; ok {
		return s
	}
	s := string(b)
	if r.interned == nil {
		r.interned = map[string]string{}
	}
	if len(r.interned) < maxInterned {
		r.interned[s] = s
	}
	return s
}

func rawText(b []byte) sql.NullString {
	if b == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: string(b), Valid: true}
}

func rawFloat(b []byte, format int16) (float64, error) {
	if format == FormatBinary {
		if len(b) != 8 {
			return 0, fmt.Errorf("binary float8 of %d bytes", len(b))
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	}
	return strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), 64)
}

func rawInt(b []byte, format int16) (int64, error) {
	if format == FormatBinary {
		switch len(b) {
		case 8:
			return int64(binary.BigEndian.Uint64(b)), nil
		case 4:
			return int64(int32(binary.BigEndian.Uint32(b))), nil
		}
		return 0, fmt.Errorf("binary integer of %d bytes", len(b))
	}
	return strconv.ParseInt(unsafe.String(unsafe.SliceData(b), len(b)), 10, 64)
}

// SearchableUnits builds the units of searchable rows. It allocates them,
// their typings and their CD34+ counts in blocks rather than one by one:
// an index build reads a million units and keeps none of them (the index
// copies what it needs), so the fewer, larger allocations are freed
// together once a page is loaded.
type SearchableUnits struct {
	units   []bank.Unit
	typings []bank.LocusTyping
	cd34    []float64
}

// searchableBlock is how many units SearchableUnits allocates at once.
const searchableBlock = 1024

// Unit returns the unit of the row: the fields of the projection set, every
// other field zero.
func (s *SearchableUnits) Unit(r *SearchableRow) (*bank.Unit, error) {
	if len(s.units) == cap(s.units) {
		s.units = make([]bank.Unit, 0, searchableBlock)
	}
	s.units = s.units[:len(s.units)+1]
	u := &s.units[len(s.units)-1]
	u.DIN, u.Bank = bank.DIN(r.din), r.bankID
	u.Type, u.Status = bank.UnitType(r.unitType), bank.Status(r.status)
	u.Reduction, u.ABO = bank.Reduction(r.reduction), bank.ABO(r.abo)
	u.Cells.PostProcessingTNC = r.postTNC
	if r.postCD34.Valid {
		if len(s.cd34) == cap(s.cd34) {
			s.cd34 = make([]float64, 0, searchableBlock)
		}
		s.cd34 = append(s.cd34, r.postCD34.Float64)
		u.Cells.PostProcessingCD34 = &s.cd34[len(s.cd34)-1]
	}
	u.AttachedSegments, u.Version = int(r.segments), r.version
	var err error
	if u.CollectionDate, err = ParseDate(r.collDate); err != nil {
		return nil, fmt.Errorf("unit %s: %w", r.din, err)
	}
	n := 0
	for _, h := range r.hla {
		if h.Valid {
			n++
		}
	}
	if n > 0 {
		if cap(s.typings)-len(s.typings) < n {
			s.typings = make([]bank.LocusTyping, 0, max(n, searchableBlock*6))
		}
		start := len(s.typings)
		for i, h := range r.hla {
			if h.Valid {
				s.typings = append(s.typings, bank.LocusTyping{Locus: HLALoci[i], Text: h.String})
			}
		}
		// Capped at its own length: appending to it (ParseTypings below, or
		// a caller) copies rather than overwriting the next unit's typings.
		u.HLA = s.typings[start:len(s.typings):len(s.typings)]
	}
	if u.HLA, err = ParseTypings(r.hlaOther, u.HLA); err != nil {
		return nil, fmt.Errorf("unit %s: %w", r.din, err)
	}
	return u, nil
}
