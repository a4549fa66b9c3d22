package isbt128

import (
	"fmt"
	"strconv"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/unit"
)

// FlagMeaning says what DIN flag characters mean (ST-001 Table RT004).
func FlagMeaning(flags string) string {
	n, err := strconv.Atoi(flags)
	if err != nil || len(flags) != 2 {
		return "reserved for future assignment"
	}
	switch {
	case n == 0:
		return "flag not used"
	case n >= 1 && n <= 4:
		return fmt.Sprintf("container %d of a set", n)
	case n >= 15 && n <= 19:
		return fmt.Sprintf("container %d of a set", n-10)
	case n >= 5 && n <= 13:
		return [...]string{"second (or repeated) demand-printed label", "pilot tube label", "test tube label",
			"donor record label", "sample tube for NAT testing", "samples for bacterial testing",
			"match with unit label", "affixed partial label", "attached label"}[n-5]
	case n >= 20 && n <= 59:
		return "locally defined (interpreted only by the facility of the FIN)"
	case n >= 60 && n <= 96:
		return "ISO/IEC 7064 Mod 37-2 check (Type 3 flag)"
	}
	return "reserved for future assignment"
}

// ContainerFlags returns the DIN flags of container k (1-9) of a set, the
// flags a multi-bag unit's bags carry (Table RT004), or "00" outside 1-9.
func ContainerFlags(k int) string {
	switch {
	case k >= 1 && k <= 4:
		return fmt.Sprintf("%02d", k)
	case k >= 5 && k <= 9:
		return fmt.Sprintf("%02d", k+10)
	}
	return "00"
}

// Type3Flags returns the Type 3 flags of din: 60 plus its Mod 37-2 checksum.
func Type3Flags(din unit.DIN) string { return strconv.Itoa(60 + din.CheckValue()) }

// IntendedUse is the collection-type column of Table RT005 a blood group
// code carries.
type IntendedUse string

// The intended uses of Table RT005, in its column order.
const (
	UseNotSpecified                IntendedUse = "intended use not specified"
	UseDirectedOnly                IntendedUse = "directed collection use only"
	UseEmergencyOnly               IntendedUse = "for emergency use only"
	UseDirectedBiohazardous        IntendedUse = "directed collection, biohazardous"
	UseDirectedEligibleCrossover   IntendedUse = "directed collection, eligible for crossover"
	UseAutologousEligibleCrossover IntendedUse = "autologous collection, eligible for crossover"
	UseAutologousOnly              IntendedUse = "for autologous use only"
	UseAutologousBiohazardous      IntendedUse = "for autologous use only, biohazardous"
)

var intendedUses = [8]IntendedUse{UseNotSpecified, UseDirectedOnly, UseEmergencyOnly, UseDirectedBiohazardous,
	UseDirectedEligibleCrossover, UseAutologousEligibleCrossover, UseAutologousOnly, UseAutologousBiohazardous}

// bloodGroupRows are the ABO/RhD rows of Table RT005: one code per
// intended use, in intendedUses order. Rows without an Rh are ABO only.
var bloodGroupRows = []struct {
	abo   bank.ABO
	rh    bank.Rh
	codes [8]string
}{
	{bank.ABOO, bank.RhNegative, [8]string{"95", "91", "92", "93", "94", "96", "97", "98"}},
	{bank.ABOO, bank.RhPositive, [8]string{"51", "47", "48", "49", "50", "52", "53", "54"}},
	{bank.ABOA, bank.RhNegative, [8]string{"06", "02", "03", "04", "05", "07", "08", "09"}},
	{bank.ABOA, bank.RhPositive, [8]string{"62", "58", "59", "60", "61", "63", "64", "65"}},
	{bank.ABOB, bank.RhNegative, [8]string{"17", "13", "14", "15", "16", "18", "19", "20"}},
	{bank.ABOB, bank.RhPositive, [8]string{"73", "69", "70", "71", "72", "74", "75", "76"}},
	{bank.ABOAB, bank.RhNegative, [8]string{"28", "24", "25", "26", "27", "29", "30", "31"}},
	{bank.ABOAB, bank.RhPositive, [8]string{"84", "80", "81", "82", "83", "85", "86", "87"}},
	{bank.ABOO, "", [8]string{"55", "P2", "P3", "P4", "P5", "P7", "P8", "P9"}},
	{bank.ABOA, "", [8]string{"66", "A2", "A3", "A4", "A5", "A7", "A8", "A9"}},
	{bank.ABOB, "", [8]string{"77", "B2", "B3", "B4", "B5", "B7", "B8", "B9"}},
	{bank.ABOAB, "", [8]string{"88", "C2", "C3", "C4", "C5", "C7", "C8", "C9"}},
}

