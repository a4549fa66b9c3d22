package label_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/draw"
	"image/png"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zdatamatrix "github.com/makiuchi-d/gozxing/datamatrix"
	"github.com/makiuchi-d/gozxing/oned"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/isbt128"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/label"
)

func issue(kind bank.LabelKind, bag, bags int, typ bank.UnitType) *bank.LabelIssue {
	return &bank.LabelIssue{
		Unit: &bank.Unit{Bank: "nybc", DIN: "G123498654321", Type: typ, ABO: bank.ABOAB, Rh: bank.RhNegative,
			CollectionDate: unit.Date{Year: 2024, Month: 2, Day: 1}, CollectionVolumeML: 82, FrozenVolumeML: 25, Bags: bags},
		Bank: &bank.Bank{ID: "nybc", DisplayName: "New York Blood Center", FIN: "G1234"},
		Kind: kind, Bag: bag, Copy: 1,
	}
}

// decode reads the barcode in area r of the PNG.
func decode(t *testing.T, img image.Image, symbology string, r image.Rectangle) string {
	t.Helper()
	sub := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(r)
	bmp, err := gozxing.NewBinaryBitmapFromImage(sub)
	if err != nil {
		t.Fatal(err)
	}
	hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
	var reader gozxing.Reader = oned.NewCode128Reader()
	if symbology == "datamatrix" {
		reader = zdatamatrix.NewDataMatrixReader()
		hints[gozxing.DecodeHintType_PURE_BARCODE] = true
	}
	res, err := reader.Decode(bmp, hints)
	if err != nil {
		t.Fatalf("decoding the %s at %v: %v", symbology, r, err)
	}
	return res.GetText()
}

func TestPNGBarcodesDecodeToTheirData(t *testing.T) {
	for _, tc := range []struct {
		name string
		iss  *bank.LabelIssue
		want []string
	}{
		{"bag, single", issue(bank.LabelBag, 1, 1, bank.UnitTypePublic),
			[]string{"=G12349865432100", "=%2800", "=<S1234V00", "=*024032", "=+04000=G12349865432100=<S1234V00=%2800=*024032"}},
		{"bag 2 of 3, autologous", issue(bank.LabelBag, 2, 3, bank.UnitTypeAutologous),
			[]string{"=G12349865432102", "=%3000", "=<S1234100", "=*024032", "=+04000=G12349865432102=<S1234100=%3000=*024032"}},
		{"segment", issue(bank.LabelSegment, 1, 1, bank.UnitTypeDirected),
			[]string{"=G12349865432100", "=+04000=G12349865432100=<S1234200=%2400=*024032"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := label.New(tc.iss, "S1234")
			if err != nil {
				t.Fatal(err)
			}
			out, rects, err := label.PNG(d)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			codes := d.Barcodes()
			if len(codes) != len(tc.want) || len(rects) != len(codes) {
				t.Fatalf("%d barcodes, %d areas, want %d", len(codes), len(rects), len(tc.want))
			}
			for i, c := range codes {
				if c.Data != tc.want[i] {
					t.Errorf("barcode %d data = %q, want %q", i, c.Data, tc.want[i])
				}
				if got := decode(t, img, c.Symbology, rects[i]); got != tc.want[i] {
					t.Errorf("barcode %d (%s) decodes to %q, want %q", i, c.Symbology, got, tc.want[i])
				}
			}
			// The compound message reads back as the unit's structures.
			s, err := isbt128.Parse(codes[len(codes)-1].Data)
			if err != nil {
				t.Fatal(err)
			}
			if s.Donation().DIN != tc.iss.Unit.DIN || s.Find(isbt128.BloodGroups).BloodGroup.ABO != bank.ABOAB {
				t.Errorf("compound message reads as %+v", s.Structures)
			}
		})
	}
}

