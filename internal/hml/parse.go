package hml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// Report is what an HML document says, as far as cordbank reads it.
type Report struct {
	Version     string // the hml version attribute: "1.0.1"
	ProjectName string
	// ID is the document's hmlid, "root/extension" ("" when absent).
	ID string
	// ReportingCenter is the sender's reporting-center-id ("" when absent).
	ReportingCenter string
	Samples         []Sample
}

// Sample is one sample element.
type Sample struct {
	ID         string // the id attribute, verbatim
	CenterCode string
	Line       int
	Typings    []Typing
}

// Typing is one typing element.
type Typing struct {
	GeneFamily string // "HLA", "KIR", ...
	Date       string // the typing date, YYYY-MM-DD (time zone dropped)
	Line       int
	// Methods are the typing methods used: "SSO", "SSP", "SBT-Sanger",
	// "SBT-NGS", each once, in document order.
	Methods     []string
	Assignments []Assignment
}

// Assignment is one allele-assignment (interpretation).
type Assignment struct {
	Date          string // YYYY-MM-DD
	AlleleDB      string // "IMGT/HLA", "IMGT-HLADB" ...
	AlleleVersion string // the release: "3.24.0"
	Line          int
	Haploids      []Haploid
	GLStrings     []GLString
	GenotypeLists []GenotypeList
}

// Haploid is one haploid element: half of a typing at one locus.
type Haploid struct {
	Locus, Method, Type string
	Line                int
}

// GLString is one glstring element.
type GLString struct {
	Text string // the GL String, whitespace removed
	URI  string
	Line int
}

// GenotypeList is one (deprecated) genotype-list: its diploid
// combinations, each one or two locus blocks (chromosomes), each a list of
// allele lists, each the alleles present.
type GenotypeList struct {
	Line         int
	Combinations [][][][]string
}

// Problem is one way a document fails the schema: the element (its local
// name) and the line it starts on.
type Problem struct {
	Line    int
	Element string
	Message string
}

func (p Problem) String() string {
	if p.Element == "" {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return fmt.Sprintf("line %d: <%s>: %s", p.Line, p.Element, p.Message)
}

// SchemaError is a document that is not well-formed XML or fails the HML
// schema: every problem found, in document order (at most MaxProblems).
type SchemaError struct {
	Problems []Problem
}

func (e *SchemaError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.String()
	}
	return "not a valid HML 1.0 report: " + strings.Join(msgs, "; ")
}

// MaxProblems bounds the problems one SchemaError lists: a report broken
// throughout would otherwise answer with one line per element.
const MaxProblems = 50

// frame is one open element.
type frame struct {
	name  string
	line  int
	model *model
	pos   int   // sequence position reached
	count []int // occurrences per sequence particle
	attrs map[string]string
	text  strings.Builder
}

type parser struct {
	dec      *xml.Decoder
	problems []Problem
	stack    []*frame
	ids      map[string]int // reference-sequence id -> line
	refs     []Problem      // IDREFs to resolve at the end (Element, Line; Message holds the id)
	rep      Report
	// the element being built, by level
	sample *Sample
	typing *Typing
	assign *Assignment
	glist  *GenotypeList
}

// Parse reads one HML document, checks it against the HML 1.0.x schema and
// returns what it reports. A document that is not well-formed or fails the
// schema gives a *SchemaError naming each problem's element and line, and
// no Report.
func Parse(doc []byte) (*Report, error) {
	p := &parser{dec: xml.NewDecoder(bytes.NewReader(doc)), ids: map[string]int{}}
	p.dec.Strict = true
	root := false
	for len(p.problems) < MaxProblems {
		line, _ := p.dec.InputPos()
		tok, err := p.dec.Token()
		if err == io.EOF {
			if !root {
				p.add(line, "", "no hml element: the document is empty")
			}
			break
		}
		if err != nil {
			p.syntax(err, line)
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(p.stack) == 0 {
				if root {
					p.add(line, t.Name.Local, "a second root element after hml")
					return nil, p.err()
				}
				root = true
			}
			p.start(t, line)
		case xml.EndElement:
			p.end(line)
		case xml.CharData:
			if n := len(p.stack); n > 0 {
				f := p.stack[n-1]
				if f.model != nil && f.model.text {
					f.text.Write(t)
				} else if f.model != nil && !f.model.skip && len(bytes.TrimSpace(t)) > 0 {
					lead := len(t) - len(bytes.TrimLeft(t, " \t\r\n"))
					p.add(line+bytes.Count(t[:lead], []byte("\n")), f.name, "text is not allowed here, only child elements")
				}
			} else if len(bytes.TrimSpace(t)) > 0 {
				p.add(line, "", "text outside the hml element")
			}
		case xml.Directive:
			p.add(line, "", "a DOCTYPE or other declaration is not allowed in HML")
		}
	}
	for _, r := range p.refs {
		if _, ok := p.ids[r.Message]; !ok {
			p.add(r.Line, r.Element, fmt.Sprintf("reference-sequence-id %q names no reference-sequence in the document", r.Message))
		}
	}
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	return &p.rep, nil
}