type bloodGroupEntry struct {
	abo bank.ABO
	rh  bank.Rh
	use IntendedUse
}

var bloodGroupByCode = func() map[string]bloodGroupEntry {
	m := map[string]bloodGroupEntry{}
	for _, r := range bloodGroupRows {
		for i, c := range r.codes {
			m[c] = bloodGroupEntry{r.abo, r.rh, intendedUses[i]}
		}
	}
	return m
}()

// BloodGroup is a decoded Blood Groups [ABO and RhD] structure (002).
type BloodGroup struct {
	// Code is gg as sent.
	Code string
	// ABO and Rh are the group the code names; both "" for a code outside
	// the ABO/RhD rows of Table RT005 (special messages, Bombay and
	// para-Bombay phenotypes), which is kept as Code. Rh is "" for the
	// ABO-only rows.
	ABO bank.ABO
	Rh  bank.Rh
	Use IntendedUse
	// Phenotype is r: Rh, Kell or Mi(a) phenotype code (Table RT007), '0'
	// when none is given.
	Phenotype byte
}

func decodeBloodGroup(c string) *BloodGroup {
	bg := &BloodGroup{Code: c[:2], Phenotype: c[2]}
	if e, ok := bloodGroupByCode[bg.Code]; ok {
		bg.ABO, bg.Rh, bg.Use = e.abo, e.rh, e.use
	}
	return bg
}

// BloodGroupCode returns the gg code of Table RT005 for a group and
// intended use, false when the table has none (an unknown ABO or use).
func BloodGroupCode(abo bank.ABO, rh bank.Rh, use IntendedUse) (string, bool) {
	for _, r := range bloodGroupRows {
		if r.abo != abo || r.rh != rh {
			continue
		}
		for i, u := range intendedUses {
			if u == use {
				return r.codes[i], true
			}
		}
	}
	return "", false
}

// Product is a decoded Product Code (structure 003).
type Product struct {
	// PDC is the Product Description Code αoooo, looked up in ICCBBA's
	// licensed PDC database (not here).
	PDC string
	// Family is the kind of product α names: "cellular therapy" for S
	// (HPC, Cord Blood is one).
	Family string
	// CollectionType is t for families that carry one (blood, cellular
	// therapy, ...), 0 otherwise; see CollectionTypeMeaning.
	CollectionType byte
	// Division is ds ("00" undivided, "99" see Product Divisions [032]),
	// or the three-character tds division/pack code of families without a
	// collection type.
	Division string
}

var productFamilies = map[byte]string{
	'E': "blood components", 'F': "blood components", 'H': "MPHO with INN and/or USAN names",
	'M': "other therapies", 'N': "organs", 'P': "regenerated tissue", 'R': "reproductive tissue and cells",
	'S': "cellular therapy", 'T': "tissues", 'V': "ocular tissue", 'W': "fecal microbiota",
	'X': "other blood products", 'Y': "clinical trials",
	'A': "national or local code", 'B': "national or local code", 'C': "national or local code", 'D': "local (facility) code",
}

func decodeProduct(c string) *Product {
	p := &Product{PDC: c[:5], Family: productFamilies[c[0]]}
	if p.Family == "" {
		p.Family = "not assigned"
	}
	switch c[0] {
	case 'E', 'F', 'H', 'S', 'P', 'Y':
		p.CollectionType, p.Division = c[5], c[6:]
	case 'X':
		if c[1] == '0' { // plasma derivatives carry a collection type
			p.CollectionType, p.Division = c[5], c[6:]
		} else {
			p.Division = c[5:]
		}
	default:
		p.Division = c[5:]
	}
	return p
}

