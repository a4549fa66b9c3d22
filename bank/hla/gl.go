package hla

import (
	"strings"
)

// Op is a GL String operator.
type Op byte

// GL String operators, lowest precedence (outermost) first.
const (
	OpLoci         Op = '^' // unphased multilocus: joins loci
	OpGenotypeList Op = '|' // alternative genotypes
	OpGenotype     Op = '+' // the two copies of a locus
	OpHaplotype    Op = '~' // phased, in cis
	OpAlleleList   Op = '/' // ambiguity between alleles
)

// ops lists the operators from lowest to highest precedence.
var ops = [...]Op{OpLoci, OpGenotypeList, OpGenotype, OpHaplotype, OpAlleleList}

func precedence(o Op) int {
	for i, x := range ops {
		if x == o {
			return i
		}
	}
	return len(ops)
}

// GL is a parsed GL String: a tree whose leaves are Names. A leaf has Op 0
// and a Name; an inner node has an Op and at least two Items, each of which
// is a leaf or a node of a higher-precedence Op. Parsing always builds this
// normal form, so String needs no parentheses and round-trips.
type GL struct {
	Op    Op
	Name  Name
	Items []*GL
}

// Leaf returns a GL holding the single name n.
func Leaf(n Name) *GL { return &GL{Name: n} }

// IsLeaf reports whether g is a single name.
func (g *GL) IsLeaf() bool { return g.Op == 0 }

// String returns the canonical GL String, without the HLA- prefix.
func (g *GL) String() string {
	if g == nil {
		return ""
	}
	var b strings.Builder
	g.write(&b)
	return b.String()
}

func (g *GL) write(b *strings.Builder) {
	if g.Op == 0 {
		g.Name.write(b)
		return
	}
	for i, it := range g.Items {
		if i > 0 {
			b.WriteByte(byte(g.Op))
		}
		it.write(b)
	}
}

// Equal reports whether g and h are the same tree.
func (g *GL) Equal(h *GL) bool {
	if g == nil || h == nil {
		return g == h
	}
	if g.Op != h.Op || g.Name != h.Name || len(g.Items) != len(h.Items) {
		return false
	}
	for i := range g.Items {
		if !g.Items[i].Equal(h.Items[i]) {
			return false
		}
	}
	return true
}

// Names calls fn for every leaf name, left to right.
func (g *GL) Names(fn func(Name)) {
	if g.Op == 0 {
		fn(g.Name)
		return
	}
	for _, it := range g.Items {
		it.Names(fn)
	}
}

// ParseGL parses a GL String with syntax checks only. Errors are *Problem
// values. The GLSC wrapper is rejected here; use ParseGLSC.
func ParseGL(s string) (*GL, error) { return (*Reference)(nil).ParseGL(s) }

// ParseGL is like the package function ParseGL but also accepts loci that
// appear only in r's reference files.
func (r *Reference) ParseGL(s string) (*GL, error) {
	p := glParser{r: r}
	return p.parse(s)
}

type glParser struct {
	r *Reference
	// locus, when set, is the locus context of ParseLocusTyping: a bare
	// NEW means locus*NEW there.
	locus string
}

func (p *glParser) parse(s string) (*GL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, &Problem{Token: s, Reason: "empty typing"}
	}
	if i := strings.IndexAny(s, " \t\r\n()#?,;"); i >= 0 {
		reason := "unexpected " + quote(s[i:i+1])
		switch s[i] {
		case '#':
			reason = "GLSC wrapper (hla#VERSION#...) is not a GL String; use ParseGLSC"
		case '?':
			reason = "the GL String 1.1 '?' operator is not supported"
		}
		return nil, &Problem{Token: s, Reason: reason}
	}
	return p.level(s, 0)
}

