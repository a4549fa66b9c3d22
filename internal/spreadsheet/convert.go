package spreadsheet

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// Binding is a mapping applied to one file's header: what each column
// fills.
type Binding struct {
	header  []string
	cols    []*Column // by column index; nil: ignored
	byProto map[string]int
	xlsx    bool // dates may be Excel day counts
	// Ignored are the columns read into nothing: output-only fields and
	// those the mapping maps to `-`.
	Ignored []string
}

// Bind applies m to a file's header row. xlsx says the file is a
// workbook (numbers in date columns are Excel dates). The error is an
// *Error naming every unusable column.
func Bind(m *Mapping, header []string, xlsx bool) (*Binding, error) {
	b := &Binding{header: header, cols: make([]*Column, len(header)), byProto: map[string]int{}, xlsx: xlsx}
	var probs []Problem
	byHeader := map[string]*Column{}
	for i := range m.Columns {
		byHeader[normHeader(m.Columns[i].Header)] = &m.Columns[i]
	}
	seenHeader := map[string]bool{}
	for i, h := range header {
		key := normHeader(h)
		switch {
		case key == "":
			probs = append(probs, Problem{Column: fmt.Sprintf("#%d", i+1), Text: "has no header: every column needs a name in the first row"})
			continue
		case seenHeader[key]:
			probs = append(probs, Problem{Column: h, Text: "appears twice in the header"})
			continue
		}
		seenHeader[key] = true
		var col *Column
		if m.Columns == nil {
			f := FieldByPath(h)
			if f == nil {
				probs = append(probs, Problem{Column: h, Text: "is not a unit field (the default mapping reads columns named by the API's JSON field names: din, collectionDate, cells.postProcessingTnc, hla.A ...); give a mapping for other names"})
				continue
			}
			u, _ := parseUnit(f, "")
			col = &Column{Header: h, Field: f, Unit: u}
		} else if col = byHeader[key]; col == nil {
			probs = append(probs, Problem{Column: h, Text: "is not in the mapping (map it to a field, or to - to ignore it)"})
			continue
		}
		if col.Field == nil || col.Field.OutputOnly {
			b.Ignored = append(b.Ignored, h)
			continue
		}
		if j, dup := b.byProto[col.Field.ProtoPath]; dup {
			probs = append(probs, Problem{Column: h, Text: fmt.Sprintf("fills %s, which column %q fills too", col.Field.Path, header[j])})
			continue
		}
		b.byProto[col.Field.ProtoPath] = i
		b.cols[i] = col
	}
	for _, c := range m.Columns {
		if !seenHeader[normHeader(c.Header)] {
			probs = append(probs, Problem{Line: c.Line, Text: fmt.Sprintf("column %q is not in the file", c.Header)})
		}
	}
	if _, ok := b.byProto["unit.din"]; !ok && len(probs) == 0 {
		probs = append(probs, Problem{Text: "no column gives the DIN (field din)"})
	}
	if len(probs) > 0 {
		return nil, &Error{Problems: probs}
	}
	return b, nil
}

// CellError is one problem of a row, in the file's terms.
type CellError struct {
	Column      string // header; "" when the problem is no column's
	Value       string // the cell's text
	Field       string // the API's field path (ProtoPath)
	Description string
}

// Message is the whole sentence: "row 17, column TNC: ...".
func (e CellError) Message(row int) string {
	if e.Column == "" {
		if e.Field == "" {
			return fmt.Sprintf("row %d: %s", row, e.Description)
		}
		name := strings.TrimPrefix(e.Field, "unit.")
		if f := fieldsByProto[e.Field]; f != nil {
			name = f.Path
		}
		return fmt.Sprintf("row %d, field %s (no column): %s", row, name, e.Description)
	}
	return fmt.Sprintf("row %d, column %s: %s", row, e.Column, e.Description)
}

// DIN returns the row's DIN cell as written.
func (b *Binding) DIN(cells []string) string {
	return cell(cells, b.byProto["unit.din"])
}

func cell(cells []string, i int) string {
	if i < len(cells) {
		return strings.TrimSpace(cells[i])
	}
	return ""
}

// Unit reads one row into a wire unit. Cells that cannot be read (not a
// number, not a date, not one of an enum's values) are returned as
// errors and their fields left unset; a row with errors must not be
// registered. Empty cells leave their fields unset.
func (b *Binding) Unit(cells []string) (*pb.Unit, []CellError) {
	u := &pb.Unit{}
	var errs []CellError
	for i, col := range b.cols {
		if col == nil {
			continue
		}
		s := cell(cells, i)
		if s == "" {
			continue
		}
		if err := set(u.ProtoReflect(), col, s, b.xlsx); err != nil {
			errs = append(errs, CellError{Column: b.header[i], Value: s, Field: col.Field.ProtoPath, Description: err.Error()})
		}
	}
	if len(cells) > len(b.header) {
		for _, extra := range cells[len(b.header):] {
			if strings.TrimSpace(extra) != "" {
				errs = append(errs, CellError{Value: extra, Description: fmt.Sprintf("the row has %d cells, the header %d columns", len(cells), len(b.header))})
				break
			}
		}
	}
	return u, errs
}

