package hml

import (
	"fmt"
	"slices"
	"strings"
)

// methodNames are the typing-method children as reports name them.
var methodNames = map[string]string{"sso": "SSO", "ssp": "SSP", "sbt-sanger": "SBT-Sanger", "sbt-ngs": "SBT-NGS"}

// build records what an element that passed its start checks says.
func (p *parser) build(f *frame, attrs map[string]string) {
	switch f.name {
	case "hml":
		p.rep.Version, p.rep.ProjectName = attrs["version"], attrs["project-name"]
	case "hmlid":
		p.rep.ID = attrs["root"]
		if ext := attrs["extension"]; ext != "" {
			p.rep.ID += "/" + ext
		}
	case "reporting-center":
		p.rep.ReportingCenter = attrs["reporting-center-id"]
	case "sample":
		p.rep.Samples = append(p.rep.Samples, Sample{ID: attrs["id"], CenterCode: attrs["center-code"], Line: f.line})
		p.sample = &p.rep.Samples[len(p.rep.Samples)-1]
	case "typing":
		if p.sample != nil {
			p.sample.Typings = append(p.sample.Typings, Typing{GeneFamily: attrs["gene-family"], Date: dateOnly(attrs["date"]), Line: f.line})
			p.typing = &p.sample.Typings[len(p.sample.Typings)-1]
		}
	case "allele-assignment":
		if p.typing != nil {
			p.typing.Assignments = append(p.typing.Assignments, Assignment{Date: dateOnly(attrs["date"]),
				AlleleDB: attrs["allele-db"], AlleleVersion: attrs["allele-version"], Line: f.line})
			p.assign = &p.typing.Assignments[len(p.typing.Assignments)-1]
		}
	case "haploid":
		if p.assign != nil {
			p.assign.Haploids = append(p.assign.Haploids, Haploid{Locus: attrs["locus"], Method: attrs["method"],
				Type: strings.TrimSpace(attrs["type"]), Line: f.line})
		}
	case "genotype-list":
		if p.assign != nil {
			p.assign.GenotypeLists = append(p.assign.GenotypeLists, GenotypeList{Line: f.line})
			p.glist = &p.assign.GenotypeLists[len(p.assign.GenotypeLists)-1]
		}
	case "diploid-combination":
		if p.glist != nil {
			p.glist.Combinations = append(p.glist.Combinations, nil)
		}
	case "locus-block":
		if c := p.combination(); c != nil {
			*c = append(*c, nil)
		}
	case "allele-list":
		if b := p.block(); b != nil {
			*b = append(*b, nil)
		}
	case "reference-sequence":
		if first, dup := p.ids[attrs["id"]]; dup {
			p.add(f.line, f.name, fmt.Sprintf("id %q is already the id of the reference-sequence on line %d", attrs["id"], first))
		} else {
			p.ids[attrs["id"]] = f.line
		}
	case "consensus-sequence-block":
		if id, ok := attrs["reference-sequence-id"]; ok {
			p.refs = append(p.refs, Problem{Line: f.line, Element: f.name, Message: id})
		}
	default:
		if m, ok := methodNames[f.name]; ok && p.typing != nil && !slices.Contains(p.typing.Methods, m) {
			p.typing.Methods = append(p.typing.Methods, m)
		}
	}
}

// finish records an element's text and closes what it opened.
func (p *parser) finish(f *frame, text string) {
	switch f.name {
	case "sample":
		p.sample = nil
	case "typing":
		p.typing = nil
	case "allele-assignment":
		p.assign = nil
	case "genotype-list":
		p.glist = nil
	case "glstring":
		gl := strings.Join(strings.Fields(text), "")
		if gl == "" && f.attrs["uri"] == "" {
			p.add(f.line, f.name, "empty: a glstring holds a GL String (or a uri)")
		}
		if p.assign != nil {
			p.assign.GLStrings = append(p.assign.GLStrings, GLString{Text: gl, URI: f.attrs["uri"], Line: f.line})
		}
	case "allele":
		// Alleles tested and found absent (N) or untested (U) are no
		// part of the typing.
		if l := p.list(); l != nil && (f.attrs["present"] == "" || f.attrs["present"] == "Y") {
			*l = append(*l, strings.TrimSpace(text))
		}
	}
}

func (p *parser) combination() *[][][]string {
	if p.glist == nil || len(p.glist.Combinations) == 0 {
		return nil
	}
	return &p.glist.Combinations[len(p.glist.Combinations)-1]
}

func (p *parser) block() *[][]string {
	c := p.combination()
	if c == nil || len(*c) == 0 {
		return nil
	}
	return &(*c)[len(*c)-1]
}

func (p *parser) list() *[]string {
	b := p.block()
	if b == nil || len(*b) == 0 {
		return nil
	}
	return &(*b)[len(*b)-1]
}

// dateOnly drops an xs:date's time zone: cordbank dates are calendar days.
func dateOnly(s string) string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}