func (p *glParser) level(s string, lvl int) (*GL, error) {
	if lvl == len(ops) {
		n, reason := p.r.parseName(s)
		if reason != "" && p.locus != "" && strings.EqualFold(stripPrefix(s), "NEW") {
			n, reason = Name{Kind: KindNew, Locus: p.locus}, ""
		}
		if reason != "" {
			return nil, &Problem{Token: s, Reason: reason}
		}
		return Leaf(n), nil
	}
	op := ops[lvl]
	if strings.IndexByte(s, byte(op)) < 0 {
		return p.level(s, lvl+1)
	}
	parts := strings.Split(s, string(op))
	node := &GL{Op: op, Items: make([]*GL, 0, len(parts))}
	var prev *GL
	for _, part := range parts {
		if part == "" {
			return nil, &Problem{Token: s, Reason: "empty item around " + quote(string(op))}
		}
		var it *GL
		var err error
		if op == OpAlleleList && prev != nil && isShortForm(part) {
			it, err = expandShort(prev.Name, part)
		} else {
			it, err = p.level(part, lvl+1)
		}
		if err != nil {
			return nil, err
		}
		node.Items = append(node.Items, it)
		prev = it
	}
	return node, nil
}

// isShortForm reports whether an allele list item is written without a
// locus, as in A*01:06/07 or A*01:01/02:01.
func isShortForm(s string) bool {
	return s != "" && isDigit(s[0]) && !strings.ContainsAny(s, "*")
}

// expandShort completes a short allele list item from the item before it:
// one field replaces the second field (A*01:06/07 is A*01:06/A*01:07, the
// ATLAS "allele string of subtypes"); two or more fields take only the
// locus (A*01:01/02:01 is A*01:01/A*02:01).
func expandShort(prev Name, part string) (*GL, error) {
	if prev.Kind != KindAllele || prev.NumFields() < 2 {
		return nil, &Problem{Token: part, Reason: "a short allele list item must follow an allele name with at least 2 fields"}
	}
	body := part
	if !strings.Contains(part, ":") {
		body = prev.FirstField() + ":" + part
	}
	n, reason := parseAlleleBody(body)
	if reason == "" && n.Kind != KindAllele {
		reason = "a short allele list item must be an allele"
	}
	if reason != "" {
		return nil, &Problem{Token: part, Reason: reason}
	}
	n.Locus = prev.Locus
	return Leaf(n), nil
}

// GLSC is a GL String with its code system and version, the text form
// hla#VERSION#GLSTRING (for example hla#3.24.0#HLA-A*01:01+HLA-A*02:01).
type GLSC struct {
	Namespace string // "hla"
	Version   string // IPD-IMGT/HLA release or date, e.g. "3.24.0"
	GL        *GL
}

// ParseGLSC parses the GLSC wrapper NAMESPACE#VERSION#GLSTRING. Only the
// "hla" namespace is accepted.
func ParseGLSC(s string) (GLSC, error) { return (*Reference)(nil).ParseGLSC(s) }

// ParseGLSC is like the package function but accepts loci of r.
func (r *Reference) ParseGLSC(s string) (GLSC, error) {
	parts := strings.SplitN(strings.TrimSpace(s), "#", 3)
	if len(parts) != 3 {
		return GLSC{}, &Problem{Token: s, Reason: "GLSC must be namespace#version#glstring"}
	}
	if !strings.EqualFold(parts[0], "hla") {
		return GLSC{}, &Problem{Token: parts[0], Reason: "unsupported GLSC namespace (only hla)"}
	}
	if parts[1] == "" || strings.ContainsAny(parts[1], " \t/+^|~") {
		return GLSC{}, &Problem{Token: parts[1], Reason: "bad GLSC version"}
	}
	g, err := r.ParseGL(parts[2])
	if err != nil {
		return GLSC{}, err
	}
	return GLSC{Namespace: "hla", Version: parts[1], GL: g}, nil
}

// String formats c as hla#VERSION#GLSTRING with HLA- prefixed names.
func (c GLSC) String() string {
	var b strings.Builder
	b.WriteString("hla#")
	b.WriteString(c.Version)
	b.WriteByte('#')
	c.GL.writePrefixed(&b)
	return b.String()
}

func (g *GL) writePrefixed(b *strings.Builder) {
	if g.Op == 0 {
		b.WriteString("HLA-")
		g.Name.write(b)
		return
	}
	for i, it := range g.Items {
		if i > 0 {
			b.WriteByte(byte(g.Op))
		}
		it.writePrefixed(b)
	}
}
