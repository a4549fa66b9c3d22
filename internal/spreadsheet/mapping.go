package spreadsheet

import (
	"bufio"
	"fmt"
	"math"
	"strings"
)

// Mapping says which unit field each column of a file fills. Its text is
// one line per column:
//
//	# comments and blank lines are ignored
//	DIN            = din
//	Collected      = collectionDate DD/MM/YYYY
//	TNC (x10^7)    = cells.postProcessingTnc x1e7
//	Volume         = collectionVolumeMl mL
//	HLA-A          = hla.A
//	Remarks        = -
//
// The column is the header as the file's first row writes it (compared
// without regard to case or surrounding spaces); the field is a unit
// field's API JSON path (Fields lists them); `-` reads the column into
// nothing. The optional unit says how the column's numbers are written,
// and is the only way a number is ever rescaled:
//
//   - counts (cells.*): `cells` (absolute, the default), `x1e6`, `x1e7`,
//     `x1e8`, `x1e9` (also written `x10^7`, `×10^7`);
//   - volumes (*Ml): `mL` (the default) or `L`;
//   - dates (*Date): `YYYY-MM-DD` (the default), `DD/MM/YYYY`,
//     `MM/DD/YYYY`, `DD.MM.YYYY`, `DD-MM-YYYY` or `YYYYMMDD`; an XLSX cell
//     that holds a date as a number (Excel's day count) is read as that
//     date whatever the layout;
//   - percentages: `%`.
//
// Every column of the file must be in the mapping and every column of
// the mapping in the file: a misspelt header fails the whole file instead
// of leaving a field empty. The default mapping (an empty text) names
// each column by its field path, so a file ExportUnits wrote imports as
// it is; its output-only columns (status, createTime ...) are read into
// nothing.
type Mapping struct {
	Columns []Column // nil for the default mapping
}

// Column is one line of a mapping.
type Column struct {
	Header string
	Field  *Field // nil: ignored (`-`)
	Unit   Unit
	Line   int // in the mapping's text
}

// Unit is how a column's values are written.
type Unit struct {
	Name       string  // as the mapping wrote it; "" for the field's default
	Factor     float64 // counts and volumes: the value times Factor is the API's
	exp        int     // Factor as a power of ten, applied to the decimal text (exact)
	DateLayout string  // dates: a Go time layout
}

// Problem is one thing wrong with a mapping or a file as a whole.
type Problem struct {
	Line   int    // mapping line (1-based), 0 if none
	Column string // file column, "" if none
	Text   string
}

func (p Problem) String() string {
	switch {
	case p.Line > 0:
		return fmt.Sprintf("mapping line %d: %s", p.Line, p.Text)
	case p.Column != "":
		return fmt.Sprintf("column %q: %s", p.Column, p.Text)
	}
	return p.Text
}

// Error lists the problems that make a mapping or a file unusable; none
// of its rows is read.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	s := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		s[i] = p.String()
	}
	return strings.Join(s, "; ")
}

// maxMappingBytes bounds a mapping's text: a few hundred columns.
const maxMappingBytes = 64 << 10

