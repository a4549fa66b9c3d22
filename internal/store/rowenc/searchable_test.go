package rowenc

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/lifecycle"
)

// rawRow encodes u's searchable columns as PostgreSQL sends them: each
// value in its binary encoding (text as its bytes, float8 and int8 big
// endian) or in text, nil for NULL, from the same column values the
// stores write (UnitArgs).
func rawRow(t testing.TB, u *bank.Unit, format int16) ([][]byte, []int16) {
	t.Helper()
	args, err := UnitArgs(nil, u)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]any{}
	for i, c := range UnitColumns {
		byName[c] = args[i]
	}
	vals := make([][]byte, len(SearchableColumns))
	formats := make([]int16, len(SearchableColumns))
	for i, c := range SearchableColumns {
		formats[i] = format
		switch v := byName[c].(type) {
		case nil:
		case string:
			vals[i] = []byte(v)
		case float64:
			if format == FormatBinary {
				vals[i] = binary.BigEndian.AppendUint64(nil, math.Float64bits(v))
			} else {
				vals[i] = strconv.AppendFloat(nil, v, 'g', -1, 64)
			}
		case int64:
			if format == FormatBinary {
				vals[i] = binary.BigEndian.AppendUint64(nil, uint64(v))
			} else {
				vals[i] = strconv.AppendInt(nil, v, 10)
			}
		default:
			t.Fatalf("column %s: value %T", c, v)
		}
	}
	return vals, formats
}

// searchable is what the projection keeps of u: every other field zero,
// typings in stored order (the per-locus columns, then the others) without
// their readings.
func searchable(u *bank.Unit) *bank.Unit {
	p := &bank.Unit{DIN: u.DIN, Bank: u.Bank, Type: u.Type, Status: u.Status, Reduction: u.Reduction, ABO: u.ABO,
		AttachedSegments: u.AttachedSegments, Version: u.Version, CollectionDate: u.CollectionDate,
		Cells: bank.CellCounts{PostProcessingTNC: u.Cells.PostProcessingTNC, PostProcessingCD34: u.Cells.PostProcessingCD34}}
	var other []bank.LocusTyping
	for _, l := range HLALoci {
		n := 0
		for _, t := range u.HLA {
			if t.Locus != l {
				continue
			}
			if n++; n == 1 {
				p.HLA = append(p.HLA, bank.LocusTyping{Locus: t.Locus, Text: t.Text})
			} else {
				other = append(other, bank.LocusTyping{Locus: t.Locus, Text: t.Text})
			}
		}
	}
	for _, t := range u.HLA {
		if locusIndex(t.Locus) < 0 {
			other = append(other, bank.LocusTyping{Locus: t.Locus, Text: t.Text})
		}
	}
	p.HLA = append(p.HLA, other...)
	return p
}

func searchableFixtures() []*bank.Unit {
	full := banktest.ValidUnit("bank-a", banktest.DIN("G1234", 24, 1))
	full.Version = 7
	full.Status = lifecycle.StatusAvailable
	for i := range full.HLA {
		full.HLA[i].Reading = bank.TypingReading{GL: full.HLA[i].Text, P: "x", Flags: "ambiguous"}
	}
	bare := banktest.ValidUnit("bank-b", banktest.DIN("G1234", 24, 2))
	bare.Type, bare.Status, bare.HLA = bank.UnitTypeDirected, lifecycle.StatusReserved, nil
	bare.Cells.PostProcessingCD34 = nil
	bare.AttachedSegments = 0
	extra := banktest.ValidUnit("bank-a", banktest.DIN("G1234", 24, 3))
	extra.HLA = append(extra.HLA, bank.LocusTyping{Locus: "A", Text: "A*11:01+A*24:02"},
		bank.LocusTyping{Locus: "MICA", Text: "MICA*001+MICA*002"})
	return []*bank.Unit{full, bare, extra}
}

