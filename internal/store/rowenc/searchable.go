package rowenc

import (
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
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
	// hundred banks and ten statuses allocate those strings once.
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

// SearchablePages builds pages of units from searchable rows, reusing the
// memory of pages given back: an index build reads a million units and
// keeps none of them (the index copies what it needs), so a few pages
// serve the whole scan and the collector has only the strings to free.
// It is used by one goroutine; a page's release function may be called
// from any.
type SearchablePages struct {
	size int
	free chan *searchablePage
	cur  *searchablePage
}

// searchablePage is the memory of one page: its units, their typings and
// CD34+ counts, and the pointers handed out.
type searchablePage struct {
	units   []bank.Unit
	typings []bank.LocusTyping
	cd34    []float64
	list    []*bank.Unit
}

// NewSearchablePages returns pages of up to size units.
func NewSearchablePages(size int) *SearchablePages {
	return &SearchablePages{size: max(size, 1), free: make(chan *searchablePage, 4)}
}

// Len is the number of units on the page being filled.
func (p *SearchablePages) Len() int {
	if p.cur == nil {
		return 0
	}
	return len(p.cur.list)
}

// Add builds the unit of the row on the current page: the fields of the
// projection set, every other field zero. The page must not be full
// (Len < size).
func (p *SearchablePages) Add(r *SearchableRow) error {
	pg := p.cur
	if pg == nil {
		select {
		case pg = <-p.free:
		default:
			pg = &searchablePage{units: make([]bank.Unit, p.size), list: make([]*bank.Unit, 0, p.size),
				typings: make([]bank.LocusTyping, 0, 6*p.size), cd34: make([]float64, 0, p.size)}
		}
		p.cur = pg
	}
	n := len(pg.list)
	u := &pg.units[n]
	*u = bank.Unit{
		DIN: unit.DIN(r.din), Bank: r.bankID,
		Type: bank.UnitType(r.unitType), Status: lifecycle.Status(r.status),
		Reduction: bank.Reduction(r.reduction), ABO: bank.ABO(r.abo),
		AttachedSegments: int(r.segments), Version: r.version,
	}
	u.Cells.PostProcessingTNC = r.postTNC
	if r.postCD34.Valid {
		pg.cd34 = append(pg.cd34, r.postCD34.Float64)
		u.Cells.PostProcessingCD34 = &pg.cd34[len(pg.cd34)-1]
	}
	var err error
	if u.CollectionDate, err = ParseDate(r.collDate); err != nil {
		return fmt.Errorf("unit %s: %w", r.din, err)
	}
	start := len(pg.typings)
	for i, h := range r.hla {
		if h.Valid {
			pg.typings = append(pg.typings, bank.LocusTyping{Locus: HLALoci[i], Text: h.String})
		}
	}
	if len(pg.typings) > start {
		// Capped at its own length: appending to it (ParseTypings below, or
		// a caller) copies rather than overwriting the next unit's typings.
		u.HLA = pg.typings[start:len(pg.typings):len(pg.typings)]
	}
	if u.HLA, err = ParseTypings(r.hlaOther, u.HLA); err != nil {
		return fmt.Errorf("unit %s: %w", r.din, err)
	}
	pg.list = append(pg.list, u)
	return nil
}

// PageFunc receives a page of units and the function that gives the
// page's memory back (see Take).
type PageFunc = func(units []*bank.Unit, release func()) error

// Put builds the unit of the row (Add) and hands the page to fn once it
// holds size units. An undecodable row is a KindInternal error; fn's
// errors come back as they are.
func (p *SearchablePages) Put(r *SearchableRow, fn PageFunc) error {
	if err := p.Add(r); err != nil {
		return bank.Internal(err, "read unit")
	}
	if p.Len() < p.size {
		return nil
	}
	return fn(p.Take())
}

// Flush hands fn the page being filled, if it holds any unit.
func (p *SearchablePages) Flush(fn PageFunc) error {
	if p.Len() == 0 {
		return nil
	}
	return fn(p.Take())
}

// Take returns the units of the current page and a function that gives
// the page's memory back for a later page: call it once done with the
// units (never before, and at most once); not calling it only costs the
// allocation of a new page. Take on an empty page returns no units.
func (p *SearchablePages) Take() (units []*bank.Unit, release func()) {
	pg := p.cur
	p.cur = nil
	if pg == nil || len(pg.list) == 0 {
		return nil, func() {}
	}
	var once sync.Once
	return pg.list, func() {
		once.Do(func() {
			// The typings and counts of the next use start at their
			// beginning again; append may have moved them to larger
			// arrays, which are kept.
			clear(pg.list) // no stale pointers held past the page
			pg.list, pg.typings, pg.cd34 = pg.list[:0], pg.typings[:0], pg.cd34[:0]
			select {
			case p.free <- pg:
			default: // enough pages kept
			}
		})
	}
}
