package isbt128

import (
	"fmt"
	"strconv"
	"time"

	"github.com/cordbank/cordbank/bank/unit"
)

// MaxScanLength bounds what Parse reads: the longest ISBT 128 DataMatrix
// compound message a label carries is a few hundred characters; a longer
// input is not a scan.
const MaxScanLength = 4096

// Scan is a parsed scan: its data structures in the order they were sent.
type Scan struct {
	Structures []Structure
}

// Find returns the first structure with data structure number n, or nil.
func (s *Scan) Find(n int) *Structure {
	for i := range s.Structures {
		if s.Structures[i].Number == n {
			return &s.Structures[i]
		}
	}
	return nil
}

// Donation returns the scan's Donation Identification Number, or nil when
// it carries none.
func (s *Scan) Donation() *Donation {
	if st := s.Find(DonationIdentificationNumber); st != nil {
		return st.Donation
	}
	return nil
}

// Structure is one data structure of a scan.
type Structure struct {
	// Number is the ICCBBA data structure number (1 for the DIN ... 40);
	// 0 for a non-ICCBBA (national or facility) structure.
	Number int
	// Identifier is the data identifier as sent: "=" for a DIN (its
	// second character is the DIN's first), "=<", "&,1", "&a" ...
	Identifier string
	Name       string
	// Offset is the position of the identifier's first character in the
	// string given to Parse, from 0.
	Offset int
	// Content is the data content after the identifier, as sent (for a
	// DIN, its 15 characters αppppyynnnnnnff).
	Content string
	// Retired marks structures ST-001 keeps only for old labels.
	Retired bool
	// National marks a non-ICCBBA defined structure (&a-&z, &;, &!):
	// Content is everything up to the next separator, uninterpreted.
	National bool

	// Decoded content; at most one is set, by Number.
	Donation   *Donation   // 001
	BloodGroup *BloodGroup // 002
	Product    *Product    // 003
	Compound   *Compound   // 023
	// Time is the decoded date or date and time of 004-009, 024, 026
	// (the first of the month) and 031: the wall-clock time printed on the
	// label, in UTC because ISBT 128 carries no zone (031 says local or
	// UTC in Content[0]). Date-only structures are at midnight.
	Time time.Time
}

// Label names the structure as errors and people do: "Product Code [003]".
func (st *Structure) Label() string {
	if st.Number == 0 {
		return fmt.Sprintf("non-ICCBBA structure %s", st.Identifier)
	}
	return fmt.Sprintf("%s [%03d]", st.Name, st.Number)
}

// Compound is the header of a compound message (structure 023).
type Compound struct {
	// Count is how many data structures follow the header.
	Count int
	// Message is the ICCBBA-specified message number (Table RT017), "000"
	// for an undefined sequence. The RT017 sequences are licensed: the
	// order is not checked, the count is.
	Message string
}

// Error is a scan that cannot be read: what is wrong, in which structure,
// at which character.
type Error struct {
	// Offset is the position, from 0, of the first character at fault.
	Offset int
	// Structure names the structure at fault ("Product Code [003]"), ""
	// when no structure could be recognised there.
	Structure string
	Problem   string
}

func (e *Error) Error() string {
	if e.Structure == "" {
		return fmt.Sprintf("ISBT 128 scan, offset %d: %s", e.Offset, e.Problem)
	}
	return fmt.Sprintf("ISBT 128 %s at offset %d: %s", e.Structure, e.Offset, e.Problem)
}

// Parse reads a scan: one or more ISBT 128 data structures, concatenated
// or in a compound message, as a scanner sends them. It returns every
// structure with its content checked and, where this package knows the
// structure, decoded (see the package doc), or an *Error naming the
// structure and offset of the first problem.
func Parse(scan string) (*Scan, error) {
	if len(scan) > MaxScanLength {
		return nil, &Error{Offset: MaxScanLength, Problem: fmt.Sprintf("%d characters is longer than any ISBT 128 scan (at most %d)", len(scan), MaxScanLength)}
	}
	p := parser{s: scan}
	out := &Scan{}
	var open *Structure // the compound message being read
	left := 0           // structures it still announces
	for {
		sep := p.skipSeparators()
		if open != nil && left > 0 && (sep || p.i == len(p.s)) {
			return nil, &Error{Offset: open.Offset, Structure: open.Label(), Problem: fmt.Sprintf(
				"announces %d data structures but %d follow it without a break", open.Compound.Count, open.Compound.Count-left)}
		}
		if p.i == len(p.s) {
			break
		}
		if open != nil && left == 0 {
			if !sep {
				return nil, &Error{Offset: open.Offset, Structure: open.Label(), Problem: fmt.Sprintf(
					"announces %d data structures but another follows directly at offset %d", open.Compound.Count, p.i)}
			}
			open = nil
		}
		st, err := p.structure(open != nil)
		if err != nil {
			return nil, err
		}
		out.Structures = append(out.Structures, st)
		switch {
		case st.Number == CompoundMessage && open != nil:
			return nil, &Error{Offset: st.Offset, Structure: st.Label(), Problem: "a compound message cannot hold another"}
		case st.Number == CompoundMessage:
			open, left = &out.Structures[len(out.Structures)-1], st.Compound.Count
		case open != nil:
			left--
		}
	}
	if len(out.Structures) == 0 {
		return nil, &Error{Offset: 0, Problem: "no data structure: the scan is empty"}
	}
	return out, nil
}

