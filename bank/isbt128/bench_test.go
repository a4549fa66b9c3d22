package isbt128_test

import (
	"testing"

	"github.com/cordbank/cordbank/bank/isbt128"
	"github.com/cordbank/cordbank/bank/unit"
)

// BenchmarkParse: reading scans, against unit.ParseDIN of the same DIN
// (the baseline: what GetUnit already does with a name).
func BenchmarkParse(b *testing.B) {
	b.Run("baseline-ParseDIN", func(b *testing.B) {
		for b.Loop() {
			if _, err := unit.ParseDIN("=G12349865432177"); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, tc := range []struct{ name, scan string }{
		{"din", "=G12349865432177"},
		{"bag-linear-4", "=G12349865432177=<S12954A0=%5100&>0183652359"},
		{"compound-6", "=+06000=G12349865432177=<S12954A0=%5100&>0183652359=*024032&*0240321430"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := isbt128.Parse(tc.scan); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