// Explain turns a violation of the API's import (field path, description)
// into the row's terms: the column that holds the field and its text, and
// for a count the domain finds implausibly low, what the number probably
// meant.
func (b *Binding) Explain(cells []string, field, description string) CellError {
	i, ok := b.byProto[field]
	if !ok {
		return CellError{Field: field, Description: description}
	}
	e := CellError{Column: b.header[i], Value: cell(cells, i), Field: field, Description: description}
	col := b.cols[i]
	if col.Field.Kind == KindCount && col.Unit.Factor != 1 {
		if x, err := parseNumber(e.Value, col.Unit.exp); err == nil {
			e.Description = fmt.Sprintf("%s in %s is %s cells: %s; was it written in cells rather than %s?",
				e.Value, col.Unit.Name, strconv.FormatFloat(x, 'g', -1, 64), description, col.Unit.Name)
		}
	}
	if col.Field.Kind == KindCount && col.Unit.Factor == 1 {
		if x, err := strconv.ParseFloat(e.Value, 64); err == nil && x > 0 && x < 1e6 {
			e.Description = fmt.Sprintf("%s is not a cell count; did you mean %s? Counts are absolute numbers of cells: a column written in 10^7 cells needs its unit in a mapping (%s = %s x1e7)",
				e.Value, strconv.FormatFloat(plausibleCount(x), 'g', -1, 64), e.Column, col.Field.Path)
		}
	}
	return e
}

// plausibleCount scales x by a power of ten into 5e8-5e9, where a cord
// unit's TNC lies: 1.2 (written in 10^9) and 120 (in 10^7) both give
// 1.2e9. It is only a hint; nothing is ever stored rescaled.
func plausibleCount(x float64) float64 {
	e := 0
	for y := x; y < 5e8 && e < 15; e++ {
		y *= 10
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', -1, 64)+"e"+strconv.Itoa(e), 64)
	return v
}

// set reads s into col's field of u.
func set(u protoreflect.Message, col *Column, s string, xlsx bool) error {
	f := col.Field
	m := u
	for _, fd := range f.fds[:len(f.fds)-1] {
		m = m.Mutable(fd).Message()
	}
	fd := f.fds[len(f.fds)-1]
	switch f.Kind {
	case KindTyping:
		list := m.Mutable(fd).List()
		t := list.NewElement().Message().Interface().(*pb.LocusTyping)
		t.Locus, t.Typing = f.locus, s
		list.Append(protoreflect.ValueOfMessage(t.ProtoReflect()))
		return nil
	case KindText:
		m.Set(fd, protoreflect.ValueOfString(s))
		return nil
	case KindDate:
		d, err := parseDate(s, col.Unit.DateLayout, xlsx)
		if err != nil {
			return err
		}
		m.Set(fd, protoreflect.ValueOfString(d))
		return nil
	case KindEnum:
		v, err := parseEnum(fd.Enum(), s)
		if err != nil {
			return err
		}
		m.Set(fd, protoreflect.ValueOfEnum(v))
		return nil
	case KindInteger:
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			if x, ferr := strconv.ParseFloat(s, 64); ferr == nil && x == math.Trunc(x) && math.Abs(x) < math.MaxInt32 {
				n, err = int64(x), nil // "2.0", as some programs write whole numbers
			}
		}
		if err != nil {
			return fmt.Errorf("%s is not a whole number", s)
		}
		m.Set(fd, protoreflect.ValueOfInt32(int32(n)))
		return nil
	case KindCount, KindVolume, KindPercent:
		x, err := parseNumber(s, col.Unit.exp)
		if err != nil {
			what := map[Kind]string{KindCount: "a cell count", KindVolume: "a volume", KindPercent: "a percentage"}[f.Kind]
			return fmt.Errorf("%s is not %s: write a number such as %s", s, what, map[Kind]string{KindCount: "1.2e9", KindVolume: "92.5", KindPercent: "96.5"}[f.Kind])
		}
		m.Set(fd, protoreflect.ValueOfFloat64(x))
		return nil
	}
	return fmt.Errorf("%s cannot be imported", f.Path)
}

