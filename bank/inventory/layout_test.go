package inventory_test

import (
	"testing"

	"github.com/cordbank/cordbank/bank/inventory"
)

func grid(r, c int) inventory.Layout {
	return inventory.Layout{Kind: inventory.LayoutGrid, Rows: r, Columns: c}
}
func slots(n int) inventory.Layout { return inventory.Layout{Kind: inventory.LayoutSlots, Slots: n} }

func TestOrdinal(t *testing.T) {
	for _, tc := range []struct {
		layout    inventory.Layout
		name      string
		ord       int
		canonical string
		ok        bool
	}{
		{grid(8, 12), "A1", 1, "A1", true},
		{grid(8, 12), "a12", 12, "A12", true},
		{grid(8, 12), " B1 ", 13, "B1", true},
		{grid(8, 12), "H12", 96, "H12", true},
		{grid(8, 12), "2,3", 15, "B3", true},
		{grid(8, 12), "2 , 3", 15, "B3", true},
		{grid(50, 50), "AX50", 2500, "AX50", true},
		{grid(50, 50), "27,1", 1301, "AA1", true},
		{grid(8, 12), "I1", 0, "", false},  // row 9 of 8
		{grid(8, 12), "A13", 0, "", false}, // column 13 of 12
		{grid(8, 12), "A0", 0, "", false},
		{grid(8, 12), "0,1", 0, "", false},
		{grid(8, 12), "", 0, "", false},
		{grid(8, 12), "1", 0, "", false},
		{grid(8, 12), "AAA1", 0, "", false},
		{slots(10), "1", 1, "1", true},
		{slots(10), " 10", 10, "10", true},
		{slots(10), "11", 0, "", false},
		{slots(10), "0", 0, "", false},
		{slots(10), "A1", 0, "", false},
		{inventory.Layout{Kind: inventory.LayoutNone}, "1", 0, "", false},
	} {
		ord, canonical, ok := tc.layout.Ordinal(tc.name)
		if ord != tc.ord || canonical != tc.canonical || ok != tc.ok {
			t.Errorf("%+v.Ordinal(%q) = %d, %q, %v; want %d, %q, %v", tc.layout, tc.name, ord, canonical, ok, tc.ord, tc.canonical, tc.ok)
		}
	}
}

// Every position a layout names reads back as itself, in order.
func TestPositionRoundTrip(t *testing.T) {
	for _, l := range []inventory.Layout{grid(1, 1), grid(8, 12), grid(50, 50), grid(27, 3), slots(1), slots(100)} {
		for n := 1; n <= l.Size(); n++ {
			name := l.Position(n)
			ord, canonical, ok := l.Ordinal(name)
			if !ok || ord != n || canonical != name {
				t.Fatalf("%+v: Position(%d) = %q, which reads back as %d, %q, %v", l, n, name, ord, canonical, ok)
			}
		}
		for _, n := range []int{0, -1, l.Size() + 1} {
			if got := l.Position(n); got != "" {
				t.Errorf("%+v.Position(%d) = %q, want \"\"", l, n, got)
			}
		}
	}
}

// FuzzOrdinal: whatever the name, Ordinal never panics, and what it
// accepts is a position of the layout whose canonical name reads back the
// same.
func FuzzOrdinal(f *testing.F) {
	for _, s := range []string{"A1", "h12", "3,4", " 7 ", "AX50", "ZZ999", "1,", ",1", "999,999", "\u00e91"} {
		f.Add(s, 8, 12, 0)
		f.Add(s, 0, 0, 40)
	}
	f.Fuzz(func(t *testing.T, name string, rows, cols, n int) {
		// Only layouts that validation lets in: sides 1..MaxGridSide,
		// 1..MaxSlots slots.
		l := slots(1 + abs(n)%inventory.MaxSlots)
		if n == 0 {
			l = grid(1+abs(rows)%inventory.MaxGridSide, 1+abs(cols)%inventory.MaxGridSide)
		}
		ord, canonical, ok := l.Ordinal(name)
		if !ok {
			return
		}
		if ord < 1 || ord > l.Size() || l.Position(ord) != canonical {
			t.Fatalf("%+v.Ordinal(%q) = %d, %q: Position(%d) = %q", l, name, ord, canonical, ord, l.Position(ord))
		}
		if again, c2, ok := l.Ordinal(canonical); !ok || again != ord || c2 != canonical {
			t.Fatalf("%+v: canonical %q of %q reads back as %d, %q, %v", l, canonical, name, again, c2, ok)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -(n + 1) // no overflow at math.MinInt
	}
	return n
}