type parser struct {
	s string
	i int
}

// skipSeparators skips whitespace and AIM symbology identifiers ("]C0",
// "]d2") and reports whether it skipped anything.
func (p *parser) skipSeparators() bool {
	start := p.i
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			p.i++
		case c == ']' && p.i+2 < len(p.s) && isAlpha(p.s[p.i+1]) && p.s[p.i+2] >= '0' && p.s[p.i+2] <= '9':
			p.i += 3
		default:
			return p.i > start
		}
	}
	return p.i > start
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func isSeparator(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// structure reads the data structure starting at p.i.
func (p *parser) structure(inCompound bool) (Structure, error) {
	at := p.i
	c := p.s[at]
	if c >= 0x80 {
		return Structure{}, &Error{Offset: at, Problem: "a non-ASCII character: ISBT 128 scans are ASCII"}
	}
	if c != '=' && c != '&' {
		return Structure{}, &Error{Offset: at, Problem: fmt.Sprintf("expected a data identifier starting with = or &, found %q", c)}
	}
	if at+1 >= len(p.s) {
		return Structure{}, &Error{Offset: at, Problem: fmt.Sprintf("the data identifier %q is cut short", p.s[at:])}
	}
	c2 := p.s[at+1]
	var sp *spec
	id := p.s[at : at+2]
	switch {
	case c == '=' && classOK('F', c2):
		sp, id = byID["="], "="
	case c == '&' && c2 == ',':
		if at+2 >= len(p.s) {
			return Structure{}, &Error{Offset: at, Problem: "the data identifier \"&,\" needs a third character (1-4)"}
		}
		id = p.s[at : at+3]
		sp = byID[id]
	case c == '&' && ((c2 >= 'a' && c2 <= 'z') || c2 == ';' || c2 == '!'):
		return p.national(at, id, inCompound)
	default:
		sp = byID[id]
	}
	if sp == nil {
		return Structure{}, &Error{Offset: at, Problem: fmt.Sprintf("unknown data identifier %q", id)}
	}
	st := Structure{Number: sp.number, Identifier: id, Name: sp.name, Offset: at, Retired: sp.retired}
	start := at + len(id)
	n, err := p.contentLength(sp, &st, start)
	if err != nil {
		return Structure{}, err
	}
	st.Content = p.s[start : start+n]
	p.i = start + n
	if err := decode(&st, start); err != nil {
		return Structure{}, err
	}
	return st, nil
}

// contentLength checks the content of st (at start) against sp and
// returns its length.
func (p *parser) contentLength(sp *spec, st *Structure, start int) (int, error) {
	rest := p.s[start:]
	short := func(need int) error {
		return &Error{Offset: start, Structure: st.Label(), Problem: fmt.Sprintf(
			"needs %d characters of data content, found %d", need, countUntilSeparator(rest, need))}
	}
	if sp.pattern != "" {
		if len(rest) < len(sp.pattern) {
			return 0, short(len(sp.pattern))
		}
		return len(sp.pattern), checkClasses(st, sp.pattern, rest, start)
	}
	if len(rest) < sp.header {
		return 0, short(sp.header)
	}
	if err := checkClasses(st, repeat('9', sp.header), rest, start); err != nil {
		return 0, err
	}
	var n int
	var body string
	if sp.each == 0 { // 025: aa location, ll length, then ll characters
		ll, _ := strconv.Atoi(rest[2:4])
		n, body = 4+ll, repeat('x', ll)
		if ll == 0 {
			return 0, &Error{Offset: start + 2, Structure: st.Label(), Problem: "the patient number length ll is 00"}
		}
	} else {
		count, _ := strconv.Atoi(rest[:sp.header])
		if count == 0 {
			return 0, &Error{Offset: start, Structure: st.Label(), Problem: "the count of repeating segments is 0"}
		}
		n, body = sp.header+count*sp.each, repeat('9', count*sp.each)
	}
	if len(rest) < n {
		return 0, short(n)
	}
	return n, checkClasses(st, repeat('9', sp.header)+body, rest, start)
}

// countUntilSeparator is how many content characters rest holds before a
// separator, at most need: what the error reports as found.
func countUntilSeparator(rest string, need int) int {
	n := 0
	for n < len(rest) && n < need && !isSeparator(rest[n]) {
		n++
	}
	return n
}

func checkClasses(st *Structure, pattern, rest string, start int) error {
	for k := 0; k < len(pattern); k++ {
		if !classOK(pattern[k], rest[k]) {
			return &Error{Offset: start + k, Structure: st.Label(), Problem: fmt.Sprintf(
				"data content character %d must be %s, found %q", k+1, className(pattern[k]), rest[k])}
		}
	}
	return nil
}

// national reads a non-ICCBBA defined structure: its content runs to the
// next separator.
func (p *parser) national(at int, id string, inCompound bool) (Structure, error) {
	st := Structure{Identifier: id, Name: "Non-ICCBBA Defined Data Structure", Offset: at, National: true}
	switch id {
	case "&;":
		st.Name = "Nationally Specified Donor Identification Number"
	case "&!":
		st.Name = "Confidential Unit Exclusion Status"
	}
	if inCompound {
		return Structure{}, &Error{Offset: at, Structure: st.Label(), Problem: "non-ICCBBA defined structures are not allowed in a compound message (ST-001 §2.5.1)"}
	}
	end := at + 2
	for end < len(p.s) && !isSeparator(p.s[end]) {
		if p.s[end] >= 0x80 {
			return Structure{}, &Error{Offset: end, Structure: st.Label(), Problem: "a non-ASCII character: ISBT 128 scans are ASCII"}
		}
		end++
	}
	st.Content = p.s[at+2 : end]
	p.i = end
	return st, nil
}

// decode fills st's decoded fields; start is the offset of its content.
func decode(st *Structure, start int) error {
	fail := func(off int, format string, args ...any) error {
		return &Error{Offset: start + off, Structure: st.Label(), Problem: fmt.Sprintf(format, args...)}
	}
	c := st.Content
	var err error
	switch st.Number {
	case DonationIdentificationNumber:
		st.Donation, err = decodeDonation(c)
		if err != nil {
			at := 0
			if _, bodyErr := unit.ParseDIN(c[:13]); bodyErr == nil {
				at = 13 // the number is fine: the flags are wrong
			}
			return fail(at, "%v", err)
		}
	case BloodGroups:
		st.BloodGroup = decodeBloodGroup(c)
	case ProductCodeStructure:
		st.Product = decodeProduct(c)
	case ExpirationDate, CollectionDate, ProductionDate, ExpirationDateTime, CollectionDateTime, ProductionDateTime:
		st.Time, err = julianTime(c)
		if err != nil {
			return fail(0, "%v", err)
		}
	case CompoundMessage:
		count, _ := strconv.Atoi(c[:2])
		if count == 0 {
			return fail(0, "announces 0 data structures")
		}
		st.Compound = &Compound{Count: count, Message: c[2:]}
	case PatientDateOfBirth:
		st.Time, err = calendarTime(c[2:6], c[6:8], c[8:10], "0000")
		if err != nil {
			return fail(2, "%v", err)
		}
	case ExpirationMonthYear:
		st.Time, err = calendarTime(c[:4], c[4:6], "01", "0000")
		if err != nil {
			return fail(0, "%v", err)
		}
	case FlexibleDateTime:
		// Z (Table 24, local or UTC) and TT (Table 25, the kind of time)
		// stay in Content.
		st.Time, err = calendarTime(c[4:8], c[8:10], c[10:12], c[12:16])
		if err != nil {
			return fail(4, "%v", err)
		}
	}
	return nil
}

// Donation is a decoded Donation Identification Number (structure 001).
type Donation struct {
	DIN unit.DIN
	// Flags are the two flag characters (Table RT004), "00" when unused.
	Flags string
	// CheckChar is the eye-readable keyboard check character K printed
	// boxed beside the DIN; it is not in the barcode.
	CheckChar byte
}

// FlagMeaning says what the flags mean (Table RT004).
func (d *Donation) FlagMeaning() string { return FlagMeaning(d.Flags) }

func decodeDonation(c string) (*Donation, error) {
	din, err := unit.ParseDIN(c) // the 13 characters and the flags: bank checks Type 3 flags
	if err != nil {
		return nil, err
	}
	return &Donation{DIN: din, Flags: c[13:], CheckChar: din.CheckChar()}, nil
}
