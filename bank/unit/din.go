package unit

import (
	"fmt"
	"strings"
)

// DIN is a normalized ISBT 128 Donation Identification Number: exactly 13
// characters, the 5-character Facility Identification Number (FIN), the
// 2-digit nominal year and the 6-digit sequence number. Flags and the check
// character are not part of it (domain.md §1.2).
type DIN string

// FIN returns the facility identification number part of the DIN.
func (d DIN) FIN() string { return string(d)[:5] }

// Year returns the two-digit nominal year part.
func (d DIN) Year() string { return string(d)[5:7] }

// CheckChar returns the eye-readable ISO/IEC 7064 Mod 37-2 check character.
func (d DIN) CheckChar() byte { return checkCharFor(string(d)) }

// CheckValue returns the ISO/IEC 7064 Mod 37-2 checksum of the DIN, 0-36:
// the value of CheckChar, and what a Type 3 flag encodes as 60 plus it.
func (d DIN) CheckValue() int { return checksum(string(d)) }

// Formatted returns the DIN as printed for people: the 13 characters in
// groups, then the boxed check character in brackets, e.g.
// "G1234 98 654321 [H]".
func (d DIN) Formatted() string {
	s := string(d)
	return fmt.Sprintf("%s %s %s [%c]", s[:5], s[5:7], s[7:], d.CheckChar())
}

// mod37Alphabet maps values 0..36 to characters; the position of a character
// is its value (domain.md §1.2 step 2).
const mod37Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"

func mod37Value(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	case c == '*':
		return 36
	}
	return -1
}

// checksum computes ISO/IEC 7064 MOD 37-2 over s (streaming form, domain.md
// §1.2). s must hold only characters of mod37Alphabet.
func checksum(s string) int {
	p := 0
	for i := 0; i < len(s); i++ {
		p = ((p + mod37Value(s[i])) * 2) % 37
	}
	return (38 - p) % 37
}

func checkCharFor(s string) byte { return mod37Alphabet[checksum(s)] }

// ParseDIN reads a DIN as people and scanners write it and returns it
// normalized. It accepts:
//   - the bare 13 characters: "G123498654321";
//   - spaces and hyphens anywhere (as printed on labels): "G1234 98 654321";
//   - a leading "=" data identifier, as in barcode content;
//   - two flag digits after the 13 characters: "G12349865432100";
//   - an eye-readable check character at the end, optionally boxed in
//     brackets: "G1234 98 654321 H", "G123498654321[H]", or after flags.
//
// Lower-case letters are upper-cased. When a check character is given it
// must match; when Type 3 flags (60..96) are given they must equal 60 plus
// the checksum. The error explains what is wrong in words a technician can act on.
func ParseDIN(in string) (DIN, error) {
	var b strings.Builder
	b.Grow(16)
	for _, r := range in {
		switch {
		case r == ' ' || r == '-' || r == '\t' || r == '[' || r == ']':
			continue
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r < 128:
			b.WriteRune(r)
		default:
			return "", fmt.Errorf("unexpected character %q in DIN", r)
		}
	}
	s := b.String()
	s = strings.TrimPrefix(s, "=")
	if len(s) < 13 {
		return "", fmt.Errorf("DIN %q is too short: need 13 characters (5 FIN, 2 year, 6 sequence)", in)
	}
	din, rest := s[:13], s[13:]
	if err := checkDINBody(din); err != nil {
		return "", err
	}
	sum := checksum(din)
	var flags, check string
	switch len(rest) {
	case 0:
	case 1:
		check = rest
	case 2:
		flags = rest
	case 3:
		flags, check = rest[:2], rest[2:]
	default:
		return "", fmt.Errorf("DIN %q has %d characters after the 13-character number; expected at most 2 flag digits and 1 check character", in, len(rest))
	}
	if flags != "" {
		if flags[0] < '0' || flags[0] > '9' || flags[1] < '0' || flags[1] > '9' {
			// Two characters that are not digits: maybe a typo in the check character.
			return "", fmt.Errorf("DIN flags %q must be two digits", flags)
		}
		f := int(flags[0]-'0')*10 + int(flags[1]-'0')
		if f >= 60 && f <= 96 && f != 60+sum {
			return "", fmt.Errorf("DIN type 3 flag %s does not match the check value %d of %s", flags, 60+sum, din)
		}
	}
	if check != "" && check[0] != mod37Alphabet[sum] {
		return "", fmt.Errorf("check character %q does not match DIN %s (expected %q): re-read the number from the label", check, din, mod37Alphabet[sum])
	}
	return DIN(din), nil
}

func checkDINBody(s string) error {
	c := s[0]
	if !(c >= 'A' && c <= 'Z' && c != 'O') && !(c >= '1' && c <= '9') {
		return fmt.Errorf("DIN %q: the facility number must start with A-N, P-Z or 1-9", s)
	}
	for i := 1; i < 5; i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("DIN %q: facility number characters 2-5 must be digits", s)
		}
	}
	for i := 5; i < 13; i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("DIN %q: year and sequence number (characters 6-13) must be digits", s)
		}
	}
	return nil
}

// ValidFIN reports whether fin has the shape of an ISBT 128 Facility
// Identification Number: a letter (not O) or digit 1-9, then four digits.
func ValidFIN(fin string) bool {
	return len(fin) == 5 && checkDINBody(fin+"00000000") == nil
}
