package hla

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// Reference holds the tables of one IPD-IMGT/HLA release, built once by
// LoadDir and read-only afterwards (safe for concurrent use). A nil
// *Reference is the syntax-only mode.
type Reference struct {
	release string
	loaded  bool
	// loci maps upper-case molecular loci seen in the files to their
	// canonical spelling.
	loci map[string]string
	// alleleLoci are the loci with at least one current allele.
	alleleLoci map[string]struct{}
	// entries maps every current allele name, every truncation of one
	// (A*01:01 for A*01:01:01:01) and every G and P group name to its
	// precomputed reductions.
	entries map[akey]entry
	// sets are the interned reduction results that entries point to.
	sets [][]Name
	// deleted holds names that hla_nom.txt lists with a deletion date.
	deleted map[akey]deletion
	// antigens holds the serological antigens of hla_nom.txt and
	// rel_ser_ser.txt.
	antigens map[akey]antigen
	macTable *MACTable
}

// akey identifies an allele, a truncation or a group: suffix is the
// expression suffix, or 'G' / 'P' for group names, or '#' for antigens.
type akey struct {
	locus, fields string
	suffix        byte
}

func keyOf(n Name) akey {
	switch n.Kind {
	case KindGGroup:
		return akey{n.Locus, n.Fields, 'G'}
	case KindPGroup:
		return akey{n.Locus, n.Fields, 'P'}
	case KindSerology:
		return akey{n.Locus, n.Fields, '#'}
	case KindXX, KindMAC:
		return akey{n.Locus, n.Fields, 0}
	}
	return akey{n.Locus, n.Fields, n.Suffix}
}

// noSet marks a level at which a name stays unchanged (one-field names).
const noSet = -1

type entry struct {
	sets [numLevels]int32
}

type deletion struct {
	reason  string
	current Name // zero when no current name is recorded
}

type antigen struct {
	deleted bool
	// parent is the broad of a split or the antigen an associated antigen
	// belongs to; "" for none.
	parent     string
	associated bool // true when this antigen is an associated antigen of parent
}

// Release returns the IPD-IMGT/HLA release of r ("3.24.0"), or "" for the
// syntax-only mode.
func (r *Reference) Release() string {
	if r == nil {
		return ""
	}
	return r.release
}

func (r *Reference) hasData() bool { return r != nil && r.loaded }

// Files read by LoadDir.
const (
	FileNom     = "hla_nom.txt"
	FileNomG    = "hla_nom_g.txt"
	FileNomP    = "hla_nom_p.txt"
	FileDNASer  = "rel_dna_ser.txt"
	FileSerSer  = "rel_ser_ser.txt"
	versionHead = "# version:"
)

// LoadDir loads the WMDA files of one IPD-IMGT/HLA release from dir
// (hla_nom.txt, hla_nom_g.txt, hla_nom_p.txt, rel_dna_ser.txt,
// rel_ser_ser.txt: the wmda/ folder of the ANHIG/IMGTHLA repository) and
// records the release named in their "# version:" header. Every file must
// name the same release. Lines are split on ';'; rel_dna_ser.txt may have
// 5 to 7 columns.
func LoadDir(dir string) (*Reference, error) {
	var texts [5]string
	release := ""
	for i, name := range []string{FileNom, FileNomG, FileNomP, FileDNASer, FileSerSer} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		// One string per file: every field below is a substring of it, so
		// the tables need no per-name allocation.
		texts[i] = string(b)
		v := headerVersion(texts[i])
		if v == "" {
			return nil, errors.New("hla: " + name + ": no \"# version:\" header")
		}
		if release != "" && v != release {
			return nil, errors.New("hla: " + name + ": release " + v + " differs from " + release)
		}
		release = v
	}
	b := newBuilder(release)
	if err := b.readNom(texts[0]); err != nil {
		return nil, err
	}
	if err := b.readGroups(texts[1], 'G'); err != nil {
		return nil, err
	}
	if err := b.readGroups(texts[2], 'P'); err != nil {
		return nil, err
	}
	if err := b.readDNASer(texts[3]); err != nil {
		return nil, err
	}
	if err := b.readSerSer(texts[4]); err != nil {
		return nil, err
	}
	return b.build(), nil
}

// headerVersion returns "3.24.0" from a "# version: IPD-IMGT/HLA 3.24.0" line.
func headerVersion(text string) string {
	for len(text) > 0 && text[0] == '#' {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		if v, ok := strings.CutPrefix(line, versionHead); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				return f[len(f)-1]
			}
		}
	}
	return ""
}

// forLines calls fn with the ';'-split columns of each data line of text,
// skipping '#' headers and blank lines; cols is reused between calls.
func forLines(file, text string, min, max int, fn func(cols []string) error) error {
	cols := make([]string, 0, 8)
	lineNo := 0
	for len(text) > 0 {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		lineNo++
		line = strings.TrimRight(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		cols = cols[:0]
		for {
			c, r, ok := strings.Cut(line, ";")
			cols = append(cols, c)
			if !ok {
				break
			}
			line = r
		}
		if len(cols) < min || len(cols) > max {
			return errors.New("hla: " + file + " line " + itoa(lineNo) + ": " + itoa(len(cols)) + " columns, expected " + itoa(min) + " to " + itoa(max))
		}
		if err := fn(cols); err != nil {
			return errors.New("hla: " + file + " line " + itoa(lineNo) + ": " + err.Error())
		}
	}
	return nil
}
