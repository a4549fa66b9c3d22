package server

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/isbt128"
	"github.com/cordbank/cordbank/internal/label"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// labels serves LabelService: scans are read here (bank/isbt128), the
// domain finds the unit and records each label issued, internal/label
// draws it.
type labels struct {
	pb.UnimplementedLabelServiceServer
	svc *bank.Service
}

func (l *labels) LookupScan(ctx context.Context, req *pb.LookupScanRequest) (*pb.LookupScanResponse, error) {
	scan, err := readScan(req.GetScan())
	if err != nil {
		return nil, err
	}
	d := scan.Donation()
	if d == nil {
		return nil, invalid("scan", errors.New("the scan holds no Donation Identification Number (a structure starting = and a letter or digit): scan the DIN barcode"))
	}
	u, err := l.svc.LookupUnit(ctx, d.DIN)
	if err != nil {
		return nil, err
	}
	return &pb.LookupScanResponse{Unit: unitToProto(u), Structures: structuresToProto(scan)}, nil
}

// readScan parses a scan; a bad one is INVALID_ARGUMENT on `scan` with the
// structure and offset in the metadata.
func readScan(s string) (*isbt128.Scan, error) {
	if s == "" {
		return nil, invalid("scan", errors.New("scan is required"))
	}
	scan, err := isbt128.Parse(s)
	var pe *isbt128.Error
	if errors.As(err, &pe) {
		var v bank.Violations
		v.Add("scan", "%s", pe.Error())
		e := v.Err("the scan is not ISBT 128").(*bank.Error)
		e.Metadata = map[string]string{"offset": strconv.Itoa(pe.Offset), "structure": pe.Structure}
		return nil, e
	}
	return scan, err
}

func structuresToProto(s *isbt128.Scan) []*pb.ScannedStructure {
	out := make([]*pb.ScannedStructure, 0, len(s.Structures))
	for _, st := range s.Structures {
		f := map[string]string{}
		switch {
		case st.Donation != nil:
			f["din"], f["flags"], f["flag_meaning"], f["check_character"] = string(st.Donation.DIN), st.Donation.Flags, st.Donation.FlagMeaning(), string(st.Donation.CheckChar)
		case st.BloodGroup != nil:
			f["abo"], f["rh"], f["intended_use"] = string(st.BloodGroup.ABO), string(st.BloodGroup.Rh), string(st.BloodGroup.Use)
		case st.Product != nil:
			f["product_description_code"], f["product_family"], f["division"] = st.Product.PDC, st.Product.Family, st.Product.Division
			if st.Product.CollectionType != 0 {
				f["collection_type"] = string(st.Product.CollectionType)
			}
		case st.Compound != nil:
			f["count"], f["message"] = strconv.Itoa(st.Compound.Count), st.Compound.Message
		case !st.Time.IsZero():
			f["time"] = st.Time.Format(time.RFC3339)
		}
		for k, v := range f {
			if v == "" {
				delete(f, k)
			}
		}
		out = append(out, &pb.ScannedStructure{Number: int32(st.Number), Identifier: st.Identifier, Name: st.Name,
			Offset: int32(st.Offset), Content: st.Content, Retired: st.Retired, Fields: f})
	}
	return out
}

func (l *labels) PrintLabel(ctx context.Context, req *pb.PrintLabelRequest) (*pb.Label, error) {
	return l.issue(ctx, req.GetName(), req.GetKind(), req.GetFormat(), req.GetProductDescriptionCode(), req.GetBag(), false, "", req.GetRequestId())
}

func (l *labels) ReprintLabel(ctx context.Context, req *pb.ReprintLabelRequest) (*pb.Label, error) {
	return l.issue(ctx, req.GetName(), req.GetKind(), req.GetFormat(), req.GetProductDescriptionCode(), req.GetBag(), true, req.GetReason(), req.GetRequestId())
}

var labelFormats = map[pb.LabelFormat]struct {
	name, contentType string
	render            func(*label.Data) ([]byte, error)
}{
	pb.LabelFormat_LABEL_FORMAT_ZPL: {"ZPL", "application/vnd.zebra.zpl", label.ZPL},
	pb.LabelFormat_LABEL_FORMAT_PNG: {"PNG", "image/png", func(d *label.Data) ([]byte, error) {
		b, _, err := label.PNG(d)
		return b, err
	}},
	pb.LabelFormat_LABEL_FORMAT_PDF: {"PDF", "application/pdf", label.PDF},
}

func (l *labels) issue(ctx context.Context, name string, kind pb.LabelKind, format pb.LabelFormat, pdc string, bag int32, reprint bool, reason, requestID string) (*pb.Label, error) {
	var v bank.Violations
	bankID, din, err := parseUnitName(name)
	if err != nil {
		v.Add("name", "%v", err)
	}
	f, ok := labelFormats[format]
	if !ok {
		v.Add("format", "format must be LABEL_FORMAT_ZPL, LABEL_FORMAT_PNG or LABEL_FORMAT_PDF")
	}
	if _, err := isbt128.EncodeProduct(pdc, 'V', "00"); err != nil {
		v.Add("product_description_code", "%v", err)
	}
	r := bank.LabelRequest{Bank: bankID, DIN: din, Kind: labelKindFromProto(kind), Bag: int(bag), Format: f.name, Reprint: reprint, Reason: reason, RequestID: requestID}
	r.Check(&v)
	if err := v.Err("invalid label request"); err != nil {
		return nil, err
	}
	iss, err := l.svc.IssueLabel(ctx, r)
	if err != nil {
		return nil, err
	}
	d, err := label.New(iss, pdc)
	if err != nil {
		return nil, err
	}
	content, err := f.render(d)
	if err != nil {
		return nil, bank.Internal(err, "rendering the label of %s", iss.Unit.Name())
	}
	out := &pb.Label{Unit: iss.Unit.Name(), Kind: kind, Bag: int32(iss.Bag), Format: format, ContentType: f.contentType,
		Content: content, Copy: int32(iss.Copy)}
	for _, b := range d.Barcodes() {
		out.Barcodes = append(out.Barcodes, &pb.LabelBarcode{Symbology: b.Symbology, Data: b.Data})
	}
	return out, nil
}

func labelKindFromProto(k pb.LabelKind) bank.LabelKind {
	switch k {
	case pb.LabelKind_LABEL_KIND_BAG:
		return bank.LabelBag
	case pb.LabelKind_LABEL_KIND_SEGMENT:
		return bank.LabelSegment
	}
	return bank.LabelKind(k.String())
}