func (p *parser) err() error {
	sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].Line < p.problems[j].Line })
	if len(p.problems) > MaxProblems {
		p.problems = p.problems[:MaxProblems]
	}
	return &SchemaError{Problems: p.problems}
}

func (p *parser) add(line int, element, msg string) {
	p.problems = append(p.problems, Problem{Line: line, Element: element, Message: msg})
}

// syntax records a well-formedness error with its own line when it has one.
func (p *parser) syntax(err error, line int) {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		line = se.Line
		p.add(line, "", "not well-formed XML: "+se.Msg)
		return
	}
	p.add(line, "", "not well-formed XML: "+err.Error())
}

func (p *parser) start(t xml.StartElement, line int) {
	var parent *frame
	if n := len(p.stack); n > 0 {
		parent = p.stack[n-1]
	}
	f := &frame{name: t.Name.Local, line: line}
	p.stack = append(p.stack, f)
	if parent != nil && (parent.model == nil || parent.model.skip) {
		return // inside xs:any content or an element already refused
	}
	if t.Name.Space != Namespace {
		if parent == nil && t.Name.Local == "hml" {
			p.add(line, "hml", fmt.Sprintf("namespace %q is not HML's (%s)", t.Name.Space, Namespace))
		} else {
			p.add(line, t.Name.Local, fmt.Sprintf("element in namespace %q is not part of HML", t.Name.Space))
		}
		return
	}
	if parent == nil && t.Name.Local != "hml" {
		p.add(line, t.Name.Local, "the root element must be hml")
		return
	}
	if parent != nil && !p.childOK(parent, t.Name.Local, line) {
		return
	}
	m := schema[t.Name.Local]
	if m == nil {
		return // childOK already named it
	}
	f.model = m
	f.count = make([]int, len(m.seq))
	attrs := make(map[string]string, len(t.Attr))
	for _, a := range t.Attr {
		if a.Name.Space != "" || a.Name.Local == "xmlns" {
			continue // namespace declarations, xsi:schemaLocation and the like
		}
		if _, ok := m.attrs[a.Name.Local]; !ok && !m.anyAttr {
			p.add(line, f.name, fmt.Sprintf("attribute %q is not allowed", a.Name.Local))
			continue
		}
		attrs[a.Name.Local] = a.Value
	}
	for _, name := range m.attrNames {
		rule := m.attrs[name]
		v, ok := attrs[name]
		switch {
		case !ok && rule.required:
			p.add(line, f.name, fmt.Sprintf("attribute %q is required", name))
		case ok && rule.check != nil:
			if why := rule.check(v); why != "" {
				p.add(line, f.name, fmt.Sprintf("attribute %s=%q %s", name, v, why))
			}
		}
	}
	f.attrs = attrs
	p.build(f, attrs)
}

// childOK checks that name may come next among parent's children.
func (p *parser) childOK(parent *frame, name string, line int) bool {
	m := parent.model
	idx := slices.IndexFunc(m.seq, func(c child) bool { return c.name == name })
	if idx < 0 {
		p.add(line, name, fmt.Sprintf("element is not allowed in <%s>", parent.name))
		return false
	}
	c := m.seq[idx]
	if m.choice {
		parent.count[idx]++
		return true
	}
	if idx < parent.pos {
		p.add(line, name, fmt.Sprintf("out of order in <%s>: it must come before <%s>", parent.name, m.seq[parent.pos].name))
		return false
	}
	for i := parent.pos; i < idx; i++ {
		if parent.count[i] < m.seq[i].min {
			p.add(line, parent.name, fmt.Sprintf("<%s> is required before <%s>", m.seq[i].name, name))
		}
	}
	parent.pos = idx
	parent.count[idx]++
	if c.max >= 0 && parent.count[idx] > c.max {
		p.add(line, name, fmt.Sprintf("at most %d in <%s>", c.max, parent.name))
	}
	return true
}

func (p *parser) end(line int) {
	n := len(p.stack)
	if n == 0 {
		return
	}
	f := p.stack[n-1]
	p.stack = p.stack[:n-1]
	m := f.model
	if m == nil || m.skip {
		return
	}
	if !m.choice {
		for i := f.pos; i < len(m.seq); i++ {
			if f.count[i] < m.seq[i].min {
				p.add(f.line, f.name, fmt.Sprintf("<%s> is required", m.seq[i].name))
			}
		}
	}
	if len(m.oneOf) > 0 && !slices.ContainsFunc(m.oneOf, func(c string) bool {
		return f.count[slices.IndexFunc(m.seq, func(s child) bool { return s.name == c })] > 0
	}) {
		p.add(f.line, f.name, "needs at least one of <"+strings.Join(m.oneOf, ">, <")+">")
	}
	text := f.text.String()
	if m.textCheck != nil {
		if why := m.textCheck(text); why != "" {
			p.add(f.line, f.name, "content "+why)
		}
	}
	p.finish(f, text)
}
