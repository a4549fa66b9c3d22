package hml

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Namespace is the XML namespace of every HML 1.0.x element.
const Namespace = "http://schemas.nmdp.org/spec/hml/1.0.1"

// The schema below is the HML 1.0.1 XSD's content model, element by
// element. Not checked: xs:anyURI syntax beyond minimum lengths (URIs are
// never fetched), and the free-form children of property (xs:any), which
// are skipped whole.

// check validates an attribute value; it returns "" or what is wrong.
type check func(string) string

// attr is one declared attribute.
type attr struct {
	required bool
	check    check // nil: any string
}

// child is one particle of an element's sequence.
type child struct {
	name     string
	min, max int // max < 0: unbounded
}

// model is an element's declaration.
type model struct {
	attrs   map[string]attr
	anyAttr bool // xs:anyAttribute: undeclared attributes allowed
	// seq is the xs:sequence of children, in order. With choice set, the
	// sequence repeats without bound (maxOccurs="unbounded" on a sequence
	// of optional particles), so its children come in any order.
	seq    []child
	choice bool
	// oneOf: at least one of these children is required (stated by the
	// XSD's documentation where its particles cannot say it).
	oneOf []string
	// text: the element has simple content, checked by textCheck (nil: any
	// string); otherwise only whitespace may appear between children.
	text      bool
	textCheck check
	// skip: xs:any content, not validated.
	skip bool
	// attrNames are the keys of attrs, sorted: problems come in a stable
	// order.
	attrNames []string
}

func init() {
	for _, m := range schema {
		for name := range m.attrs {
			m.attrNames = append(m.attrNames, name)
		}
		sort.Strings(m.attrNames)
	}
}

const unbounded = -1

func opt(c check) attr { return attr{check: c} }
func req(c check) attr { return attr{required: true, check: c} }

var (
	versionRE = regexp.MustCompile(`^(1\.0\.[0-9]|1\.0)$`)
	rootRE    = regexp.MustCompile(`^[0-9.]+$`)
	typeRE    = regexp.MustCompile(`^(\s*|[0-9A-Z:\-*]{2,40})$`)
	iupacRE   = regexp.MustCompile(`^[\sACGTUMRWSYKVHDBXNacgtumrwsykvhdbxn]+$`)
	simpleRE  = regexp.MustCompile(`^[\sACGTUacgtu]+$`)
	ncNameRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]*$`)
	dateRE    = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?$`)
)

func nonEmpty(s string) string {
	if s == "" {
		return "must not be empty"
	}
	return ""
}

func minLen(n int) check {
	return func(s string) string {
		if len(s) < n {
			return fmt.Sprintf("must be at least %d characters", n)
		}
		return ""
	}
}

func pattern(re *regexp.Regexp, what string) check {
	return func(s string) string {
		if !re.MatchString(s) {
			return "is not " + what
		}
		return ""
	}
}

func oneOfValues(vals ...string) check {
	return func(s string) string {
		for _, v := range vals {
			if s == v {
				return ""
			}
		}
		return "is not one of " + strings.Join(vals, ", ")
	}
}

// xsDate accepts an xs:date: YYYY-MM-DD with an optional time zone, a real
// calendar day.
func xsDate(s string) string {
	m := dateRE.FindStringSubmatch(s)
	if m == nil {
		return "is not a date (YYYY-MM-DD)"
	}
	if _, err := time.Parse("2006-01-02", m[1]+"-"+m[2]+"-"+m[3]); err != nil {
		return "is not a calendar date"
	}
	return ""
}

func xsBoolean(s string) string {
	return oneOfValues("true", "false", "1", "0")(strings.TrimSpace(s))
}

// position is HML's position-type: a non-negative xs:long.
func position(s string) string {
	if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err != nil || n < 0 {
		return "is not a position (a whole number from 0)"
	}
	return ""
}

func nonNegativeInt(s string) string {
	if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32); err != nil || n < 0 {
		return "is not a whole number from 0"
	}
	return ""
}

