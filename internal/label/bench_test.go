package label_test

import (
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/label"
)

// BenchmarkRender: one bag label in each format, against ZPL (the
// baseline: text only, the printer draws).
func BenchmarkRender(b *testing.B) {
	d, err := label.New(issue(bank.LabelBag, 1, 1, bank.UnitTypePublic), "S1234")
	if err != nil {
		b.Fatal(err)
	}
	png := func(d *label.Data) ([]byte, error) { p, _, err := label.PNG(d); return p, err }
	for _, f := range []struct {
		name   string
		render func(*label.Data) ([]byte, error)
	}{{"baseline-zpl", label.ZPL}, {"png", png}, {"pdf", label.PDF}} {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.render(d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
