package hml

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFixture(t *testing.T) {
	rep, err := Parse(readFixture(t, "report.hml"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Version != "1.0.1" || rep.ID != "2.16.840.1.113883.3.1470/cordbank-ct-0001" || rep.ReportingCenter != "567" || len(rep.Samples) != 1 {
		t.Fatalf("report %+v", rep)
	}
	s := rep.Samples[0]
	if s.ID != "G1234 98 654321 H" || s.Line != 12 || len(s.Typings) != 5 {
		t.Fatalf("sample %+v", s)
	}
	calls, probs := HLACalls(s)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	type lt struct{ Locus, Text, Release, Date, Methods string }
	var got []lt
	for _, c := range calls {
		got = append(got, lt{c.Locus, c.Text, c.Release, c.TypingDate, strings.Join(c.Methods, ",")})
	}
	want := []lt{
		{"A", "HLA-A*02:01:01:01+HLA-A*24:02:01:01", "3.24.0", "2026-10-20", "SBT-NGS"},
		{"B", "B*07:02:01+B*44:02:01:01", "3.24.0", "2026-10-20", "SBT-NGS"},
		{"C", "HLA-C*05:01:01:01+HLA-C*07:02:01:01", "3.24.0", "2026-10-20", "SBT-NGS"},
		{"DQB1", "HLA-DQB1*06:02:01+HLA-DQB1*03:02:01", "3.24.0", "2026-10-20", "SBT-NGS"},
		// The allele reported absent (present="N") is left out.
		{"DRB1", "HLA-DRB1*15:01:01:01+HLA-DRB1*04:01:01", "3.24.0", "2026-10-20", "SSO"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// schemaProblems parses doc and returns its problems as strings.
func schemaProblems(t *testing.T, doc string) []string {
	t.Helper()
	_, err := Parse([]byte(doc))
	var se *SchemaError
	if !errors.As(err, &se) {
		t.Fatalf("Parse: %v, want a *SchemaError", err)
	}
	var out []string
	for _, p := range se.Problems {
		out = append(out, p.String())
	}
	return out
}

const head = `<?xml version="1.0"?>
<hml xmlns="http://schemas.nmdp.org/spec/hml/1.0.1" version="1.0.1">
`

func sampleDoc(typing string) string {
	return head + `<sample id="G123498654321">
<typing gene-family="HLA" date="2026-11-20">
` + typing + `
</typing>
</sample>
</hml>`
}

const method = `<typing-method><sbt-ngs/></typing-method>`

func TestSchemaFailuresNameElementAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"not XML", "<hml", []string{"line 1: not well-formed XML: unexpected EOF"}},
		{"empty", "", []string{"line 1: no hml element: the document is empty"}},
		{"wrong namespace", `<hml xmlns="urn:other" version="1.0.1"/>`,
			[]string{`line 1: <hml>: namespace "urn:other" is not HML's (http://schemas.nmdp.org/spec/hml/1.0.1)`}},
		{"no version, no sample", `<hml xmlns="http://schemas.nmdp.org/spec/hml/1.0.1"></hml>`,
			[]string{`line 1: <hml>: attribute "version" is required`, `line 1: <hml>: <sample> is required`}},
		{"bad version", `<hml xmlns="http://schemas.nmdp.org/spec/hml/1.0.1" version="2.0"><sample id="x"/></hml>`,
			[]string{`line 1: <hml>: attribute version="2.0" is not an HML 1.0 version (1.0 or 1.0.N)`, `line 1: <sample>: <typing> is required`}},
		{"no typing-method", sampleDoc(`<allele-assignment date="2026-11-21"><glstring>A*01:01+A*02:01</glstring></allele-assignment>`),
			[]string{`line 4: <typing>: <typing-method> is required`}},
		{"bad haploid method and missing type", sampleDoc(`<allele-assignment date="2026-11-21">
<haploid locus="HLA-A" method="RNA"/>
</allele-assignment>` + method),
			[]string{`line 6: <haploid>: attribute method="RNA" is not one of DNA, SER`, `line 6: <haploid>: attribute "type" is required`}},
		{"assignment without a call", sampleDoc(`<allele-assignment date="2026-11-21"></allele-assignment>` + method),
			[]string{`line 5: <allele-assignment>: needs at least one of <haploid>, <genotype-list>, <glstring>`}},
		{"bad date", sampleDoc(`<allele-assignment date="2026-02-30"><glstring>A*01:01</glstring></allele-assignment>` + method),
			[]string{`line 5: <allele-assignment>: attribute date="2026-02-30" is not a calendar date`}},
		{"out of order", sampleDoc(method + `
<allele-assignment date="2026-11-21"><glstring>A*01:01</glstring></allele-assignment>`),
			[]string{`line 6: <allele-assignment>: out of order in <typing>: it must come before <typing-method>`}},
		{"unknown element", sampleDoc(`<allele-assignment date="2026-11-21"><glstring>A*01:01</glstring><note/></allele-assignment>` + method),
			[]string{`line 5: <note>: element is not allowed in <allele-assignment>`}},
		{"unknown attribute", sampleDoc(`<allele-assignment date="2026-11-21" lab="x"><glstring>A*01:01</glstring></allele-assignment>` + method),
			[]string{`line 5: <allele-assignment>: attribute "lab" is not allowed`}},
		{"empty typing-method and glstring", sampleDoc(`<allele-assignment date="2026-11-21"><glstring> </glstring></allele-assignment>
<typing-method/>`),
			[]string{`line 5: <glstring>: empty: a glstring holds a GL String (or a uri)`,
				`line 6: <typing-method>: needs at least one of <sso>, <ssp>, <sbt-sanger>, <sbt-ngs>`}},
		{"text in a complex element", sampleDoc(`hello` + method), []string{`line 5: <typing>: text is not allowed here, only child elements`}},
		{"dangling reference", sampleDoc(method + `
<consensus-sequence date="2026-11-20">
<reference-database availability="public"><reference-sequence id="ref1"/></reference-database>
<consensus-sequence-block reference-sequence-id="ref2"><sequence>ACGTZ</sequence></consensus-sequence-block>
</consensus-sequence>`),
			[]string{`line 8: <sequence>: content is not IUPAC nucleotides`,
				`line 8: <consensus-sequence-block>: reference-sequence-id "ref2" names no reference-sequence in the document`}},
		{"doctype", `<!DOCTYPE hml [<!ENTITY x "y">]>` + "\n" + sampleDoc(method),
			[]string{`line 1: a DOCTYPE or other declaration is not allowed in HML`}},
		{"too many", `<hml xmlns="http://schemas.nmdp.org/spec/hml/1.0.1" version="1.0.1"><sample id="x"><typing gene-family="HLA" date="2026-11-20">` +
			`<typing-method><sso/><ssp/></typing-method></typing></sample></hml>`,
			[]string{`line 1: <sso>: attribute "scores" is required`, `line 1: <ssp>: attribute "scores" is required`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, schemaProblems(t, tc.doc)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProblemsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(head)
	for range 200 {
		b.WriteString(`<sample id="x"/>` + "\n")
	}
	b.WriteString("</hml>")
	if got := schemaProblems(t, b.String()); len(got) != MaxProblems {
		t.Fatalf("%d problems, want %d", len(got), MaxProblems)
	}
}

func TestCallsProblems(t *testing.T) {
	rep, err := Parse([]byte(head + `<sample id="x">
<typing gene-family="HLA" date="2026-11-20">
<allele-assignment date="2026-11-21" allele-db="IMGT/HLA" allele-version="3.24.0">
<glstring>HLA-A*01:01+HLA-A*02:01</glstring>
<glstring uri="http://example.org/gl/1"/>
<haploid locus="HLA-A" method="DNA" type="03:01"/>
<haploid locus="HLA-DRB1" method="SER" type="04"/>
<haploid locus="HLA-DRB1" method="SER" type="15"/>
<haploid locus="HLA-DPA1" method="SER" type="01"/>
<glstring>01:01+02:01</glstring>
</allele-assignment>
` + method + `
</typing>
</sample>
</hml>`))
	if err != nil {
		t.Fatal(err)
	}
	calls, probs := HLACalls(rep.Samples[0])
	var got []string
	for _, p := range probs {
		got = append(got, p.String())
	}
	want := []string{
		`line 7: <glstring>: a GL String given only by uri is not fetched: send it inline`,
		`line 12: <glstring>: "01:01" is not an HLA allele name (LOCUS*FIELDS)`,
		`line 11: <haploid>: no serological antigens are named for locus HLA-DPA1`,
		`line 8: <haploid>: locus A is typed again (first on line 6): one typing per locus and sample`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if len(calls) != 2 || calls[1].Locus != "DRB1" || calls[1].Text != "DR4+DR15" {
		t.Errorf("calls %+v", calls)
	}
}

func FuzzParseHML(f *testing.F) {
	f.Add(readFixture(f, "report.hml"))
	f.Add(readFixture(f, "discrepant.hml"))
	f.Add([]byte(sampleDoc(method)))
	f.Add([]byte(`<hml xmlns="http://schemas.nmdp.org/spec/hml/1.0.1" version="1.0"><sample id="a"><typing gene-family="HLA" date="2020-01-01Z"><allele-assignment date="2020-01-01"><genotype-list><diploid-combination><locus-block><allele-list><allele>A*01:01</allele></allele-list></locus-block></diploid-combination></genotype-list></allele-assignment><typing-method><sbt-sanger><amplification registered-name="x">ACGT</amplification></sbt-sanger></typing-method></typing></sample></hml>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		rep, err := Parse(doc)
		if err != nil {
			var se *SchemaError
			if !errors.As(err, &se) || len(se.Problems) == 0 || len(se.Problems) > MaxProblems {
				t.Fatalf("error %v is not a bounded *SchemaError", err)
			}
			for _, p := range se.Problems {
				if p.Line < 1 {
					t.Fatalf("problem without a line: %+v", p)
				}
			}
			return
		}
		if len(rep.Samples) == 0 {
			t.Fatal("a valid report without samples")
		}
		for _, s := range rep.Samples {
			if s.ID == "" || len(s.Typings) == 0 {
				t.Fatalf("sample %+v passed the schema", s)
			}
			calls, _ := HLACalls(s)
			for _, c := range calls {
				if c.Locus == "" || c.Text == "" {
					t.Fatalf("empty call %+v", c)
				}
			}
		}
	})
}

// TestNGSReportShape: the shape NMDP's gateway writes for NGS typing (one
// typing per locus with its consensus sequences, as in pyHML's sample
// files) passes the schema; the sequences are not read.
func TestNGSReportShape(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8" standalone="no"?><hml xmlns="http://schemas.nmdp.org/spec/hml/1.0.1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" project-name="ABDR" version="1.0.1" xsi:schemaLocation="http://schemas.nmdp.org/spec/hml/1.0.1 http://schemas.nmdp.org/spec/hml/1.0.1/hml-1.0.1.xsd">
  <property name="GeneratedBy" value="test"/><property name="SampleCount" value="1"/><hmlid extension="1-2026-10-21" root="744"/>
  <reporting-center reporting-center-id="744"/>
  <sample center-code="001" id="G123498654321">
    <collection-method>Buccal Swab</collection-method>
    <typing date="2026-10-21" gene-family="HLA">
      <allele-assignment allele-db="IMGT/HLA" allele-version="3.24.0" date="2026-10-21">
        <glstring>HLA-B*07:02:01+HLA-B*44:02:01:01</glstring>
      </allele-assignment>
      <typing-method>
        <sbt-ngs locus="HLA-B" test-id="NGS-1" test-id-source="Lab"><raw-reads uri="https://example.org/reads/1" format="fastq" paired="true" pooled="false" adapter-trimmed="true" quality-trimmed="0"/></sbt-ngs>
      </typing-method>
      <consensus-sequence date="2026-10-21">
        <reference-database availability="public" name="IMGT/HLA" version="3.24.0">
          <reference-sequence id="ref1" name="HLA-B*07:02:01"/>
        </reference-database>
        <reference-database availability="public" name="IMGT/HLA" version="3.24.0">
          <reference-sequence id="ref2" name="HLA-B*44:02:01:01" start="0" end="12" strand="+"/>
        </reference-database>
        <consensus-sequence-block continuity="true" phase-set="1" reference-sequence-id="ref1" custom="kept">
          <sequence>CACCCACCCGGA</sequence>
          <variant start="3" end="4" reference-bases="C" alternate-bases="T" filter="PASS"><variant-effect term="synonymous_variant"/></variant>
          <sequence-quality sequence-start="0" sequence-end="12" quality-score="38.5"/>
        </consensus-sequence-block>
        <consensus-sequence-block continuity="true" phase-set="2" reference-sequence-id="ref2">
          <sequence>CACCCACCCGGA</sequence>
        </consensus-sequence-block>
      </consensus-sequence>
    </typing>
  </sample>
</hml>`
	rep, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	calls, probs := HLACalls(rep.Samples[0])
	if len(probs) > 0 || len(calls) != 1 || calls[0].Locus != "B" || rep.ID != "744/1-2026-10-21" {
		t.Fatalf("calls %+v, problems %v, report %+v", calls, probs, rep)
	}
}