func TestZPLCarriesTheSameBarcodes(t *testing.T) {
	d, err := label.New(issue(bank.LabelBag, 1, 1, bank.UnitTypePublic), "S1234")
	if err != nil {
		t.Fatal(err)
	}
	z, err := label.ZPL(d)
	if err != nil {
		t.Fatal(err)
	}
	s := string(z)
	if !strings.HasPrefix(s, "^XA") || !strings.HasSuffix(s, "^XZ\n") {
		t.Fatalf("ZPL does not start with ^XA and end with ^XZ:\n%s", s)
	}
	var got []string
	for _, m := range regexp.MustCompile(`\^B[CX]N[^\^]*\^FH\^FD([^\^]*)\^FS`).FindAllStringSubmatch(s, -1) {
		got = append(got, m[1])
	}
	var want []string
	for _, b := range d.Barcodes() {
		want = append(want, b.Data)
	}
	slices.Sort(got)
	slices.Sort(want)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("ZPL barcode fields = %q, want %q", got, want)
	}
	if !strings.Contains(s, "^FDG1234 98 654321  00^FS") || !strings.Contains(s, "^FDH^FS") {
		t.Errorf("ZPL lacks the eye-readable DIN or its check character H:\n%s", s)
	}
}

func TestPDFIsOnePage(t *testing.T) {
	d, err := label.New(issue(bank.LabelSegment, 1, 1, bank.UnitTypePublic), "S1234")
	if err != nil {
		t.Fatal(err)
	}
	p, err := label.PDF(d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(p, []byte("%PDF-")) || !bytes.Contains(p[len(p)-16:], []byte("%%EOF")) {
		t.Fatalf("not a PDF: %q...", p[:min(len(p), 20)])
	}
	if n := bytes.Count(p, []byte("/Type /Page\n")) + bytes.Count(p, []byte("/Type /Page ")); n != 1 {
		t.Errorf("%d pages, want 1", n)
	}
	if n := bytes.Count(p, []byte("/Subtype /Image")); n != 2 {
		t.Errorf("%d images, want the 2 barcodes", n)
	}
}

// pdfImages returns the images of a PDF fpdf wrote: each is the PNG's own
// compressed data (Flate with PNG predictors), rewrapped as a PNG file.
func pdfImages(t *testing.T, pdf []byte) []image.Image {
	t.Helper()
	re := regexp.MustCompile(`/Subtype /Image\n/Width (\d+)\n/Height (\d+)\n/ColorSpace /DeviceGray\n/BitsPerComponent 8\n/Filter /FlateDecode\n/DecodeParms <<[^>]*>>\n/Length (\d+)>>\nstream\n`)
	var out []image.Image
	for _, m := range re.FindAllSubmatchIndex(pdf, -1) {
		num := func(i int) int { n, _ := strconv.Atoi(string(pdf[m[2*i]:m[2*i+1]])); return n }
		w, h, n := num(1), num(2), num(3)
		data := pdf[m[1] : m[1]+n]
		var f bytes.Buffer
		f.WriteString("\x89PNG\r\n\x1a\n")
		chunk := func(typ string, body []byte) {
			binary.Write(&f, binary.BigEndian, uint32(len(body)))
			f.WriteString(typ)
			f.Write(body)
			binary.Write(&f, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), body...)))
		}
		ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(w)), uint32(h))
		chunk("IHDR", append(ihdr, 8, 0, 0, 0, 0)) // 8-bit grey
		chunk("IDAT", data)
		chunk("IEND", nil)
		img, err := png.Decode(&f)
		if err != nil {
			t.Fatalf("PDF image %dx%d: %v", w, h, err)
		}
		out = append(out, img)
	}
	return out
}

func TestPDFBarcodesDecodeToTheirData(t *testing.T) {
	d, err := label.New(issue(bank.LabelBag, 1, 1, bank.UnitTypePublic), "S1234")
	if err != nil {
		t.Fatal(err)
	}
	p, err := label.PDF(d)
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, img := range pdfImages(t, p) {
		// Each image is the symbol alone: give it a quiet zone to read.
		b := img.Bounds()
		q := image.NewGray(image.Rect(0, 0, b.Dx()+80, b.Dy()+80))
		draw.Draw(q, q.Bounds(), image.White, image.Point{}, draw.Src)
		draw.Draw(q, b.Add(image.Pt(40, 40)), img, b.Min, draw.Src)
		sym := "code128"
		if b.Dx() == b.Dy() {
			sym = "datamatrix"
		}
		got = append(got, decode(t, q, sym, q.Bounds()))
	}
	for _, b := range d.Barcodes() {
		want = append(want, b.Data)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("PDF barcodes decode to %q, want %q", got, want)
	}
}

func TestNewRefusesAMalformedProductDescriptionCode(t *testing.T) {
	if _, err := label.New(issue(bank.LabelBag, 1, 1, bank.UnitTypePublic), "S12"); err == nil {
		t.Error("New accepted PDC S12")
	}
}
