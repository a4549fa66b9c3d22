package isbt128_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cordbank/cordbank/bank/isbt128"
)

// FuzzParse: any input gives a scan or an *Error whose offset lies within
// the input; a scan's structures lie, in order, inside the input and carry
// exactly what the input holds there.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"=G12349865432177=<S12954A0=%5100&>0183652359", "=+02000=G12349865432100=%5100",
		"&#0108AB12CD34", "&%00200400101010040020201", "&aXYZ =*024032", "]d2=+01000=G12349865432100", "&,4" + strings.Repeat("x", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := isbt128.Parse(in)
		if err != nil {
			var e *isbt128.Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %T is not an *isbt128.Error", in, err)
			}
			if e.Offset < 0 || e.Offset > len(in) || e.Problem == "" {
				t.Fatalf("Parse(%q) = %v: offset %d outside 0-%d", in, err, e.Offset, len(in))
			}
			return
		}
		end := 0
		for _, st := range s.Structures {
			if st.Offset < end || !strings.HasPrefix(in[st.Offset:], st.Identifier+st.Content) && !(st.Number == 1 && strings.HasPrefix(in[st.Offset:], "="+st.Content)) {
				t.Fatalf("Parse(%q): structure %+v is not in the input after offset %d", in, st, end)
			}
			end = st.Offset + len(st.Identifier) + len(st.Content)
			if st.Number == 1 && st.Donation == nil || st.Number == 2 && st.BloodGroup == nil || st.Number == 3 && st.Product == nil {
				t.Fatalf("Parse(%q): structure %d not decoded", in, st.Number)
			}
		}
	})
}
