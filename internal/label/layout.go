package label

import "github.com/cordbank/cordbank/bank"

type elementKind int

const (
	code128 elementKind = iota
	dataMatrix
	text
	checkBox // a character in a square, as the DIN's check character K is printed
)

// element is one thing drawn on a label. Positions and sizes are in
// millimetres from the top-left corner. For barcodes w and h bound the
// symbol (it is drawn in whole modules, at most that size); for text and
// check boxes h is the font size.
type element struct {
	kind       elementKind
	x, y, w, h float64
	data       string
	bold       bool
}

// layout places d's elements; it returns the label's size in mm.
func layout(d *Data) (width, height float64, els []element) {
	if d.Kind == bank.LabelSegment {
		return 76, 25, []element{
			{kind: code128, x: 3, y: 2, w: 50, h: 10, data: d.DINCode},
			{kind: text, x: 3, y: 14, h: 3.5, data: d.EyeReadableDIN() + "  " + d.Flags, bold: true},
			{kind: checkBox, x: 45, y: 13.5, h: 4, data: string(d.DIN.CheckChar())},
			{kind: text, x: 3, y: 19.5, h: 2.6, data: d.BloodGroup + "   " + d.ProductCode[2:]},
			{kind: text, x: 3, y: 22.5, h: 2, data: d.Footer()},
			{kind: dataMatrix, x: 57, y: 3, w: 17, h: 17, data: d.Compound()},
		}
	}
	els = []element{
		// Upper left: the DIN.
		{kind: code128, x: 4, y: 4, w: 44, h: 14, data: d.DINCode},
		{kind: text, x: 4, y: 21, h: 3.6, data: d.EyeReadableDIN() + "  " + d.Flags, bold: true},
		{kind: checkBox, x: 42.5, y: 20.2, h: 4.2, data: string(d.DIN.CheckChar())},
		{kind: text, x: 4, y: 29, h: 2.8, data: d.Bank},
		// Upper right: ABO/RhD.
		{kind: text, x: 54, y: 21, h: 12, data: string(bankABO(d)), bold: true},
		{kind: text, x: 54, y: 36, h: 4, data: d.BloodGroup[len(bankABO(d))+1:], bold: true},
		// Lower left: the product.
		{kind: code128, x: 4, y: 54, w: 44, h: 14, data: d.ProductCode},
		{kind: text, x: 4, y: 71, h: 3, data: "HPC, CORD BLOOD  " + d.ProductCode[2:], bold: true},
		{kind: text, x: 4, y: 77, h: 2.8, data: d.UnitType},
		{kind: text, x: 4, y: 82, h: 2.8, data: d.Volume},
		// Lower right: collection date and the compound message.
		{kind: text, x: 54, y: 71, h: 3, data: "Collected " + d.CollectionDate},
		{kind: dataMatrix, x: 72, y: 76, w: 20, h: 20, data: d.Compound()},
		{kind: text, x: 4, y: 93, h: 2.8, data: d.Footer(), bold: d.Copy > 1},
	}
	if d.BloodGroupCode != "" {
		els = append(els, element{kind: code128, x: 54, y: 4, w: 40, h: 14, data: d.BloodGroupCode})
	}
	if d.CollectionCode != "" {
		els = append(els, element{kind: code128, x: 54, y: 54, w: 40, h: 14, data: d.CollectionCode})
	}
	return 100, 100, els
}

func bankABO(d *Data) string {
	for i := 0; i < len(d.BloodGroup); i++ {
		if d.BloodGroup[i] == ' ' {
			return d.BloodGroup[:i]
		}
	}
	return d.BloodGroup
}
