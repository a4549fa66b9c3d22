// Package isbt128 reads and writes what an ISBT 128 barcode carries: the
// data structures a scanner sends from a cord blood bag, a segment or a
// form, and the strings a label prints.
//
// A scan is one or more data structures written back to back, each
// starting with its data identifier: a first character "=" or "&", a
// second character, and for the "&," family a third. Parse reads a scan
// into Structures, checks each structure's length and character classes,
// and decodes the ones a cord blood bank acts on:
//
//	001 Donation Identification Number  =αppppyynnnnnnff  DIN, flags (with Type 3 check flags verified), check character
//	002 Blood Groups [ABO and RhD]      =%ggre            ABO, RhD and intended use (Table RT005, the ABO/RhD rows)
//	003 Product Code                    =<αooootds        PDC, product family, collection type, division
//	004 Expiration Date                 =>cyyjjj
//	005 Expiration Date and Time        &>cyyjjjhhmm
//	006 Collection Date                 =*cyyjjj
//	007 Collection Date and Time        &*cyyjjjhhmm
//	008 Production Date                 =}cyyjjj
//	009 Production Date and Time        &}cyyjjjhhmm
//	023 Compound Message                =+aabbb           the count of structures that follow is enforced
//	024 Patient Date of Birth           =#aayyyymmdd
//	026 Expiration Month and Year       =]yyyymm
//	031 Flexible Date and Time          =(ZUTTYYYYMMDDhhmm
//
// and recognises, with length and character classes checked and the data
// content kept as sent: 010, 012, 013, 014, 017, 018, 019, 020, 021, 022,
// 025 (length-prefixed), 027, 028, 029 and 030 (repeating segments), 032,
// 033, 034, 035, 036, 038, 039, 040, and the retired 011, 015, 016 and 037
// (marked Retired). Non-ICCBBA structures (&a to &z, &; and &!) have no
// published length: outside a compound message the rest of the scan, up to
// the next separator, is kept as their opaque content; inside one they are
// an error, as ST-001 §2.5.1 forbids them there.
//
// The structure list, lengths and character classes are those of ISBT 128
// Standard Technical Specification ST-001 v6.2.2, Table 2 [RT003] and
// §2.4, as summarised in ../shared/docs/domain.md §1.2-1.3 and
// ../shared/docs/anchors-2.md §6. The licensed ICCBBA tables (Product
// Description Codes, facility FINs, compound message sequences RT017,
// special testing codes) are not public: codes that refer to them are kept
// as codes, never interpreted.
//
// Century digits: ST-001 leaves the c of cyyjjj to year arithmetic
// unspelled; ICCBBA's worked SEC example (ST-012 §6.2, &>0183652359 =
// 2018-12-31) counts centuries from 2000, so c = 0 is 20yy. Cord blood is
// kept for decades and banks relabel units collected before 2000, so c = 9
// is read as 19yy; 1-8 are 2100-2800 and refused as out of range.
//
// Scanners: leading AIM symbology identifiers ("]C0" for Code 128, "]d1"
// and "]d2" for DataMatrix) are skipped, and spaces, tabs and line breaks
// between structures (a scanner's suffix, several scans pasted together)
// separate structures. Every error is an *Error that names the structure
// and the character offset (0-based, in the string as given) where it went
// wrong.
//
// The package is pure: standard library, bank and bank/unit only. The DIN
// and its ISO/IEC 7064 Mod 37-2 check are bank/unit's (unit.ParseDIN,
// unit.DIN.CheckValue), not redone here.
package isbt128
