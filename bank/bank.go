package bank

import (
	"regexp"
	"time"
)

// Bank is a cord blood bank: the owner of units. Its ID is the last segment
// of its resource name (banks/{id}).
type Bank struct {
	ID          string `json:"id,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	// FIN is the ISBT 128 Facility Identification Number (5 characters)
	// ICCBBA assigned to the bank. Unique across the registry.
	FIN            string          `json:"fin,omitempty"`
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
	if !ValidFIN(b.FIN) {
		v.Add(prefix+"fin", "%q is not an ISBT 128 facility identification number (a letter other than O or a digit 1-9, then 4 digits)", b.FIN)
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
