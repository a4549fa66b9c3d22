package hml

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
)

// manySamples is the fixture report with its sample repeated n times
// under distinct DINs: the size of a laboratory's batch.
func manySamples(b *testing.B, n int) []byte {
	doc := string(readFixture(b, "report.hml"))
	start, end := strings.Index(doc, "  <sample "), strings.Index(doc, "</hml>")
	sample := doc[start:end]
	var out strings.Builder
	out.WriteString(doc[:start])
	for i := range n {
		out.WriteString(strings.Replace(sample, "G1234 98 654321 H", fmt.Sprintf("G12349%07d", i), 1))
	}
	out.WriteString("</hml>\n")
	return []byte(out.String())
}

// BenchmarkParseHML reads a 1,000-sample report: the schema check and
// the typings (Parse, HLACalls), against tokenizing the same bytes with
// encoding/xml and nothing else, the floor any XML reader pays. Compare
// the two in one run: make bench BENCH=ParseHML BENCHTIME=20x.
func BenchmarkParseHML(b *testing.B) {
	doc := manySamples(b, 1000)
	b.Run("tokenize-only", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			d := xml.NewDecoder(bytes.NewReader(doc))
			for {
				if _, err := d.Token(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("parse-and-calls", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			rep, err := Parse(doc)
			if err != nil {
				b.Fatal(err)
			}
			for _, s := range rep.Samples {
				if _, probs := HLACalls(s); len(probs) > 0 {
					b.Fatal(probs)
				}
			}
		}
	})
}