// ParseMapping reads a mapping's text (see Mapping); "" is the default
// mapping. The error is an *Error naming every bad line.
func ParseMapping(text string) (*Mapping, error) {
	if strings.TrimSpace(text) == "" {
		return &Mapping{}, nil
	}
	if len(text) > maxMappingBytes {
		return nil, &Error{Problems: []Problem{{Text: fmt.Sprintf("a mapping is at most %d bytes", maxMappingBytes)}}}
	}
	m := &Mapping{}
	var probs []Problem
	seen := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, maxMappingBytes+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(format string, args ...any) {
			probs = append(probs, Problem{Line: n, Text: fmt.Sprintf(format, args...)})
		}
		header, rhs, ok := strings.Cut(line, "=")
		header = strings.TrimSpace(header)
		if !ok || header == "" {
			bad("%q is not `column = field [unit]`", line)
			continue
		}
		if first, dup := seen[normHeader(header)]; dup {
			bad("column %q is mapped on line %d too", header, first)
			continue
		}
		seen[normHeader(header)] = n
		words := strings.Fields(rhs)
		if len(words) == 0 || len(words) > 2 {
			bad("%q is not `column = field [unit]`", line)
			continue
		}
		col := Column{Header: header, Line: n}
		if words[0] != "-" {
			col.Field = FieldByPath(words[0])
			if col.Field == nil {
				bad("%q is not a unit field (fields are the API's JSON names: din, collectionDate, cells.postProcessingTnc, hla.A ...)", words[0])
				continue
			}
		} else if len(words) > 1 {
			bad("an ignored column takes no unit")
			continue
		}
		unitName := ""
		if len(words) == 2 {
			unitName = words[1]
		}
		if col.Field != nil {
			u, err := parseUnit(col.Field, unitName)
			if err != nil {
				bad("%s", err)
				continue
			}
			col.Unit = u
		}
		m.Columns = append(m.Columns, col)
	}
	if err := sc.Err(); err != nil {
		probs = append(probs, Problem{Text: err.Error()})
	}
	if len(probs) > 0 {
		return nil, &Error{Problems: probs}
	}
	if len(m.Columns) == 0 {
		return nil, &Error{Problems: []Problem{{Text: "the mapping maps no column"}}}
	}
	return m, nil
}

// Text renders the mapping in its own language (the default mapping as
// the columns an export writes).
func (m *Mapping) Text() string {
	var b strings.Builder
	if m.Columns == nil {
		for _, f := range Fields {
			fmt.Fprintf(&b, "%s = %s\n", f.Path, f.Path)
		}
		return b.String()
	}
	for _, c := range m.Columns {
		field := "-"
		if c.Field != nil {
			field = c.Field.Path
		}
		fmt.Fprintf(&b, "%s = %s", c.Header, field)
		if c.Unit.Name != "" {
			fmt.Fprintf(&b, " %s", c.Unit.Name)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func normHeader(s string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\ufeff")))
}

var dateLayouts = map[string]string{
	"YYYY-MM-DD": "2006-01-02",
	"DD/MM/YYYY": "02/01/2006",
	"MM/DD/YYYY": "01/02/2006",
	"DD.MM.YYYY": "02.01.2006",
	"DD-MM-YYYY": "02-01-2006",
	"YYYYMMDD":   "20060102",
}

// parseUnit reads a mapping's unit for field f ("" for its default).
func parseUnit(f *Field, name string) (Unit, error) {
	u := Unit{Name: name, Factor: 1}
	switch f.Kind {
	case KindCount:
		if name == "" || strings.EqualFold(name, "cells") {
			return u, nil
		}
		s := strings.NewReplacer("×", "x", "⁶", "^6", "⁷", "^7", "⁸", "^8", "⁹", "^9").Replace(strings.ToLower(name))
		s = strings.TrimPrefix(s, "x")
		for _, e := range []int{6, 7, 8, 9} {
			if s == fmt.Sprintf("1e%d", e) || s == fmt.Sprintf("10^%d", e) {
				u.Factor, u.exp = math.Pow10(e), e
				return u, nil
			}
		}
		return u, fmt.Errorf("%q is not a unit of %s: a count is in cells, x1e6, x1e7, x1e8 or x1e9", name, f.Path)
	case KindVolume:
		switch name {
		case "", "mL", "ml":
			return u, nil
		case "L", "l":
			u.Factor, u.exp = 1000, 3
			return u, nil
		}
		return u, fmt.Errorf("%q is not a unit of %s: a volume is in mL or L", name, f.Path)
	case KindPercent:
		if name == "" || name == "%" {
			return u, nil
		}
		return u, fmt.Errorf("%q is not a unit of %s: a percentage is in %%", name, f.Path)
	case KindDate:
		u.DateLayout = "2006-01-02"
		if name == "" {
			return u, nil
		}
		if l, ok := dateLayouts[strings.ToUpper(name)]; ok {
			u.DateLayout = l
			return u, nil
		}
		return u, fmt.Errorf("%q is not a date layout of %s: one of YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY, DD-MM-YYYY, YYYYMMDD", name, f.Path)
	}
	if name != "" {
		return u, fmt.Errorf("%s takes no unit", f.Path)
	}
	return u, nil
}
