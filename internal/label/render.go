package label

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strings"
	"sync"

	"github.com/boombuler/barcode"
	bcode128 "github.com/boombuler/barcode/code128"
	bdatamatrix "github.com/boombuler/barcode/datamatrix"
	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Resolutions of the raster formats.
const (
	PNGDotsPerMM = 300 / 25.4
	ZPLDotsPerMM = 8 // 203 dpi, the common Zebra head
)

// symbol encodes a barcode element.
func symbol(e element) (barcode.Barcode, error) {
	if e.kind == dataMatrix {
		return bdatamatrix.Encode(e.data)
	}
	return bcode128.Encode(e.data)
}

// moduleSize is the whole number of dots per module that fits a symbol of
// n modules in mm millimetres at dotsPerMM (at least 1).
func moduleSize(n int, mm, dotsPerMM float64) int {
	return max(1, int(math.Floor(mm*dotsPerMM/float64(n))))
}

// raster draws a barcode element at 300 dpi in whole modules, as large as
// its box allows; it returns the image and the module size in pixels.
// Modules are filled as rectangles: resampling the symbol pixel by pixel
// (barcode.Scale) took most of a label's time.
func raster(e element) (*image.Gray, int, error) {
	bc, err := symbol(e)
	if err != nil {
		return nil, 0, fmt.Errorf("%q: %w", e.data, err)
	}
	n, m := bc.Bounds().Dx(), bc.Bounds().Dy()
	k := moduleSize(n, e.w, PNGDotsPerMM)
	h := px(e.h, PNGDotsPerMM)
	rows := 1 // a linear symbol: one row of modules, drawn h high
	if e.kind == dataMatrix {
		k = min(k, moduleSize(m, e.h, PNGDotsPerMM))
		h, rows = m*k, m
	}
	img := image.NewGray(image.Rect(0, 0, n*k, h))
	fill(img, img.Rect, 0xff)
	rowH := h / rows
	origin := bc.Bounds().Min
	for r := 0; r < rows; r++ {
		for c := 0; c < n; c++ {
			if g := color.GrayModel.Convert(bc.At(origin.X+c, origin.Y+r)).(color.Gray); g.Y >= 0x80 {
				continue
			}
			fill(img, image.Rect(c*k, r*rowH, (c+1)*k, (r+1)*rowH), 0)
		}
	}
	return img, k, nil
}

// blit copies src onto dst at p (both grey, src inside dst).
func blit(dst, src *image.Gray, p image.Point) {
	for y := 0; y < src.Rect.Dy(); y++ {
		copy(dst.Pix[(p.Y+y)*dst.Stride+p.X:], src.Pix[y*src.Stride:y*src.Stride+src.Rect.Dx()])
	}
}

// Rect is where a barcode lies in a PNG, in pixels, quiet zone included.
type Rect = image.Rectangle

// PNG draws the label at 300 dpi. It also returns each barcode's area
// (with its quiet zone), in the order of Data.Barcodes.
func PNG(d *Data) ([]byte, []Rect, error) {
	w, h, els := layout(d)
	img := image.NewGray(image.Rect(0, 0, px(w, PNGDotsPerMM), px(h, PNGDotsPerMM)))
	fill(img, img.Bounds(), 0xff)
	areas := map[string]Rect{}
	for _, e := range els {
		x, y := px(e.x, PNGDotsPerMM), px(e.y, PNGDotsPerMM)
		switch e.kind {
		case code128, dataMatrix:
			scaled, k, err := raster(e)
			if err != nil {
				return nil, nil, err
			}
			r := scaled.Bounds().Add(image.Pt(x, y))
			if !r.In(img.Bounds()) {
				return nil, nil, fmt.Errorf("barcode %q does not fit the label", e.data)
			}
			blit(img, scaled, r.Min)
			quiet := 10 * k
			if e.kind == dataMatrix {
				quiet = 2 * k
			}
			areas[e.data] = image.Rect(x-quiet, y-quiet, r.Max.X+quiet, r.Max.Y+quiet).Intersect(img.Bounds())
		case text:
			drawText(img, e.data, x, y, e.h, e.bold)
		case checkBox:
			side := px(e.h*1.25, PNGDotsPerMM)
			box(img, image.Rect(x, y, x+side, y+side), max(2, side/12))
			drawText(img, e.data, x+side/5, y+side/12, e.h, true)
		}
	}
	var out bytes.Buffer
	// Labels are mostly white: the fastest deflate level is barely larger.
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, img); err != nil {
		return nil, nil, err
	}
	var rects []Rect
	for _, b := range d.Barcodes() {
		rects = append(rects, areas[b.Data])
	}
	return out.Bytes(), rects, nil
}

func px(mm, dotsPerMM float64) int { return int(math.Round(mm * dotsPerMM)) }

var (
	fontsOnce            sync.Once
	regularFont, boldFnt *opentype.Font
)

func fonts() (*opentype.Font, *opentype.Font) {
	fontsOnce.Do(func() {
		// The Go fonts are compiled in; parsing them cannot fail.
		regularFont, _ = opentype.Parse(goregular.TTF)
		boldFnt, _ = opentype.Parse(gobold.TTF)
	})
	return regularFont, boldFnt
}

