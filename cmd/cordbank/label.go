package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

const labelUsage = `usage:
  cordbank client scan SCAN|-        look up the unit a scanned ISBT 128 barcode names
                                     (- reads one scan per line from stdin, as a scanner types it)
  cordbank client label NAME --pdc S1234 [--kind bag|segment] [--format zpl|png|pdf]
                         [--bag N] [--reprint --reason TEXT] [--out FILE|-]
                                     print a unit's label (banks/B/units/DIN); a further
                                     copy is --reprint, which needs a manager and a reason
`

// runLabelClient implements "cordbank client scan" and "cordbank client
// label".
func runLabelClient(name string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cordbank client "+name, flag.ContinueOnError)
	var sf serverFlags
	sf.register(fs)
	var kind, format, pdc, reason, out string
	var bag int
	var reprint bool
	if name == "label" {
		fs.StringVar(&kind, "kind", "bag", "bag or segment")
		fs.StringVar(&format, "format", "pdf", "zpl, png or pdf")
		fs.StringVar(&pdc, "pdc", "", "the ISBT 128 Product Description Code, e.g. S1234 (required)")
		fs.IntVar(&bag, "bag", 1, "which bag of the unit, from 1")
		fs.BoolVar(&reprint, "reprint", false, "print another copy of a label printed before (managers)")
		fs.StringVar(&reason, "reason", "", "why the label is printed again (required with --reprint)")
		fs.StringVar(&out, "out", "", "file to write the label to; - for stdout (default: DIN-kind-bag.format)")
	}
	fs.Usage = func() { fmt.Fprint(fs.Output(), labelUsage); fs.PrintDefaults() }
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, labelUsage)
		return 2
	}
	c, ok := sf.connect(name, stderr)
	if !ok {
		return 2
	}
	defer c.Close()
	ctx := context.Background()
	p := sf.printer(stdout)
	if name == "scan" {
		scans := []string{fs.Arg(0)}
		if fs.Arg(0) == "-" {
			scans = scans[:0]
			sc := bufio.NewScanner(stdin)
			for sc.Scan() {
				if s := strings.TrimSpace(sc.Text()); s != "" {
					scans = append(scans, s)
				}
			}
		}
		code := 0
		for _, s := range scans {
			resp, err := c.LookupScan(ctx, s)
			if err != nil {
				code = fail(stderr, name, err)
				continue
			}
			if p.json {
				printJSON(stdout, resp)
				continue
			}
			p.unit(resp.GetUnit())
		}
		return code
	}
	k, ok := pb.LabelKind_value["LABEL_KIND_"+strings.ToUpper(kind)]
	if !ok {
		fmt.Fprintf(stderr, "cordbank client label: --kind %q: want bag or segment\n", kind)
		return 2
	}
	f, ok := pb.LabelFormat_value["LABEL_FORMAT_"+strings.ToUpper(format)]
	if !ok {
		fmt.Fprintf(stderr, "cordbank client label: --format %q: want zpl, png or pdf\n", format)
		return 2
	}
	var l *pb.Label
	var err error
	if reprint {
		l, err = c.ReprintLabel(ctx, &pb.ReprintLabelRequest{Name: fs.Arg(0), Kind: pb.LabelKind(k), Format: pb.LabelFormat(f),
			ProductDescriptionCode: pdc, Bag: int32(bag), Reason: reason})
	} else {
		l, err = c.PrintLabel(ctx, &pb.PrintLabelRequest{Name: fs.Arg(0), Kind: pb.LabelKind(k), Format: pb.LabelFormat(f),
			ProductDescriptionCode: pdc, Bag: int32(bag)})
	}
	if err != nil {
		return fail(stderr, name, err)
	}
	if out == "" {
		din := fs.Arg(0)[strings.LastIndex(fs.Arg(0), "/")+1:]
		out = fmt.Sprintf("%s-%s-%d.%s", din, strings.ToLower(kind), l.GetBag(), strings.ToLower(format))
	}
	if out == "-" {
		if _, err := stdout.Write(l.GetContent()); err != nil {
			return fail(stderr, name, err)
		}
		return 0
	}
	if err := os.WriteFile(out, l.GetContent(), 0o644); err != nil {
		return fail(stderr, name, err)
	}
	if p.json {
		printJSON(stdout, map[string]any{"file": out, "unit": l.GetUnit(), "copy": l.GetCopy(), "barcodes": barcodeData(l)})
		return 0
	}
	fmt.Fprintf(stdout, "%s\tcopy %d\t%s\n", out, l.GetCopy(), strings.Join(barcodeData(l), " "))
	return 0
}

func barcodeData(l *pb.Label) []string {
	var out []string
	for _, b := range l.GetBarcodes() {
		out = append(out, b.GetData())
	}
	return out
}
