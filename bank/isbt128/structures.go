package isbt128

// Data structure numbers (ST-001 Table 2) of the structures this package
// decodes or refers to by name.
const (
	DonationIdentificationNumber = 1
	BloodGroups                  = 2
	ProductCodeStructure         = 3
	ExpirationDate               = 4
	ExpirationDateTime           = 5
	CollectionDate               = 6
	CollectionDateTime           = 7
	ProductionDate               = 8
	ProductionDateTime           = 9
	CompoundMessage              = 23
	PatientDateOfBirth           = 24
	ExpirationMonthYear          = 26
	FlexibleDateTime             = 31
	ProductDivisions             = 32
	GlobalRegistrationIdentifier = 39
	ChainOfIdentityIdentifier    = 40
)

// spec is one data structure of ST-001 Table 2.
type spec struct {
	number int
	id     string // data identifier; for the DIN only "=" (α is content)
	name   string
	// pattern is the content's character classes, one per character (see
	// classOK); "" for variable-length structures (see variable).
	pattern string
	retired bool
	// variable reads the length of a variable-length structure from the
	// start of its content: header is the count field's length, each the
	// length per counted item (0 for a length-prefixed text).
	header, each int
}

// The character classes of patterns:
//
//	9  digit
//	X  A-Z or 0-9
//	x  A-Z, a-z or 0-9
//	L  A-Z
//	l  a-z or 0-9
//	F  A-N, P-Z or 1-9 (first FIN character)
//	G  A-N, P-Z or 0-9
//	C  the literal "C", H the literal "H" (structure 040)
func classOK(class, c byte) bool {
	digit := c >= '0' && c <= '9'
	upper := c >= 'A' && c <= 'Z'
	lower := c >= 'a' && c <= 'z'
	switch class {
	case '9':
		return digit
	case 'X':
		return digit || upper
	case 'x':
		return digit || upper || lower
	case 'L':
		return upper
	case 'l':
		return digit || lower
	case 'F':
		return (upper && c != 'O') || (digit && c != '0')
	case 'G':
		return (upper && c != 'O') || digit
	case 'C', 'H':
		return c == class
	}
	return false
}

func className(class byte) string {
	switch class {
	case '9':
		return "a digit"
	case 'X':
		return "an upper-case letter or digit"
	case 'x':
		return "a letter or digit"
	case 'L':
		return "an upper-case letter"
	case 'l':
		return "a lower-case letter or digit"
	case 'F':
		return "a letter A-N, P-Z or a digit 1-9"
	case 'G':
		return "a letter A-N, P-Z or a digit"
	}
	return "the letter " + string(class)
}

// specs lists every structure of ST-001 v6.2.2 Table 2, in order.
var specs = []spec{
	{number: 1, id: "=", name: "Donation Identification Number", pattern: "F9999" + "99" + "999999" + "XX"},
	{number: 2, id: "=%", name: "Blood Groups [ABO and RhD]", pattern: "xxXX"},
	{number: 3, id: "=<", name: "Product Code", pattern: "LXXXX" + "xXl"},
	{number: 4, id: "=>", name: "Expiration Date", pattern: "999999"},
	{number: 5, id: "&>", name: "Expiration Date and Time", pattern: "9999999999"},
	{number: 6, id: "=*", name: "Collection Date", pattern: "999999"},
	{number: 7, id: "&*", name: "Collection Date and Time", pattern: "9999999999"},
	{number: 8, id: "=}", name: "Production Date", pattern: "999999"},
	{number: 9, id: "&}", name: "Production Date and Time", pattern: "9999999999"},
	{number: 10, id: "&(", name: "Special Testing: General", pattern: "XXXXX"},
	{number: 11, id: "={", name: "Special Testing: Red Blood Cell Antigens", pattern: repeat('X', 18), retired: true},
	{number: 12, id: "=\\", name: "Special Testing: Red Blood Cell Antigens - General", pattern: repeat('X', 18)},
	{number: 13, id: "&\\", name: "Special Testing: Red Blood Cell Antigens - Finnish", pattern: repeat('X', 18)},
	{number: 14, id: "&{", name: "Special Testing: Platelet HLA and Platelet Specific Antigens", pattern: repeat('X', 18)},
	{number: 15, id: "=[", name: "Special Testing: HLA-A and -B Alleles", pattern: repeat('9', 18), retired: true},
	{number: 16, id: "=\"", name: "Special Testing: HLA-DRB1 Alleles", pattern: repeat('9', 18), retired: true},
	{number: 17, id: "=)", name: "Container Manufacturer and Catalog Number", pattern: "xXX" + repeat('x', 7)},
	{number: 18, id: "&)", name: "Container Lot Number", pattern: repeat('x', 10)},
	{number: 19, id: "=;", name: "Donor Identification Number", pattern: "FGG99" + repeat('9', 16)},
	{number: 20, id: "='", name: "Staff Member Identification Number", pattern: "FGG99" + "XXXXXX"},
	{number: 21, id: "=-", name: "Manufacturer and Catalog Number: Items Other Than Containers", pattern: "XX" + repeat('x', 8)},
	{number: 22, id: "&-", name: "Lot Number: Items Other Than Containers", pattern: repeat('x', 10)},
	{number: 23, id: "=+", name: "Compound Message", pattern: "99999"},
	{number: 24, id: "=#", name: "Patient Date of Birth", pattern: repeat('9', 10)},
	{number: 25, id: "&#", name: "Patient Identification Number", header: 4, each: 0},
	{number: 26, id: "=]", name: "Expiration Month and Year", pattern: "999999"},
	{number: 27, id: "&\"", name: "Transfusion Transmitted Infection Marker", pattern: repeat('9', 18)},
	{number: 28, id: "=$", name: "Product Consignment", pattern: "FGG99" + "99" + "99999" + "99" + "99"},
	{number: 29, id: "&$", name: "Dimensions", header: 2, each: 14},
	{number: 30, id: "&%", name: "Red Cell Antigens with Test History", header: 3, each: 10},
	{number: 31, id: "=(", name: "Flexible Date and Time", pattern: repeat('9', 16)},
	{number: 32, id: "=,", name: "Product Divisions", pattern: "XXXXXX"},
	{number: 33, id: "&+", name: "Processing Facility Information Code", pattern: "GGGGG" + "XXXXXX"},
	{number: 34, id: "=/", name: "Processor Product Identification Code", pattern: "GGGGG" + "XXXXXX" + "XXXXX"},
	{number: 35, id: "&,1", name: "MPHO Lot Number", pattern: repeat('X', 18)},
	{number: 36, id: "&,2", name: "MPHO Supplemental Identification Number", pattern: repeat('X', 18)},
	{number: 37, id: "&,3", name: "Global Registration Identifier for Donors (retired)", pattern: "9999" + repeat('X', 15), retired: true},
	{number: 38, id: "&,4", name: "Single European Code", pattern: repeat('x', 40)},
	{number: 39, id: "&:", name: "Global Registration Identifier for Donors", pattern: "9999" + repeat('X', 13) + "99"},
	{number: 40, id: "&/", name: "Chain of Identity Identifier", pattern: "CH" + "FGG99" + "99" + "XXXXXX"},
}

func repeat(c byte, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

// byID indexes specs by data identifier.
var byID = func() map[string]*spec {
	m := make(map[string]*spec, len(specs))
	for i := range specs {
		m[specs[i].id] = &specs[i]
	}
	return m
}()

// Name returns the name of data structure number n ("" when unknown).
func Name(n int) string {
	for i := range specs {
		if specs[i].number == n {
			return specs[i].name
		}
	}
	return ""
}
