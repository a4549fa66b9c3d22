package hml

import (
	"fmt"
	"slices"
	"strings"
)

// Call is the typing of one locus a sample's report gives: the text in
// GL String form for that locus alone ("HLA-A*01:01+HLA-A*02:01"), with
// where it came from.
type Call struct {
	Locus string // as written, without "HLA-": "A", "DRB1"
	Text  string
	Line  int // the line of the haploid, glstring or genotype-list
	// AssignmentLine is the line of its allele-assignment.
	AssignmentLine int
	// AlleleDB and Release are the allele-assignment's allele-db and
	// allele-version.
	AlleleDB, Release string
	TypingDate        string
	Methods           []string
}

// serologyPrefix names a locus's antigens (a haploid with method SER
// gives the antigen's number only: locus HLA-DRB1, type 04 is DR4).
var serologyPrefix = map[string]string{"A": "A", "B": "B", "C": "Cw", "DRB1": "DR", "DQB1": "DQ", "DPB1": "DP"}

// HLACalls returns the HLA typing of a sample, one Call per locus, from the
// allele assignments of its typings with gene family HLA (other families,
// such as KIR, are not read). A locus typed twice in the sample, a name
// with no locus, and a glstring given only by uri are problems, named by
// element and line.
func HLACalls(s Sample) ([]Call, []Problem) {
	var calls []Call
	var probs []Problem
	at := map[string]int{} // locus -> index in calls
	add := func(c Call, element string) {
		key := strings.ToUpper(c.Locus)
		if i, dup := at[key]; dup {
			probs = append(probs, Problem{Line: c.Line, Element: element,
				Message: fmt.Sprintf("locus %s is typed again (first on line %d): one typing per locus and sample", c.Locus, calls[i].Line)})
			return
		}
		at[key] = len(calls)
		calls = append(calls, c)
	}
	for _, t := range s.Typings {
		if !strings.EqualFold(t.GeneFamily, "HLA") {
			continue
		}
		for _, a := range t.Assignments {
			base := Call{AlleleDB: a.AlleleDB, Release: a.AlleleVersion, TypingDate: t.Date, Methods: t.Methods, AssignmentLine: a.Line}
			for _, g := range a.GLStrings {
				if g.Text == "" {
					probs = append(probs, Problem{Line: g.Line, Element: "glstring", Message: "a GL String given only by uri is not fetched: send it inline"})
					continue
				}
				for _, block := range strings.Split(g.Text, "^") {
					c := base
					c.Text, c.Line = block, g.Line
					l, err := locusOf(block)
					if err != nil {
						probs = append(probs, Problem{Line: g.Line, Element: "glstring", Message: err.Error()})
						continue
					}
					c.Locus = l
					add(c, "glstring")
				}
			}
			for _, c := range haploidCalls(base, a.Haploids, &probs) {
				add(c, "haploid")
			}
			for _, gl := range a.GenotypeLists {
				for _, c := range genotypeListCalls(base, gl, &probs) {
					add(c, "genotype-list")
				}
			}
		}
	}
	return calls, probs
}

// locusOf returns the locus of the first name in a one-locus GL String.
func locusOf(gl string) (string, error) {
	first := gl
	if i := strings.IndexAny(first, "+/|~"); i >= 0 {
		first = first[:i]
	}
	name := stripHLA(first)
	star := strings.IndexByte(name, '*')
	if star <= 0 {
		return "", fmt.Errorf("%q is not an HLA allele name (LOCUS*FIELDS)", first)
	}
	return name[:star], nil
}

func stripHLA(s string) string {
	if len(s) >= 4 && strings.EqualFold(s[:4], "HLA-") {
		return s[4:]
	}
	return s
}

// haploidCalls joins an assignment's haploids by locus: each haploid is
// one copy ('+').
func haploidCalls(base Call, hs []Haploid, probs *[]Problem) []Call {
	var order []string
	copies := map[string][]string{}
	lines := map[string]int{}
	for _, h := range hs {
		locus := stripHLA(h.Locus)
		if h.Type == "" {
			*probs = append(*probs, Problem{Line: h.Line, Element: "haploid", Message: "type is blank: an untyped copy cannot be recorded"})
			continue
		}
		var name string
		switch {
		case h.Method == "SER":
			p, ok := serologyPrefix[strings.ToUpper(locus)]
			if !ok {
				*probs = append(*probs, Problem{Line: h.Line, Element: "haploid", Message: fmt.Sprintf("no serological antigens are named for locus %s", h.Locus)})
				continue
			}
			name = p + strings.TrimLeft(h.Type, "0")
		case strings.Contains(h.Type, "*"):
			name = stripHLA(h.Type)
		default:
			name = locus + "*" + h.Type
		}
		key := strings.ToUpper(locus)
		if _, ok := copies[key]; !ok {
			order = append(order, key)
			lines[key] = h.Line
		}
		copies[key] = append(copies[key], name)
	}
	out := make([]Call, 0, len(order))
	for _, key := range order {
		c := base
		c.Locus, c.Text, c.Line = key, strings.Join(copies[key], "+"), lines[key]
		out = append(out, c)
	}
	return out
}

// genotypeListCalls turns a genotype-list into one genotype list ('|') per
// locus: in each diploid combination a locus block is one copy ('+') and
// an allele list its possibilities ('/'). Linkage between the loci of one
// block (DRB1 with DRB3) is not kept: cordbank records each locus alone.
func genotypeListCalls(base Call, gl GenotypeList, probs *[]Problem) []Call {
	var order []string
	genotypes := map[string][]string{}
	for _, combo := range gl.Combinations {
		perLocus := map[string][]string{} // locus -> copies
		var comboOrder []string
		for _, block := range combo {
			byLocus := map[string][]string{}
			var blockOrder []string
			for _, list := range block {
				for _, allele := range list {
					l, err := locusOf(allele)
					if err != nil {
						*probs = append(*probs, Problem{Line: gl.Line, Element: "allele", Message: err.Error()})
						continue
					}
					l = strings.ToUpper(l)
					if _, ok := byLocus[l]; !ok {
						blockOrder = append(blockOrder, l)
					}
					if !slices.Contains(byLocus[l], allele) {
						byLocus[l] = append(byLocus[l], allele)
					}
				}
			}
			for _, l := range blockOrder {
				if _, ok := perLocus[l]; !ok {
					comboOrder = append(comboOrder, l)
				}
				perLocus[l] = append(perLocus[l], strings.Join(byLocus[l], "/"))
			}
		}
		for _, l := range comboOrder {
			if _, ok := genotypes[l]; !ok {
				order = append(order, l)
			}
			genotypes[l] = append(genotypes[l], strings.Join(perLocus[l], "+"))
		}
	}
	out := make([]Call, 0, len(order))
	for _, l := range order {
		c := base
		c.Locus, c.Text, c.Line = l, strings.Join(genotypes[l], "|"), gl.Line
		out = append(out, c)
	}
	return out
}
