package spreadsheet

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Format is a file format.
type Format int

// The formats.
const (
	CSV Format = iota + 1
	XLSX
	JSON
)

// ContentType is the media type of a file in format f.
func (f Format) ContentType() string {
	switch f {
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case JSON:
		return "application/json"
	}
	return "text/csv; charset=utf-8"
}

// Extension is the file name extension of format f.
func (f Format) Extension() string {
	return map[Format]string{CSV: "csv", XLSX: "xlsx", JSON: "json"}[f]
}

// RowReader reads a file's rows.
type RowReader interface {
	// Header is the first row.
	Header() []string
	// Next returns the next row that is not blank and its number as a
	// spreadsheet program numbers it (the header is row 1), or io.EOF.
	// A malformed file is an *Error naming the line.
	Next() (row int, cells []string, err error)
}

// NewCSVReader reads CSV (RFC 4180, a leading byte-order mark allowed)
// from r as it arrives.
func NewCSVReader(r io.Reader) (RowReader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // rows shorter than the header leave fields empty
	c := &csvRows{r: cr}
	h, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &Error{Problems: []Problem{{Text: "the file is empty: the first row must name the columns"}}}
	}
	if err != nil {
		return nil, csvError(err)
	}
	if len(h) > 0 {
		h[0] = strings.TrimPrefix(h[0], "\ufeff")
	}
	c.header, c.row = h, 1
	return c, nil
}

type csvRows struct {
	r      *csv.Reader
	header []string
	row    int
}

func (c *csvRows) Header() []string { return c.header }

func (c *csvRows) Next() (int, []string, error) {
	for {
		rec, err := c.r.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, nil, io.EOF
			}
			return 0, nil, csvError(err)
		}
		c.row++
		if !blank(rec) {
			return c.row, rec, nil
		}
	}
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{Problems: []Problem{{Text: fmt.Sprintf("the file is not CSV at line %d, column %d: %v", pe.Line, pe.Column, pe.Err)}}}
	}
	return err
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// NewXLSXReader reads a workbook's sheet (the first when sheet is "")
// from data. Cells are read as stored, not as displayed: full-precision
// numbers, dates as Excel day counts.
func NewXLSXReader(data []byte, sheet string) (RowReader, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, &Error{Problems: []Problem{{Text: "the file is not an XLSX workbook: " + err.Error()}}}
	}
	defer f.Close()
	if sheet == "" {
		sheet = f.GetSheetName(0)
	} else if idx, err := f.GetSheetIndex(sheet); err != nil || idx < 0 {
		return nil, &Error{Problems: []Problem{{Text: fmt.Sprintf("the workbook has no sheet %q (it has %s)", sheet, strings.Join(f.GetSheetList(), ", "))}}}
	}
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, &Error{Problems: []Problem{{Text: "reading sheet " + sheet + ": " + err.Error()}}}
	}
	if len(rows) == 0 {
		return nil, &Error{Problems: []Problem{{Text: fmt.Sprintf("sheet %q is empty: the first row must name the columns", sheet)}}}
	}
	return &xlsxRows{rows: rows}, nil
}

type xlsxRows struct {
	rows [][]string
	next int // index of the next row to return
}

func (x *xlsxRows) Header() []string { return x.rows[0] }

func (x *xlsxRows) Next() (int, []string, error) {
	for {
		x.next++
		if x.next >= len(x.rows) {
			return 0, nil, io.EOF
		}
		if r := x.rows[x.next]; !blank(r) {
			return x.next + 1, r, nil
		}
	}
}

// TableWriter writes a table's rows (values as Row gives them) and, on
// Close, whatever the format keeps until the end.
type TableWriter interface {
	Write(row []any) error
	Close() error
}

// NewTableWriter writes a table with header to w in format f. CSV is
// written as rows arrive; XLSX is assembled (on disk past a few MB, by
// excelize) and written on Close; JSON is an array of objects keyed by
// header, numbers as numbers, empty cells left out.
func NewTableWriter(f Format, w io.Writer, header []string) (TableWriter, error) {
	switch f {
	case XLSX:
		x := &xlsxTable{f: excelize.NewFile(), w: w, row: 1}
		sw, err := x.f.NewStreamWriter("Sheet1")
		if err != nil {
			return nil, err
		}
		x.sw = sw
		hs := make([]any, len(header))
		for i, h := range header {
			hs[i] = h
		}
		return x, x.Write(hs)
	case JSON:
		t := &jsonTable{w: w, header: header}
		_, err := io.WriteString(w, "[")
		return t, err
	default:
		t := &csvTable{w: csv.NewWriter(w)}
		vals := make([]any, len(header))
		for i, h := range header {
			vals[i] = h
		}
		return t, t.Write(vals)
	}
}

type csvTable struct {
	w   *csv.Writer
	buf []string
}

func (t *csvTable) Write(row []any) error {
	t.buf = t.buf[:0]
	for _, v := range row {
		t.buf = append(t.buf, FormatValue(v))
	}
	return t.w.Write(t.buf)
}

func (t *csvTable) Close() error {
	t.w.Flush()
	return t.w.Error()
}

type xlsxTable struct {
	f   *excelize.File
	sw  *excelize.StreamWriter
	w   io.Writer
	row int
}

func (x *xlsxTable) Write(row []any) error {
	cellName, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	x.row++
	return x.sw.SetRow(cellName, row)
}

func (x *xlsxTable) Close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	return x.f.Write(x.w)
}

type jsonTable struct {
	w      io.Writer
	header []string
	n      int
}

func (t *jsonTable) Write(row []any) error {
	var b bytes.Buffer
	if t.n > 0 {
		b.WriteByte(',')
	}
	t.n++
	b.WriteByte('{')
	first := true
	for i, v := range row {
		if s, ok := v.(string); (ok && s == "") || v == nil || i >= len(t.header) {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(t.header[i])
		val, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(val)
	}
	b.WriteByte('}')
	_, err := t.w.Write(b.Bytes())
	return err
}

func (t *jsonTable) Close() error {
	_, err := io.WriteString(t.w, "]\n")
	return err
}