// TestSearchableRowRoundTrip: a unit written by the stores and read back
// through the projection, from binary and from text values, and through
// database/sql's destinations, has exactly its searchable fields; a page
// whose memory is reused carries nothing of the units it held before.
func TestSearchableRowRoundTrip(t *testing.T) {
	units := searchableFixtures()
	for _, format := range []int16{FormatBinary, FormatText} {
		pages := NewSearchablePages(len(units))
		var r SearchableRow
		for round := range 2 {
			// The second round fills the first round's memory rotated, so
			// the bare unit lands where the full one was.
			order := units
			if round == 1 {
				order = []*bank.Unit{units[1], units[2], units[0]}
			}
			for _, u := range order {
				vals, formats := rawRow(t, u, format)
				if err := r.SetRaw(vals, formats); err != nil {
					t.Fatalf("format %d: %v", format, err)
				}
				// The driver reuses its buffers: nothing may alias them.
				for _, v := range vals {
					for i := range v {
						v[i] = '#'
					}
				}
				if err := pages.Add(&r); err != nil {
					t.Fatalf("format %d: %v", format, err)
				}
			}
			got, release := pages.Take()
			for i, u := range order {
				if d := cmp.Diff(searchable(u), got[i]); d != "" {
					t.Errorf("format %d, round %d, unit %s (-want +got):\n%s", format, round, u.DIN, d)
				}
			}
			release()
			release() // a second call changes nothing
		}
	}
	// database/sql's path: the same values scanned into Dest.
	var r SearchableRow
	pages := NewSearchablePages(1)
	u := units[2]
	vals, _ := rawRow(t, u, FormatText)
	for i, d := range r.Dest() {
		if err := scanText(d, vals[i]); err != nil {
			t.Fatalf("column %s: %v", SearchableColumns[i], err)
		}
	}
	if err := pages.Add(&r); err != nil {
		t.Fatal(err)
	}
	got, _ := pages.Take()
	if d := cmp.Diff(searchable(u), got[0]); d != "" {
		t.Errorf("through Dest (-want +got):\n%s", d)
	}
}

// scanText stores a text value (nil: NULL) in a destination of Dest, as
// database/sql would.
func scanText(dest any, v []byte) error {
	var err error
	switch d := dest.(type) {
	case *string:
		*d = string(v)
	case *float64:
		*d, err = strconv.ParseFloat(string(v), 64)
	case *int64:
		*d, err = strconv.ParseInt(string(v), 10, 64)
	case interface{ Scan(any) error }:
		if v == nil {
			return d.Scan(nil)
		}
		return d.Scan(string(v))
	}
	return err
}

func TestSearchableRowRefusesBadValues(t *testing.T) {
	u := searchableFixtures()[0]
	for name, breakIt := range map[string]func(vals [][]byte, formats []int16) ([][]byte, []int16){
		"missing column":     func(v [][]byte, f []int16) ([][]byte, []int16) { return v[1:], f[1:] },
		"NULL din":           func(v [][]byte, f []int16) ([][]byte, []int16) { v[0] = nil; return v, f },
		"NULL tnc":           func(v [][]byte, f []int16) ([][]byte, []int16) { v[7] = nil; return v, f },
		"short binary float": func(v [][]byte, f []int16) ([][]byte, []int16) { v[7] = v[7][:4]; return v, f },
		"odd binary integer": func(v [][]byte, f []int16) ([][]byte, []int16) { v[10] = v[10][:3]; return v, f },
		"text integer":       func(v [][]byte, f []int16) ([][]byte, []int16) { v[9], f[9] = []byte("two"), FormatText; return v, f },
	} {
		vals, formats := breakIt(rawRow(t, u, FormatBinary))
		var r SearchableRow
		if err := r.SetRaw(vals, formats); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	vals, formats := rawRow(t, u, FormatBinary)
	vals[4] = []byte("17/03/2024")
	var r SearchableRow
	if err := r.SetRaw(vals, formats); err != nil {
		t.Fatal(err)
	}
	if err := NewSearchablePages(1).Add(&r); err == nil {
		t.Error("a date not YYYY-MM-DD: no error")
	}
}

// FuzzSearchableRow: any raw values, in any formats, are read or refused
// with an error, never a panic, and a row read builds its unit or says why.
func FuzzSearchableRow(f *testing.F) {
	for _, u := range searchableFixtures() {
		for _, format := range []int16{FormatBinary, FormatText} {
			vals, _ := rawRow(f, u, format)
			nulls := uint32(0)
			for i, v := range vals {
				if v == nil {
					nulls |= 1 << i
				}
			}
			f.Add(bytes.Join(vals, []byte{0}), nulls, uint32(format)*0xffffffff)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, nulls, binaryMask uint32) {
		parts := bytes.Split(data, []byte{0})
		vals := make([][]byte, len(SearchableColumns))
		formats := make([]int16, len(SearchableColumns))
		for i := range vals {
			if i < len(parts) && nulls&(1<<i) == 0 {
				vals[i] = parts[i]
			}
			if binaryMask&(1<<i) != 0 {
				formats[i] = FormatBinary
			}
		}
		var r SearchableRow
		if err := r.SetRaw(vals, formats); err != nil {
			return
		}
		pages := NewSearchablePages(2)
		if err := pages.Add(&r); err != nil {
			return
		}
		units, release := pages.Take()
		if len(units) != 1 {
			t.Fatalf("read %d units from one row", len(units))
		}
		if string(units[0].DIN) != string(vals[0]) {
			t.Fatalf("read DIN %q from %q", units[0].DIN, vals[0])
		}
		release()
	})
}