// quality is HML's quality: an xs:double from 0.
func quality(s string) string {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || f < 0 {
		return "is not a quality score (a number from 0)"
	}
	return ""
}

var strand = oneOfValues("-1", "1", "+", "-")

var testAttrs = map[string]attr{"locus": opt(nonEmpty), "test-id": opt(nonEmpty), "test-id-source": opt(nonEmpty)}

// schema maps each HML element (local name, in Namespace) to its model.
var schema = map[string]*model{
	"hml": {
		attrs: map[string]attr{"version": req(pattern(versionRE, "an HML 1.0 version (1.0 or 1.0.N)")), "project-name": opt(nonEmpty)},
		seq: []child{{"property", 0, unbounded}, {"hmlid", 0, 1}, {"reporting-center", 0, 1},
			{"sample", 1, unbounded}, {"typing-test-names", 0, unbounded}},
	},
	"property": {attrs: map[string]attr{"name": req(nonEmpty), "value": opt(nil)}, skip: true},
	"hmlid": {attrs: map[string]attr{"root": req(pattern(rootRE, "digits and dots (an OID)")),
		"extension": opt(nonEmpty)}},
	"reporting-center": {attrs: map[string]attr{"reporting-center-id": req(nonEmpty), "reporting-center-context": opt(nonEmpty)}},
	"typing-test-names": {attrs: map[string]attr{"test-id": req(nonEmpty)},
		seq: []child{{"typing-test-name", 1, unbounded}}},
	"typing-test-name": {attrs: map[string]attr{"name": req(nonEmpty)}},
	"sample": {
		attrs: map[string]attr{"id": req(nonEmpty), "center-code": opt(nonEmpty)},
		seq:   []child{{"property", 0, unbounded}, {"collection-method", 0, 1}, {"typing", 1, unbounded}},
	},
	"collection-method": {text: true},
	"typing": {
		attrs: map[string]attr{"gene-family": req(nonEmpty), "date": req(xsDate)},
		seq: []child{{"property", 0, unbounded}, {"allele-assignment", 0, unbounded}, {"typing-method", 1, 1},
			{"consensus-sequence", 0, unbounded}},
	},
	"allele-assignment": {
		attrs:  map[string]attr{"date": req(xsDate), "allele-db": opt(nonEmpty), "allele-version": opt(nonEmpty)},
		seq:    []child{{"property", 0, unbounded}, {"haploid", 0, unbounded}, {"genotype-list", 0, unbounded}, {"glstring", 0, unbounded}},
		choice: true,
		oneOf:  []string{"haploid", "genotype-list", "glstring"},
	},
	"haploid": {attrs: map[string]attr{"locus": req(nonEmpty), "method": req(oneOfValues("DNA", "SER")),
		"type": req(pattern(typeRE, "an allele or code (2-40 of 0-9 A-Z : - *)"))}},
	"glstring":            {attrs: map[string]attr{"uri": opt(minLen(5))}, text: true},
	"genotype-list":       {seq: []child{{"diploid-combination", 1, unbounded}}},
	"diploid-combination": {seq: []child{{"locus-block", 1, 2}}},
	"locus-block":         {seq: []child{{"allele-list", 1, unbounded}}},
	"allele-list":         {seq: []child{{"allele", 1, unbounded}}},
	"allele":              {attrs: map[string]attr{"present": opt(oneOfValues("N", "U", "Y"))}, text: true},
	"typing-method": {
		seq:    []child{{"sso", 0, 1}, {"ssp", 0, 1}, {"sbt-sanger", 0, unbounded}, {"sbt-ngs", 0, unbounded}},
		choice: true,
		oneOf:  []string{"sso", "ssp", "sbt-sanger", "sbt-ngs"},
	},
	"sso": {attrs: map[string]attr{"locus": opt(nil), "test-id": opt(nonEmpty), "test-id-source": opt(nil), "scores": req(nil)},
		seq: []child{{"property", 0, unbounded}}},
	"ssp": {attrs: map[string]attr{"locus": opt(nil), "test-id": opt(nonEmpty), "test-id-source": opt(nil), "scores": req(nil)},
		seq: []child{{"property", 0, unbounded}}},
	"sbt-sanger": {attrs: testAttrs,
		seq: []child{{"property", 0, unbounded}, {"amplification", 1, 1}, {"sub-amplification", 0, unbounded}, {"gssp", 0, unbounded}}},
	"amplification":     {attrs: map[string]attr{"registered-name": req(nonEmpty)}, text: true, textCheck: pattern(iupacRE, "IUPAC nucleotides")},
	"sub-amplification": {attrs: map[string]attr{"registered-name": req(nonEmpty)}, text: true, textCheck: pattern(iupacRE, "IUPAC nucleotides")},
	"gssp": {attrs: map[string]attr{"registered-name": opt(nonEmpty), "primer-sequence": opt(nonEmpty), "primer-target": opt(nonEmpty)},
		text: true, textCheck: pattern(iupacRE, "IUPAC nucleotides")},
	"sbt-ngs": {attrs: testAttrs, seq: []child{{"property", 0, unbounded}, {"raw-reads", 0, unbounded}}},
	"raw-reads": {attrs: map[string]attr{"uri": req(minLen(5)), "format": req(nonEmpty), "paired": req(xsBoolean),
		"pooled": req(xsBoolean), "availability": opt(oneOfValues("public", "private", "permission")),
		"adapter-trimmed": req(xsBoolean), "quality-trimmed": req(xsBoolean)}},
	"consensus-sequence": {attrs: map[string]attr{"date": req(xsDate)},
		seq: []child{{"reference-database", 1, unbounded}, {"consensus-sequence-block", 1, unbounded}}},
	"reference-database": {
		attrs: map[string]attr{"name": opt(nonEmpty), "description": opt(nonEmpty), "version": opt(nonEmpty),
			"availability": req(oneOfValues("public", "private", "none", "PUBLIC", "PRIVATE", "NONE")),
			"curated":      opt(xsBoolean), "uri": opt(nil)},
		seq: []child{{"reference-sequence", 1, unbounded}},
	},
	"reference-sequence": {attrs: map[string]attr{"id": req(pattern(ncNameRE, "an XML ID (a letter or _ first)")),
		"name": opt(nonEmpty), "description": opt(nonEmpty), "start": opt(position), "end": opt(position),
		"accession": opt(nonEmpty), "strand": opt(strand), "uri": opt(nil)}},
	"consensus-sequence-block": {
		attrs: map[string]attr{"reference-sequence-id": req(pattern(ncNameRE, "an XML ID reference")),
			"start": opt(position), "end": opt(position), "strand": opt(strand), "phasing-group": opt(nil),
			"phase-set": opt(nil), "continuity": opt(xsBoolean), "expected-copy-number": opt(nonNegativeInt),
			"description": opt(nonEmpty)},
		anyAttr: true,
		seq:     []child{{"sequence", 1, 1}, {"variant", 0, unbounded}, {"sequence-quality", 0, unbounded}},
	},
	"sequence": {anyAttr: true, text: true, textCheck: pattern(iupacRE, "IUPAC nucleotides")},
	"variant": {
		attrs: map[string]attr{"id": opt(nonEmpty), "name": opt(nonEmpty), "start": req(position), "end": req(position),
			"reference-bases": req(pattern(simpleRE, "nucleotides (A, C, G, T, U)")),
			"alternate-bases": req(pattern(simpleRE, "nucleotides (A, C, G, T, U)")),
			"quality-score":   opt(quality), "filter": opt(oneOfValues("PASS", "FAIL", "pass", "fail")), "uri": opt(nil)},
		anyAttr: true,
		seq:     []child{{"variant-effect", 0, unbounded}},
	},
	"variant-effect": {attrs: map[string]attr{"term": req(nonEmpty), "hgvs": opt(nonEmpty), "uri": opt(nil)}, anyAttr: true},
	"sequence-quality": {attrs: map[string]attr{"sequence-start": req(position), "sequence-end": req(position),
		"quality-score": req(quality)}},
}
