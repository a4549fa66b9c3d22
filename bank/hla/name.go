package hla

import (
	"strings"
)

// Kind says what a Name denotes.
type Kind uint8

// Kinds of names.
const (
	KindAllele   Kind = iota + 1 // WHO allele name, 1 to 4 fields: A*02:01:01:01N
	KindGGroup                   // G group: A*01:01:01G
	KindPGroup                   // P group: A*01:01P
	KindXX                       // XX code, every allele of an allele group: DRB1*13:XX
	KindMAC                      // NMDP multiple allele code: A*01:AB
	KindNew                      // NEW, a new allele not yet named: A*NEW
	KindSerology                 // serological antigen: A2, Cw3, DR15, B3901
)

var kindNames = [...]string{"", "allele", "G group", "P group", "XX code", "MAC", "NEW", "serology"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Name is one parsed HLA name, the leaf of a GL String. It is a small
// comparable value: two Names are equal when they denote the same thing,
// so == and map keys work. The zero Name is invalid.
type Name struct {
	Kind Kind
	// Locus is the canonical molecular locus ("A", "DRB1") or, for
	// KindSerology, the serological locus ("A", "B", "Bw", "Cw", "DR", "DQ",
	// "DPw", "Dw").
	Locus string
	// Fields holds the colon-separated numeric fields ("02:01:01"); for XX
	// and MAC the first field only; for serology the antigen number
	// ("2", "3901"); empty for NEW.
	Fields string
	// Suffix is the expression suffix (N, L, S, C, A or Q) of an allele, else 0.
	Suffix byte
	// Code is the letters of a MAC ("AB"); empty otherwise.
	Code string
}

// String returns the canonical text of n without the HLA- prefix.
func (n Name) String() string {
	var b strings.Builder
	n.write(&b)
	return b.String()
}

func (n Name) write(b *strings.Builder) {
	b.WriteString(n.Locus)
	if n.Kind == KindSerology {
		b.WriteString(n.Fields)
		return
	}
	b.WriteByte('*')
	switch n.Kind {
	case KindNew:
		b.WriteString("NEW")
	case KindXX:
		b.WriteString(n.Fields)
		b.WriteString(":XX")
	case KindMAC:
		b.WriteString(n.Fields)
		b.WriteByte(':')
		b.WriteString(n.Code)
	case KindGGroup:
		b.WriteString(n.Fields)
		b.WriteByte('G')
	case KindPGroup:
		b.WriteString(n.Fields)
		b.WriteByte('P')
	default:
		b.WriteString(n.Fields)
		if n.Suffix != 0 {
			b.WriteByte(n.Suffix)
		}
	}
}

// NumFields is the number of colon-separated fields of n (0 for NEW and serology).
func (n Name) NumFields() int {
	if n.Fields == "" || n.Kind == KindSerology {
		return 0
	}
	return strings.Count(n.Fields, ":") + 1
}

// IsNull reports whether n is a null (not expressed) allele: suffix N.
func (n Name) IsNull() bool { return n.Suffix == 'N' }

// FirstField returns the allele group, the first field ("02" for A*02:01).
func (n Name) FirstField() string { return truncFields(n.Fields, 1) }

// Truncate returns n cut to at most k fields as a plain allele name; the
// expression suffix is kept, as WHO rules require for shortened names. A G
// or P group loses its group marker. Names without fields are returned
// unchanged.
func (n Name) Truncate(k int) Name {
	switch n.Kind {
	case KindAllele, KindGGroup, KindPGroup, KindXX, KindMAC:
	default:
		return n
	}
	out := Name{Kind: KindAllele, Locus: n.Locus, Fields: truncFields(n.Fields, k), Suffix: n.Suffix}
	if n.Kind == KindXX || n.Kind == KindMAC {
		out.Suffix = 0
	}
	return out
}

func truncFields(f string, k int) string {
	for i := 0; i < len(f); i++ {
		if f[i] == ':' {
			k--
			if k == 0 {
				return f[:i]
			}
		}
	}
	return f
}

// ParseName parses one HLA name with or without the HLA- prefix: an allele,
// G or P group, XX code, MAC, locus*NEW or a serological antigen. Errors are
// *Problem values naming the token. It is r.ParseName with no reference data.
func ParseName(s string) (Name, error) { return (*Reference)(nil).ParseName(s) }

// ParseName is like the package function ParseName but also accepts loci
// that appear only in r's reference files.
func (r *Reference) ParseName(s string) (Name, error) {
	n, reason := r.parseName(s)
	if reason != "" {
		return Name{}, &Problem{Token: s, Reason: reason}
	}
	return n, nil
}

// parseName returns a reason instead of an error so that hot loops (the
// reference loader) do not allocate error values.
func (r *Reference) parseName(s string) (Name, string) {
	body := stripPrefix(s)
	star := strings.IndexByte(body, '*')
	if star < 0 {
		if strings.EqualFold(body, "NEW") {
			return Name{}, "NEW needs a locus (write A*NEW)"
		}
		return parseSerology(body)
	}
	if star == 0 {
		return Name{}, "missing locus before '*'"
	}
	locus := r.lookupLocus(body[:star])
	if locus == "" {
		return Name{}, "unknown locus " + quote(body[:star])
	}
	n, reason := parseAlleleBody(body[star+1:])
	n.Locus = locus
	return n, reason
}

// parseAlleleBody parses what follows "LOCUS*".
func parseAlleleBody(rest string) (Name, string) {
	if rest == "NEW" {
		return Name{Kind: KindNew}, ""
	}
	if rest == "" {
		return Name{}, "no fields after '*'"
	}
	// A trailing letter part after the first field is XX or a MAC code.
	if c := strings.IndexByte(rest, ':'); c > 0 && isUpperLetters(rest[c+1:]) {
		first, code := rest[:c], rest[c+1:]
		if !isField(first, 2, 4) {
			return Name{}, "bad first field " + quote(first) + " (2 to 4 digits expected)"
		}
		if code == "XX" {
			return Name{Kind: KindXX, Fields: first}, ""
		}
		if len(code) < 2 || len(code) > 6 {
			return Name{}, "MAC code " + quote(code) + " must have 2 to 6 letters"
		}
		return Name{Kind: KindMAC, Fields: first, Code: code}, ""
	}
	n := Name{Kind: KindAllele}
	last := rest[len(rest)-1]
	switch last {
	case 'G':
		n.Kind = KindGGroup
		rest = rest[:len(rest)-1]
	case 'P':
		n.Kind = KindPGroup
		rest = rest[:len(rest)-1]
	case 'N', 'L', 'S', 'C', 'A', 'Q':
		n.Suffix = last
		rest = rest[:len(rest)-1]
	default:
		if !isDigit(last) {
			return Name{}, "bad suffix " + quote(string(last)) + " (expected N, L, S, C, A, Q, G or P)"
		}
	}
	nf := strings.Count(rest, ":") + 1
	if nf > 4 {
		return Name{}, "more than 4 fields"
	}
	if n.Kind != KindAllele && nf < 2 {
		return Name{}, "a " + n.Kind.String() + " name needs at least 2 fields"
	}
	for i, f := range strings.Split(rest, ":") {
		min, max := 2, 4
		if nf == 1 && i == 0 {
			max = 8 // pre-2010 names without colons, e.g. A*0105N
		}
		if !isField(f, min, max) {
			return Name{}, "bad field " + quote(f) + " (" + itoa(min) + " to " + itoa(max) + " digits expected)"
		}
	}
	n.Fields = rest
	return n, ""
}

// parseSerology parses an antigen such as A2, Cw3, DR15, B3901, Bw4.
func parseSerology(s string) (Name, string) {
	i := 0
	for i < len(s) && isLetter(s[i]) {
		i++
	}
	if i == 0 || i == len(s) {
		return Name{}, "not HLA syntax (expected LOCUS*FIELDS or an antigen such as A2)"
	}
	locus, ok := serologyLoci[strings.ToUpper(s[:i])]
	if !ok {
		return Name{}, "unknown serological locus " + quote(s[:i])
	}
	num := s[i:]
	if !isField(num, 1, 4) {
		return Name{}, "bad antigen number " + quote(num) + " (1 to 4 digits expected)"
	}
	if num[0] == '0' {
		return Name{}, "antigen numbers have no leading zero (did you mean " + s[:i] + "*" + num + "?)"
	}
	return Name{Kind: KindSerology, Locus: locus, Fields: num}, ""
}

// ParseSerology parses a serological antigen (A2, Cw3, DR15, B3901, with or
// without the HLA- prefix) and rejects every other kind of name.
func ParseSerology(s string) (Name, error) {
	n, reason := parseSerology(stripPrefix(s))
	if reason != "" {
		return Name{}, &Problem{Token: s, Reason: reason}
	}
	return n, nil
}

func isField(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isUpperLetters(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func quote(s string) string { return "\"" + s + "\"" }

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