// drawText draws s with its top at y and a font size of sizeMM.
func drawText(img draw.Image, s string, x, y int, sizeMM float64, bold bool) {
	regular, b := fonts()
	f := regular
	if bold {
		f = b
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: sizeMM * 72 / 25.4, DPI: 300, Hinting: font.HintingFull})
	if err != nil {
		return
	}
	defer face.Close()
	ascent := face.Metrics().Ascent
	dr := font.Drawer{Dst: img, Src: image.Black, Face: face, Dot: fixed.Point26_6{X: fixed.I(x), Y: fixed.I(y) + ascent}}
	dr.DrawString(s)
}

func box(img *image.Gray, r image.Rectangle, t int) {
	for _, s := range []image.Rectangle{
		{r.Min, image.Pt(r.Max.X, r.Min.Y+t)}, {image.Pt(r.Min.X, r.Max.Y-t), r.Max},
		{r.Min, image.Pt(r.Min.X+t, r.Max.Y)}, {image.Pt(r.Max.X-t, r.Min.Y), r.Max},
	} {
		fill(img, s, 0)
	}
}

// fill sets every pixel of r (clipped to img) to v; draw.Draw has no fast
// path for grey images and goes pixel by pixel through colour models.
func fill(img *image.Gray, r image.Rectangle, v uint8) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for i := range row {
			row[i] = v
		}
	}
}

// ZPL writes the label as a ZPL II program for a 203 dpi Zebra printer.
func ZPL(d *Data) ([]byte, error) {
	w, h, els := layout(d)
	var b strings.Builder
	fmt.Fprintf(&b, "^XA\n^CI28\n^PW%d\n^LL%d\n", px(w, ZPLDotsPerMM), px(h, ZPLDotsPerMM))
	for _, e := range els {
		x, y := px(e.x, ZPLDotsPerMM), px(e.y, ZPLDotsPerMM)
		switch e.kind {
		case code128:
			bc, err := symbol(e)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", e.data, err)
			}
			// ^BY module width; ^BC mode A lets the printer choose the
			// subsets, as the PNG encoder does.
			fmt.Fprintf(&b, "^FO%d,%d^BY%d^BCN,%d,N,N,N,A^FH^FD%s^FS\n", x, y,
				moduleSize(bc.Bounds().Dx(), e.w, ZPLDotsPerMM), px(e.h, ZPLDotsPerMM), zplField(e.data))
		case dataMatrix:
			bc, err := symbol(e)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", e.data, err)
			}
			fmt.Fprintf(&b, "^FO%d,%d^BXN,%d,200^FH^FD%s^FS\n", x, y, moduleSize(bc.Bounds().Dx(), e.w, ZPLDotsPerMM), zplField(e.data))
		case text, checkBox:
			hd := px(e.h, ZPLDotsPerMM)
			if e.kind == checkBox {
				side := px(e.h*1.25, ZPLDotsPerMM)
				fmt.Fprintf(&b, "^FO%d,%d^GB%d,%d,%d^FS\n", x, y, side, side, max(2, side/12))
				x, y = x+side/5, y+side/12
			}
			fmt.Fprintf(&b, "^FO%d,%d^A0N,%d,%d^FH^FD%s^FS\n", x, y, hd, hd, zplField(e.data))
		}
	}
	b.WriteString("^XZ\n")
	return []byte(b.String()), nil
}

// zplField escapes a field for ^FH: the caret, tilde and underscore (the
// ^FH escape character) become _5E, _7E and _5F.
func zplField(s string) string {
	return strings.NewReplacer("_", "_5F", "^", "_5E", "~", "_7E").Replace(s)
}

// PDF writes the label as a one-page PDF of its size, barcodes embedded as
// images drawn in whole modules at 300 dpi.
func PDF(d *Data) ([]byte, error) {
	w, h, els := layout(d)
	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: w, Ht: h}})
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddPage()
	for i, e := range els {
		switch e.kind {
		case code128, dataMatrix:
			scaled, _, err := raster(e)
			if err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			gray := scaled
			if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, gray); err != nil {
				return nil, err
			}
			name := fmt.Sprintf("barcode%d", i)
			opt := fpdf.ImageOptions{ImageType: "PNG"}
			pdf.RegisterImageOptionsReader(name, opt, &buf)
			pdf.ImageOptions(name, e.x, e.y, float64(gray.Bounds().Dx())/PNGDotsPerMM, float64(gray.Bounds().Dy())/PNGDotsPerMM, false, opt, 0, "")
		case text, checkBox:
			x, y := e.x, e.y
			if e.kind == checkBox {
				side := e.h * 1.25
				pdf.SetLineWidth(side / 12)
				pdf.Rect(x, y, side, side, "D")
				x, y = x+side/5, y+side/12
			}
			style := ""
			if e.bold || e.kind == checkBox {
				style = "B"
			}
			pdf.SetFont("Helvetica", style, e.h*72/25.4)
			pdf.Text(x, y+e.h*0.78, e.data)
		}
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
