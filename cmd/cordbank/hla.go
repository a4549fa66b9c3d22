package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cordbank/cordbank/bank/hla"
)

const hlaUsage = `usage:
  cordbank hla reduce --to g|p|lgx|1f|serology [--hla-data DIR] [--mac FILE] 'TYPING'
  cordbank hla check [--hla-data DIR] [--mac FILE] 'TYPING'
  cordbank hla diff --old DIR --new DIR   (typings on stdin, one per line)
  cordbank hla release [--hla-data DIR]
  cordbank hla reread --db FILE --hla-data DIR [--apply]
      re-read every stored unit typing against the release in DIR and
      report each changed reduction; --apply stores the new readings

DIR is a folder of IPD-IMGT/HLA WMDA files (hla_nom.txt, hla_nom_g.txt,
hla_nom_p.txt, rel_dna_ser.txt, rel_ser_ser.txt); --hla-data defaults to
$CORDBANK_HLA_DATA. Without it names are checked by syntax only and
reductions truncate fields. FILE is an NMDP MAC file (alpha.v3.txt).
`

// runHLA implements "cordbank hla ..." and returns the exit status:
// 0 success, 1 problems found or a failed command, 2 usage errors.
func runHLA(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, hlaUsage)
		return 2
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "reduce":
		return hlaReduce(args, stdout, stderr)
	case "check":
		return hlaCheck(args, stdout, stderr)
	case "diff":
		return hlaDiff(args, stdout, stderr)
	case "release":
		return hlaRelease(args, stdout, stderr)
	case "reread":
		return hlaReread(args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, hlaUsage)
		return 0
	}
	fmt.Fprintf(stderr, "cordbank hla: unknown command %q\n%s", cmd, hlaUsage)
	return 2
}

// hlaFlags holds the options shared by the subcommands.
type hlaFlags struct {
	fs             *flag.FlagSet
	dataDir        *string
	macFile        *string
	output         *string
	stdout, stderr io.Writer
}

func newHLAFlags(name string, stdout, stderr io.Writer) hlaFlags {
	fs := flag.NewFlagSet("cordbank hla "+name, flag.ContinueOnError)
	return hlaFlags{
		fs: fs, stdout: stdout, stderr: stderr,
		dataDir: fs.String("hla-data", os.Getenv("CORDBANK_HLA_DATA"), "IPD-IMGT/HLA WMDA files `DIR` (default $CORDBANK_HLA_DATA)"),
		macFile: fs.String("mac", "", "NMDP MAC `FILE` (alpha.v3.txt format)"),
		output:  outputFlag(fs),
	}
}

// reference loads the reference data the flags name; nil means syntax only.
func (f hlaFlags) reference() (*hla.Reference, error) {
	var ref *hla.Reference
	if *f.dataDir != "" {
		var err error
		if ref, err = hla.LoadDir(*f.dataDir); err != nil {
			return nil, err
		}
	}
	if *f.macFile != "" {
		macs, err := hla.LoadMACFile(*f.macFile)
		if err != nil {
			return nil, err
		}
		ref = ref.WithMACs(macs)
	}
	return ref, nil
}

// errShown: parseFlags has already said all there is to say (help on
// stdout, exit 0; a bad flag on stderr, exit 2).
type errShown struct{ code int }

func (e errShown) Error() string { return "shown" }

// parse parses args as every command does (parseFlags, which also checks
// --output).
func (f hlaFlags) parse(args []string) error {
	return parseInto(f.fs, args, f.stdout, f.stderr)
}

// json prints v as one JSON line when --output json; it reports whether it did.
func (f hlaFlags) json(v any) bool {
	if *f.output != "json" {
		return false
	}
	printJSON(f.stdout, v)
	return true
}

func parseInto(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return errShown{code}
	}
	return nil
}

// oneTyping parses flags and returns the single typing argument.
func (f hlaFlags) oneTyping(args []string) (string, error) {
	if err := f.parse(args); err != nil {
		return "", err
	}
	if f.fs.NArg() != 1 {
		return "", errors.New("give exactly one typing (quote it)")
	}
	return f.fs.Arg(0), nil
}

func hlaReleaseText(ref *hla.Reference) string {
	if ref.Release() == "" {
		return "none (syntax only)"
	}
	return "IPD-IMGT/HLA " + ref.Release()
}