// parseNumber reads a decimal number as spreadsheets write it: a point
// for decimals, optional exponent; no thousands separators (1,200 is
// refused, never read as 1.2 or 1200).
//
// exp scales the number by 10^exp on its decimal text, so 0.0925 L is
// exactly 92.5 mL (0.0925 × 1000 in binary is 92.50000000000001).
func parseNumber(s string, exp int) (float64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	if strings.ContainsAny(s, ", _") || strings.HasPrefix(strings.TrimLeft(s, "+-"), "0x") || strings.HasPrefix(strings.TrimLeft(s, "+-"), "0X") {
		return 0, fmt.Errorf("separator")
	}
	if exp != 0 {
		mant, e := s, 0
		if i := strings.IndexAny(s, "eE"); i >= 0 {
			n, err := strconv.Atoi(s[i+1:])
			if err != nil {
				return 0, fmt.Errorf("not a number")
			}
			mant, e = s[:i], n
		}
		s = mant + "e" + strconv.Itoa(e+exp)
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("not a number")
	}
	return x, nil
}

// parseDate reads s in layout, or an XLSX date serial, as YYYY-MM-DD.
func parseDate(s, layout string, xlsx bool) (string, error) {
	if layout == "" {
		layout = "2006-01-02"
	}
	if t, err := time.Parse(layout, s); err == nil {
		return t.Format("2006-01-02"), nil
	}
	if xlsx {
		// Excel keeps dates as days since 1899-12-30 (the 1900 date
		// system, with its phantom 1900-02-29, is behind that origin).
		if x, err := strconv.ParseFloat(s, 64); err == nil && x >= 1 && x < 2958466 && x == math.Trunc(x) {
			return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(x)).Format("2006-01-02"), nil
		}
	}
	want := strings.NewReplacer("2006", "YYYY", "01", "MM", "02", "DD").Replace(layout)
	return "", fmt.Errorf("%s is not a date written %s", s, want)
}

// parseEnum reads an enum's wire name (ABO_O) or its last part (O), in
// any case.
func parseEnum(ed protoreflect.EnumDescriptor, s string) (protoreflect.EnumNumber, error) {
	pfx := enumPrefix(ed)
	want := strings.ToUpper(strings.TrimSpace(s))
	vals := ed.Values()
	var names []string
	for i := range vals.Len() {
		v := vals.Get(i)
		if v.Number() == 0 {
			continue
		}
		name := string(v.Name())
		if want == name || pfx+want == name {
			return v.Number(), nil
		}
		names = append(names, strings.TrimPrefix(name, pfx))
	}
	return 0, fmt.Errorf("%s is not one of %s", s, strings.Join(names, ", "))
}

// Header is an export's header row: every field's path.
func Header() []string {
	out := make([]string, len(Fields))
	for i, f := range Fields {
		out[i] = f.Path
	}
	return out
}

// Row is an export's row of u, one value per Header column: a string, or
// a float64 or int64 for numbers (so a workbook holds them as numbers).
// Empty fields are "". A typing of a locus outside Loci is an error: the
// file could not hold it.
func Row(u *pb.Unit) ([]any, error) {
	out := make([]any, len(Fields))
	m := u.ProtoReflect()
	for i, f := range Fields {
		out[i] = ""
		v, ok := get(m, f)
		if ok {
			out[i] = v
		}
	}
	for _, ts := range [][]*pb.LocusTyping{u.GetHla(), u.GetPrivate().GetMaternalHla()} {
		for _, t := range ts {
			if !knownLocus(t.GetLocus()) {
				return nil, fmt.Errorf("%s: locus %s has no column (the columns are %s)", u.GetName(), t.GetLocus(), strings.Join(Loci, ", "))
			}
		}
	}
	return out, nil
}

func knownLocus(l string) bool {
	for _, k := range Loci {
		if k == l {
			return true
		}
	}
	return false
}

func get(u protoreflect.Message, f *Field) (any, bool) {
	m := u
	for _, fd := range f.fds[:len(f.fds)-1] {
		if !m.Has(fd) {
			return nil, false
		}
		m = m.Get(fd).Message()
	}
	fd := f.fds[len(f.fds)-1]
	if !m.Has(fd) {
		return nil, false
	}
	v := m.Get(fd)
	switch f.Kind {
	case KindTyping:
		list := v.List()
		for i := range list.Len() {
			t := list.Get(i).Message().Interface().(*pb.LocusTyping)
			if t.GetLocus() == f.locus {
				return t.GetTyping(), true
			}
		}
		return nil, false
	case KindTimestamp:
		return v.Message().Interface().(*timestamppb.Timestamp).AsTime().UTC().Format(time.RFC3339Nano), true
	case KindEnum:
		ev := fd.Enum().Values().ByNumber(v.Enum())
		if ev == nil {
			return strconv.Itoa(int(v.Enum())), true
		}
		return string(ev.Name()), true
	case KindInteger:
		return v.Int(), true
	case KindCount, KindVolume, KindPercent:
		return v.Float(), true
	}
	return v.String(), true
}

// FormatValue writes a Row value as text: numbers in the shortest form
// that reads back exactly (1.1e+09).
func FormatValue(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
