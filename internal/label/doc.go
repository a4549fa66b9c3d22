// Package label renders a unit's ISBT 128 bag and segment labels as ZPL
// (Zebra printers), PNG and PDF.
//
// One layout, in millimetres, serves the three formats: a 100 × 100 mm
// bag label in the four ISBT 128 quadrants (DIN, ABO/RhD, product code,
// collection date, each as Code 128 with its text), a DataMatrix compound
// message holding all four, and the unit type, volume, bank and bag in
// text; a 76 × 25 mm segment label with the DIN as Code 128, its
// eye-readable number with the boxed check character, and ABO/RhD and
// product in text. Barcodes are drawn with whole modules (no resampling),
// so they read back exactly; PNG is 300 dpi, ZPL 203 dpi (8 dots/mm).
//
// What goes on the label comes from the domain (bank.LabelIssue) and the
// strings from bank/isbt128; this package only draws. It depends on
// github.com/boombuler/barcode (symbols), github.com/go-pdf/fpdf (PDF) and
// golang.org/x/image (the Go fonts for PNG text), never on the server or
// the store.
package label
