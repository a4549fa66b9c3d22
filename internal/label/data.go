package label

import (
	"fmt"
	"strconv"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/isbt128"
	"github.com/cordbank/cordbank/bank/unit"
)

// Data is what one label shows.
type Data struct {
	Kind bank.LabelKind
	DIN  unit.DIN
	// Flags are the DIN flags: the container flag of bag k of a multi-bag
	// unit, else "00".
	Flags string
	// The ISBT 128 structures, each with its data identifier.
	DINCode, ProductCode, BloodGroupCode, CollectionCode string
	// Text lines.
	BloodGroup     string // "O RhD positive"
	UnitType       string // "Public (volunteer allogeneic)"
	Volume         string // "25 mL frozen"
	CollectionDate string // "2024-02-01"
	Bank           string // "NYBC (FIN G1234)"
	Bag, Bags      int
	Copy           int
}

// Barcode is one symbol of a label and the data it encodes.
type Barcode struct {
	Symbology string // "code128" or "datamatrix"
	Data      string
}

// New builds a label's data from an issued label and the product's
// Product Description Code (5 characters); it refuses a malformed PDC.
func New(issue *bank.LabelIssue, pdc string) (*Data, error) {
	u := issue.Unit
	d := &Data{Kind: issue.Kind, DIN: u.DIN, Flags: "00", Bag: issue.Bag, Bags: max(u.Bags, 1), Copy: issue.Copy}
	if d.Bags > 1 {
		d.Flags = isbt128.ContainerFlags(issue.Bag)
	}
	d.DINCode = isbt128.EncodeDIN(u.DIN, d.Flags)
	var err error
	if d.ProductCode, err = isbt128.EncodeProduct(pdc, isbt128.CollectionTypeOf(u.Type), "00"); err != nil {
		return nil, err
	}
	d.BloodGroupCode, _ = isbt128.EncodeBloodGroup(u.ABO, u.Rh, isbt128.IntendedUseOf(u.Type))
	d.BloodGroup = string(u.ABO) + " RhD " + map[bank.Rh]string{bank.RhPositive: "positive", bank.RhNegative: "negative"}[u.Rh]
	if !u.CollectionDate.IsZero() {
		d.CollectionDate = u.CollectionDate.String()
		if d.CollectionCode, err = isbt128.EncodeDate("=*", u.CollectionDate.Time()); err != nil {
			return nil, err
		}
	}
	d.UnitType = map[bank.UnitType]string{bank.UnitTypePublic: "PUBLIC (volunteer allogeneic)",
		bank.UnitTypeAutologous: "AUTOLOGOUS USE ONLY", bank.UnitTypeDirected: "DIRECTED (family) USE ONLY"}[u.Type]
	switch {
	case u.FrozenVolumeML > 0:
		d.Volume = strconv.FormatFloat(u.FrozenVolumeML, 'f', -1, 64) + " mL frozen"
	case u.CollectionVolumeML > 0:
		d.Volume = strconv.FormatFloat(u.CollectionVolumeML, 'f', -1, 64) + " mL collected"
	}
	name := issue.Bank.DisplayName
	if name == "" {
		name = issue.Bank.ID
	}
	d.Bank = fmt.Sprintf("%s (FIN %s)", name, u.DIN.FIN())
	return d, nil
}

// Barcodes returns the label's symbols in drawing order.
func (d *Data) Barcodes() []Barcode {
	if d.Kind == bank.LabelSegment {
		return []Barcode{{"code128", d.DINCode}, {"datamatrix", d.Compound()}}
	}
	out := []Barcode{{"code128", d.DINCode}}
	if d.BloodGroupCode != "" {
		out = append(out, Barcode{"code128", d.BloodGroupCode})
	}
	out = append(out, Barcode{"code128", d.ProductCode})
	if d.CollectionCode != "" {
		out = append(out, Barcode{"code128", d.CollectionCode})
	}
	return append(out, Barcode{"datamatrix", d.Compound()})
}

// Compound is the DataMatrix content: every structure of the label as one
// ISBT 128 compound message.
func (d *Data) Compound() string {
	parts := []string{d.DINCode, d.ProductCode}
	for _, s := range []string{d.BloodGroupCode, d.CollectionCode} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return isbt128.EncodeCompound(parts...)
}

// EyeReadableDIN is the DIN as printed: groups, flags, boxed check
// character drawn separately.
func (d *Data) EyeReadableDIN() string {
	s := string(d.DIN)
	return s[:5] + " " + s[5:7] + " " + s[7:]
}

// Footer is the label's last lines: bag, copy.
func (d *Data) Footer() string {
	s := fmt.Sprintf("Bag %d of %d", d.Bag, d.Bags)
	if d.Kind == bank.LabelSegment {
		s = "Segment of bag " + strconv.Itoa(d.Bag)
	}
	if d.Copy > 1 {
		s += fmt.Sprintf("   REPRINT copy %d", d.Copy)
	}
	return s
}
