package hla

import (
	"bufio"
	"io"
	"os"
	"strings"
)

// MACTable holds NMDP multiple allele codes read from NMDP's published
// files (alpha.v3.txt or numer.v3.txt, unzipped). A nil *MACTable is valid
// and knows no code.
type MACTable struct {
	// Updated is the date line of the file ("LAST UPDATED: 10/01/20"), as given.
	Updated string
	codes   map[string]string
}

// LoadMACFile reads an NMDP MAC file (alpha.v3.txt format) from path.
func LoadMACFile(path string) (*MACTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadMACTable(f)
}

// ReadMACTable reads NMDP's MAC format: a "LAST UPDATED" line, a header
// line ("*\tCODE\tSUBTYPE" or "CODE\tSUBTYPE"), then one code per line as
// tab-separated columns ending with CODE and SUBTYPE; a leading column
// (empty or "*") is ignored. SUBTYPE is a '/'-separated list of second
// fields (01/02) or of full names without locus (08:01/08:19N/08:109).
func ReadMACTable(rd io.Reader) (*MACTable, error) {
	t := &MACTable{codes: make(map[string]string, 1<<16)}
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.Trim(strings.TrimSpace(s), "\"")
		if trimmed == "" {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(trimmed), "LAST UPDATED") {
			t.Updated = trimmed
			continue
		}
		cols := strings.Split(s, "\t")
		var f []string
		for _, c := range cols {
			if c = strings.TrimSpace(c); c != "" && c != "*" {
				f = append(f, c)
			}
		}
		if len(f) != 2 {
			return nil, &Problem{Token: s, Reason: "MAC file line " + itoa(line) + ": expected CODE<tab>SUBTYPE"}
		}
		if f[0] == "CODE" {
			continue
		}
		if !isUpperLetters(f[0]) {
			return nil, &Problem{Token: f[0], Reason: "MAC file line " + itoa(line) + ": bad code"}
		}
		t.codes[f[0]] = f[1]
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// Len is the number of codes.
func (t *MACTable) Len() int {
	if t == nil {
		return 0
	}
	return len(t.codes)
}

// Expand returns the allele names a MAC stands for, in file order. Codes of
// second fields take the MAC's first field (A*01:AB is A*01:01/A*01:02);
// codes of full names replace it (B*08:ASXJP is B*08:01/B*08:19N/...), and
// are valid only when one of the names has the MAC's first field (NMDP's
// allele-specific codes: DRB1*15:DFJR is valid, DRB1*07:DFJR is not).
func (t *MACTable) Expand(n Name) ([]Name, error) {
	if n.Kind != KindMAC {
		return nil, &Problem{Token: n.String(), Reason: "not a MAC"}
	}
	if t == nil {
		return nil, &Problem{Token: n.String(), Reason: "no MAC table loaded; MAC kept unresolved"}
	}
	sub, ok := t.codes[n.Code]
	if !ok {
		return nil, &Problem{Token: n.String(), Reason: "MAC code " + quote(n.Code) + " is not in the MAC table"}
	}
	items := strings.Split(sub, "/")
	out := make([]Name, 0, len(items))
	sameFirst := false
	for _, it := range items {
		body := it
		if !strings.Contains(it, ":") {
			body = n.Fields + ":" + it
		}
		a, reason := parseAlleleBody(body)
		if reason != "" || a.Kind != KindAllele {
			return nil, &Problem{Token: n.String(), Reason: "MAC table entry " + quote(it) + " is not an allele"}
		}
		a.Locus = n.Locus
		if a.FirstField() == n.Fields {
			sameFirst = true
		}
		out = append(out, a)
	}
	if !sameFirst {
		return nil, &Problem{Token: n.String(), Reason: "MAC code " + quote(n.Code) + " is not valid for allele group " + n.Locus + "*" + n.Fields}
	}
	return out, nil
}

// WithMACs returns a Reference that shares r's tables and expands MACs with
// t. r may be nil (syntax-only mode with MACs).
func (r *Reference) WithMACs(t *MACTable) *Reference {
	var c Reference
	if r != nil {
		c = *r
	}
	c.macTable = t
	return &c
}

func (r *Reference) macs() *MACTable {
	if r == nil {
		return nil
	}
	return r.macTable
}