// Code returns the product's 8-character data content.
func (p *Product) Code() string {
	if p.CollectionType == 0 {
		return p.PDC + p.Division
	}
	return p.PDC + string(p.CollectionType) + p.Division
}

// CollectionTypeMeaning says what a collection type code t means (Table
// RT008, the values domain.md §1.3 lists), "" for other codes.
func CollectionTypeMeaning(t byte) string {
	switch t {
	case '0':
		return "not specified"
	case 'V':
		return "volunteer allogeneic"
	case '1':
		return "for autologous use only"
	case 'A':
		return "autologous, eligible for crossover"
	case 'D':
		return "volunteer directed, eligible for crossover"
	case '2':
		return "for directed recipient use only"
	case 'F':
		return "family reserved"
	case '4':
		return "designated"
	case '5':
		return "dedicated"
	}
	return ""
}

// CollectionTypeOf returns the collection type code of a unit type
// (domain.md §1.3): public V, autologous 1, directed (family) 2.
func CollectionTypeOf(t bank.UnitType) byte {
	switch t {
	case bank.UnitTypeAutologous:
		return '1'
	case bank.UnitTypeDirected:
		return '2'
	}
	return 'V'
}

// IntendedUseOf returns the blood group intended use of a unit type.
func IntendedUseOf(t bank.UnitType) IntendedUse {
	switch t {
	case bank.UnitTypeAutologous:
		return UseAutologousOnly
	case bank.UnitTypeDirected:
		return UseDirectedOnly
	}
	return UseNotSpecified
}

// centuryYear turns the c and yy of cyyjjj into a year (see the package
// doc on century digits).
func centuryYear(c byte, yy string) (int, error) {
	y, _ := strconv.Atoi(yy)
	switch c {
	case '0':
		return 2000 + y, nil
	case '9':
		return 1900 + y, nil
	}
	return 0, fmt.Errorf("century digit %q is out of range: 0 is 20yy, 9 is 19yy", c)
}

// julianTime decodes cyyjjj or cyyjjjhhmm.
func julianTime(c string) (time.Time, error) {
	year, err := centuryYear(c[0], c[1:3])
	if err != nil {
		return time.Time{}, err
	}
	day, _ := strconv.Atoi(c[3:6])
	days := 365
	if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 366
	}
	if day < 1 || day > days {
		return time.Time{}, fmt.Errorf("day of year %s is not in 001-%03d of %d", c[3:6], days, year)
	}
	hour, minute := 0, 0
	if len(c) == 10 {
		if hour, minute, err = clock(c[6:10]); err != nil {
			return time.Time{}, err
		}
	}
	return time.Date(year, 1, day, hour, minute, 0, 0, time.UTC), nil
}

func clock(hhmm string) (int, int, error) {
	h, _ := strconv.Atoi(hhmm[:2])
	m, _ := strconv.Atoi(hhmm[2:])
	if h > 23 || m > 59 {
		return 0, 0, fmt.Errorf("time %s is not a time of day (0000-2359)", hhmm)
	}
	return h, m, nil
}

// calendarTime decodes YYYY MM DD hhmm, refusing dates that do not exist.
func calendarTime(yyyy, mm, dd, hhmm string) (time.Time, error) {
	y, _ := strconv.Atoi(yyyy)
	m, _ := strconv.Atoi(mm)
	d, _ := strconv.Atoi(dd)
	h, mi, err := clock(hhmm)
	if err != nil {
		return time.Time{}, err
	}
	t := time.Date(y, time.Month(m), d, h, mi, 0, 0, time.UTC)
	if y == 0 || m < 1 || m > 12 || t.Day() != d {
		return time.Time{}, fmt.Errorf("%s-%s-%s is not a date", yyyy, mm, dd)
	}
	return t, nil
}