func hlaReduce(args []string, stdout, stderr io.Writer) int {
	f := newHLAFlags("reduce", stdout, stderr)
	to := f.fs.String("to", "", "reduction level: g, p, lgx, 1f or serology")
	typing, err := f.oneTyping(args)
	if err != nil {
		return hlaUsageError(stderr, err)
	}
	level, err := hla.ParseLevel(*to)
	if err != nil {
		return hlaUsageError(stderr, err)
	}
	ref, err := f.reference()
	if err != nil {
		return hlaFail(stderr, err)
	}
	g, err := ref.ParseGL(typing)
	if err != nil {
		return hlaFail(stderr, err)
	}
	out, err := ref.Reduce(g, level)
	if err != nil {
		return hlaFail(stderr, err)
	}
	if f.json(map[string]string{"typing": typing, "to": *to, "reduced": out.String(), "release": ref.Release()}) {
		return 0
	}
	fmt.Fprintln(stdout, out)
	fmt.Fprintf(stderr, "release: %s\n", hlaReleaseText(ref))
	return 0
}

func hlaCheck(args []string, stdout, stderr io.Writer) int {
	f := newHLAFlags("check", stdout, stderr)
	typing, err := f.oneTyping(args)
	if err != nil {
		return hlaUsageError(stderr, err)
	}
	ref, err := f.reference()
	if err != nil {
		return hlaFail(stderr, err)
	}
	g, err := ref.ParseGL(typing)
	if err != nil {
		if !f.json(map[string]any{"typing": typing, "release": ref.Release(), "problems": []string{err.Error()}}) {
			fmt.Fprintf(stdout, "problem: %v\n", err)
		}
		return 1
	}
	if *f.output == "json" {
		problems := []string{}
		for _, p := range ref.Check(g) {
			problems = append(problems, p.Error())
		}
		f.json(map[string]any{"typing": g.String(), "release": ref.Release(), "flags": ref.Flags(g).String(), "problems": problems})
		if len(problems) > 0 {
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "typing: %s\nrelease: %s\n", g, hlaReleaseText(ref))
	if flags := ref.Flags(g); flags != 0 {
		fmt.Fprintf(stdout, "flags: %s\n", flags)
	}
	problems := ref.Check(g)
	for _, p := range problems {
		fmt.Fprintf(stdout, "problem: %v\n", &p)
	}
	if len(problems) > 0 {
		return 1
	}
	return 0
}

func hlaDiff(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cordbank hla diff", flag.ContinueOnError)
	oldDir := fs.String("old", "", "IPD-IMGT/HLA WMDA files of the old release")
	newDir := fs.String("new", "", "IPD-IMGT/HLA WMDA files of the new release")
	output := outputFlag(fs)
	if err := parseInto(fs, args, stdout, stderr); err != nil {
		return hlaUsageError(stderr, err)
	}
	if *oldDir == "" || *newDir == "" || fs.NArg() != 0 {
		return hlaUsageError(stderr, errors.New("--old and --new are required; typings come on stdin"))
	}
	oldRef, err := hla.LoadDir(*oldDir)
	if err != nil {
		return hlaFail(stderr, err)
	}
	newRef, err := hla.LoadDir(*newDir)
	if err != nil {
		return hlaFail(stderr, err)
	}
	var typings []string
	sc := bufio.NewScanner(hlaStdin)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" && !strings.HasPrefix(t, "#") {
			typings = append(typings, t)
		}
	}
	if err := sc.Err(); err != nil {
		return hlaFail(stderr, err)
	}
	changes := hla.Diff(oldRef, newRef, typings)
	if *output == "json" {
		for _, c := range changes {
			printJSON(stdout, map[string]string{"typing": c.Typing, "aspect": fmt.Sprint(c.Aspect), "old": c.Old, "new": c.New,
				"old_release": oldRef.Release(), "new_release": newRef.Release()})
		}
		return 0
	}
	fmt.Fprintf(stdout, "# IPD-IMGT/HLA %s -> %s: %d typings, %d changes\n", oldRef.Release(), newRef.Release(), len(typings), len(changes))
	for _, c := range changes {
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", c.Typing, c.Aspect, c.Old, c.New)
	}
	return 0
}

// hlaStdin is where hla diff reads typings; tests replace it.
var hlaStdin io.Reader = os.Stdin

func hlaRelease(args []string, stdout, stderr io.Writer) int {
	f := newHLAFlags("release", stdout, stderr)
	if err := f.parse(args); err != nil {
		return hlaUsageError(stderr, err)
	}
	if *f.dataDir == "" {
		return hlaUsageError(stderr, errors.New("--hla-data (or $CORDBANK_HLA_DATA) is required"))
	}
	ref, err := f.reference()
	if err != nil {
		return hlaFail(stderr, err)
	}
	if !f.json(map[string]string{"release": ref.Release()}) {
		fmt.Fprintln(stdout, ref.Release())
	}
	return 0
}

func hlaUsageError(stderr io.Writer, err error) int {
	var shown errShown
	if errors.As(err, &shown) {
		return shown.code
	}
	fmt.Fprintf(stderr, "cordbank hla: %v\n", err)
	return 2
}

func hlaFail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "cordbank hla: %v\n", err)
	return 1
}
