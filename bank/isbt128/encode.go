package isbt128

import (
	"fmt"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/unit"
)

// The encoders below write the data structures a cord blood label
// carries. Each returns the structure with its data identifier, ready for
// a barcode; Parse reads every one of them back.

// EncodeDIN returns structure 001: "=" + the 13 DIN characters + flags.
// flags must be two characters (use "00" when unused).
func EncodeDIN(din unit.DIN, flags string) string { return "=" + string(din) + flags }

// EncodeBloodGroup returns structure 002 for a group and intended use, with
// no phenotype (r = 0, e = 0); false when Table RT005 has no code for it.
func EncodeBloodGroup(abo bank.ABO, rh bank.Rh, use IntendedUse) (string, bool) {
	gg, ok := BloodGroupCode(abo, rh, use)
	if !ok {
		return "", false
	}
	return "=%" + gg + "00", true
}

// EncodeProduct returns structure 003: "=<" + PDC + collection type +
// division. It refuses a PDC that is not a letter and four letters or
// digits, or a division that is not two characters.
func EncodeProduct(pdc string, collectionType byte, division string) (string, error) {
	if len(pdc) != 5 || !classOK('L', pdc[0]) {
		return "", fmt.Errorf("product description code %q must be a letter and 4 letters or digits (e.g. S1234)", pdc)
	}
	for i := 1; i < 5; i++ {
		if !classOK('X', pdc[i]) {
			return "", fmt.Errorf("product description code %q must be a letter and 4 letters or digits (e.g. S1234)", pdc)
		}
	}
	if len(division) != 2 || !classOK('X', division[0]) || !classOK('l', division[1]) {
		return "", fmt.Errorf("division %q must be 2 characters: 00 for undivided, or an upper-case letter and a lower-case letter", division)
	}
	return "=<" + pdc + string(collectionType) + division, nil
}

// EncodeDate returns a date structure: identifier "=*" (collection date),
// "=>" (expiration) or "=}" (production) with cyyjjj. Years 1900-2099.
func EncodeDate(identifier string, t time.Time) (string, error) {
	if t.Year() < 1900 || t.Year() > 2099 {
		return "", fmt.Errorf("year %d cannot be written as an ISBT 128 date (1900-2099)", t.Year())
	}
	c := '0'
	if t.Year() < 2000 {
		c = '9'
	}
	return fmt.Sprintf("%s%c%02d%03d", identifier, c, t.Year()%100, t.YearDay()), nil
}

// EncodeCompound returns a compound message (023) of undefined sequence
// ("000") holding structures, each with its data identifier.
func EncodeCompound(structures ...string) string {
	return fmt.Sprintf("=+%02d000", len(structures)) + strings.Join(structures, "")
}
