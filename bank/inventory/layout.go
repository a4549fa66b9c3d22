package inventory

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// LayoutKind says how a container's places are addressed.
type LayoutKind string

// Layout kinds; wire enum cordbank.v1.LayoutKind.
const (
	// LayoutGrid: Rows × Columns positions named "A1" .. (see Layout.Position).
	LayoutGrid LayoutKind = "GRID"
	// LayoutSlots: Slots positions named "1" .. "N".
	LayoutSlots LayoutKind = "SLOTS"
	// LayoutNone: no positions (a bag, a bin); Capacity bounds the number
	// of things in it, 0 means no bound.
	LayoutNone LayoutKind = "NONE"
)

// Grid and slot bounds.
const (
	MaxGridSide = 50
	MaxSlots    = 10000
)

// Layout is the shape of a container: where things go in it.
type Layout struct {
	Kind     LayoutKind `json:"kind,omitempty"`
	Rows     int        `json:"rows,omitempty"`
	Columns  int        `json:"columns,omitempty"`
	Slots    int        `json:"slots,omitempty"`
	Capacity int        `json:"capacity,omitempty"`
}

// Size is the number of positions (GRID, SLOTS), or the capacity of a NONE
// layout (0 = unbounded).
func (l Layout) Size() int {
	switch l.Kind {
	case LayoutGrid:
		return l.Rows * l.Columns
	case LayoutSlots:
		return l.Slots
	}
	return l.Capacity
}

// HasPositions reports whether things in the container sit at named
// positions.
func (l Layout) HasPositions() bool { return l.Kind == LayoutGrid || l.Kind == LayoutSlots }

func (l Layout) validate(v Violations, prefix string) {
	side := func(f string, n int) {
		if n < 1 || n > MaxGridSide {
			v.Add(prefix+f, "%d is outside 1..%d", n, MaxGridSide)
		}
	}
	zero := func(f string, n int) {
		if n != 0 {
			v.Add(prefix+f, "only for a %s layout", map[string]LayoutKind{"rows": LayoutGrid, "columns": LayoutGrid, "slots": LayoutSlots, "capacity": LayoutNone}[f])
		}
	}
	switch l.Kind {
	case LayoutGrid:
		side("rows", l.Rows)
		side("columns", l.Columns)
		zero("slots", l.Slots)
		zero("capacity", l.Capacity)
	case LayoutSlots:
		if l.Slots < 1 || l.Slots > MaxSlots {
			v.Add(prefix+"slots", "%d is outside 1..%d", l.Slots, MaxSlots)
		}
		zero("rows", l.Rows)
		zero("columns", l.Columns)
		zero("capacity", l.Capacity)
	case LayoutNone:
		if l.Capacity < 0 {
			v.Add(prefix+"capacity", "%d is negative: give 0 for no bound", l.Capacity)
		}
		zero("rows", l.Rows)
		zero("columns", l.Columns)
		zero("slots", l.Slots)
	case "":
		v.Add(prefix+"kind", "required: GRID, SLOTS or NONE")
	default:
		v.Add(prefix+"kind", "unknown layout %q", l.Kind)
	}
}

// Position naming. Grid positions are a row in letters and a column in
// digits, like a microplate: "A1" .. "H12". Rows past Z continue as
// spreadsheet columns do: AA, AB, .. AX (row 50). "r,c" (1-based, e.g.
// "3,12") is accepted as input too; names are always returned in letter
// form. Slot positions are "1" .. "N". Lower case and surrounding spaces
// are accepted.

// rowName names grid row r (1-based): 1 -> A, 26 -> Z, 27 -> AA.
func rowName(r int) string {
	var b []byte
	for r > 0 {
		r--
		b = append([]byte{byte('A' + r%26)}, b...)
		r /= 26
	}
	return string(b)
}

var gridPattern = regexp.MustCompile(`^([A-Z]{1,2})([0-9]{1,3})$`)
var pairPattern = regexp.MustCompile(`^([0-9]{1,3})\s*,\s*([0-9]{1,3})$`)

// Ordinal returns the 1-based index of position name in the layout (grid
// positions row-major) and its canonical name. ok is false when the name
// does not parse or lies outside the layout, and for NONE layouts.
func (l Layout) Ordinal(name string) (ord int, canonical string, ok bool) {
	s := strings.ToUpper(strings.TrimSpace(name))
	switch l.Kind {
	case LayoutGrid:
		var r, c int
		if m := gridPattern.FindStringSubmatch(s); m != nil {
			for _, ch := range m[1] {
				r = r*26 + int(ch-'A'+1)
			}
			c, _ = strconv.Atoi(m[2])
		} else if m := pairPattern.FindStringSubmatch(s); m != nil {
			r, _ = strconv.Atoi(m[1])
			c, _ = strconv.Atoi(m[2])
		} else {
			return 0, "", false
		}
		if r < 1 || r > l.Rows || c < 1 || c > l.Columns {
			return 0, "", false
		}
		return (r-1)*l.Columns + c, rowName(r) + strconv.Itoa(c), true
	case LayoutSlots:
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > l.Slots {
			return 0, "", false
		}
		return n, strconv.Itoa(n), true
	}
	return 0, "", false
}

// Position returns the canonical name of the position with 1-based
// ordinal ord ("" when out of range).
func (l Layout) Position(ord int) string {
	if ord < 1 || ord > l.Size() {
		return ""
	}
	switch l.Kind {
	case LayoutGrid:
		r, c := (ord-1)/l.Columns+1, (ord-1)%l.Columns+1
		return rowName(r) + strconv.Itoa(c)
	case LayoutSlots:
		return strconv.Itoa(ord)
	}
	return ""
}

// describe says how positions of l are named, for error messages.
func (l Layout) describe() string {
	switch l.Kind {
	case LayoutGrid:
		return fmt.Sprintf("a %d×%d grid: A1 .. %s%d (or \"row,column\")", l.Rows, l.Columns, rowName(l.Rows), l.Columns)
	case LayoutSlots:
		return fmt.Sprintf("%d slots: 1 .. %d", l.Slots, l.Slots)
	}
	return "no positions"
}
