package bank

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank/names"
	"github.com/cordbank/cordbank/bank/unit"
)

// Bank is a cord blood bank: the owner of units. Its ID is the last segment
// of its resource name (banks/{id}).
type Bank struct {
	ID          string `json:"id,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	// FIN is the ISBT 128 Facility Identification Number (5 characters)
	// ICCBBA assigned to the bank. Unique across the registry.
	FIN string `json:"fin,omitempty"`
	// FINs are every FIN the bank registers units under (a unit's DIN
	// starts with its FIN), sorted; FIN is always one of them. A FIN
	// belongs to one bank at most; only the registry administrator
	// assigns them (access.AssignFINs). A unit collected under another
	// bank's FIN arrives through a transfer of custody, never a
	// registration.
	FINs           []string        `json:"fins,omitempty"`
	Country        string          `json:"country,omitempty"` // ISO 3166-1 alpha-2, upper case
	Accreditations []Accreditation `json:"accreditations,omitempty"`
	CreateTime     time.Time       `json:"create_time,omitempty"`
	UpdateTime     time.Time       `json:"update_time,omitempty"`
	// Version increases by one on every change; the API shows it as the etag.
	Version int64 `json:"version,omitempty"`
}

// Accreditation is a quality accreditation a bank holds.
type Accreditation string

// Accreditations known to cordbank; wire enum cordbank.v1.Accreditation.
const (
	AccreditationFACTNetCord Accreditation = "FACT_NETCORD"
	AccreditationAABB        Accreditation = "AABB"
	AccreditationJACIE       Accreditation = "JACIE"
	AccreditationFDALicensed Accreditation = "FDA_LICENSED"
)

var knownAccreditations = map[Accreditation]bool{
	AccreditationFACTNetCord: true, AccreditationAABB: true, AccreditationJACIE: true, AccreditationFDALicensed: true,
}

// bankIDPattern follows AIP-122: lower case letters, digits and hyphens,
// starting with a letter, 3 to 63 characters.
var bankIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,61}[a-z0-9]$`)

// ValidBankID reports whether id can name a bank.
func ValidBankID(id string) bool { return bankIDPattern.MatchString(id) }

var countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)

// validate records every problem with b under the field prefix (e.g. "bank.").
func (b *Bank) validate(v *Violations, prefix string) {
	if b.DisplayName == "" {
		v.Add(prefix+"display_name", "required")
	} else if len(b.DisplayName) > 200 {
		v.Add(prefix+"display_name", "at most 200 characters")
	}
	if !unit.ValidFIN(b.FIN) {
		v.Add(prefix+"fin", "%q is not an ISBT 128 facility identification number (a letter other than O or a digit 1-9, then 4 digits)", b.FIN)
	}
	seenFIN := map[string]bool{}
	for _, f := range b.FINs {
		if !unit.ValidFIN(f) {
			v.Add(prefix+"fins", "%q is not an ISBT 128 facility identification number", f)
		} else if seenFIN[f] {
			v.Add(prefix+"fins", "%s listed twice", f)
		}
		seenFIN[f] = true
	}
	if !countryPattern.MatchString(b.Country) {
		v.Add(prefix+"country", "%q is not an ISO 3166-1 alpha-2 country code (two upper-case letters)", b.Country)
	}
	seen := map[Accreditation]bool{}
	for _, a := range b.Accreditations {
		if !knownAccreditations[a] {
			v.Add(prefix+"accreditations", "unknown accreditation %q", a)
		} else if seen[a] {
			v.Add(prefix+"accreditations", "%s listed twice", a)
		}
		seen[a] = true
	}
}

// IsAccredited reports whether the bank holds a cord-relevant accreditation
// (FACT-NetCord or AABB), the one search filters prefer (domain.md §4.6 F5).
func (b *Bank) IsAccredited() bool {
	for _, a := range b.Accreditations {
		if a == AccreditationFACTNetCord || a == AccreditationAABB {
			return true
		}
	}
	return false
}

// withPrimaryFIN returns b's FINs with its primary FIN added when missing,
// sorted.
func (b *Bank) withPrimaryFIN() []string {
	out := slices.Clone(b.FINs)
	if b.FIN != "" && !slices.Contains(out, b.FIN) {
		out = append(out, b.FIN)
	}
	slices.Sort(out)
	return out
}

// OwnsFIN reports whether b registers units under fin.
func (b *Bank) OwnsFIN(fin string) bool {
	return fin == b.FIN || slices.Contains(b.FINs, fin)
}

// finNotOwned is the refusal of a registration whose DIN's FIN is not the
// bank's. It is decided from the bank's FINs alone, before the DIN is
// looked up, so it says nothing about whether that DIN is registered.
func finNotOwned(b *Bank, din unit.DIN, field string) error {
	return &Error{Kind: KindInvalid, Reason: ReasonFINNotOwned,
		Message: "the DIN's facility identification number is not assigned to this bank",
		Violations: []Violation{{Field: field, Description: fmt.Sprintf(
			"FIN %s is not one of bank %s's (%s): a unit collected elsewhere arrives through TransferUnit", din.FIN(), b.ID, strings.Join(b.withPrimaryFIN(), ", "))}},
		Metadata: map[string]string{"fin": din.FIN(), "bank": names.Bank(b.ID)}}
}

// ownsAllFINs reports whether b owns the FIN of every unit (the common
// case of an import, checked without allocating).
func (b *Bank) ownsAllFINs(units []*Unit) bool {
	for _, u := range units {
		if !b.OwnsFIN(u.DIN.FIN()) {
			return false
		}
	}
	return true
}
