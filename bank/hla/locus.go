package hla

import "strings"

// CoreLoci are the loci typed for cord blood units and patients. They are
// always known, with or without reference data.
var CoreLoci = []string{"A", "B", "C", "DRB1", "DRB3", "DRB4", "DRB5", "DQA1", "DQB1", "DPA1", "DPB1"}

// otherLoci are the remaining HLA region genes IPD-IMGT/HLA has named; they
// are accepted by syntax so that typings of E, G, MICA and the like are not
// rejected before reference data is loaded.
var otherLoci = []string{
	"DRA", "DRB2", "DRB6", "DRB7", "DRB8", "DRB9", "DQA2", "DQB2", "DPA2", "DPB2",
	"DMA", "DMB", "DOA", "DOB", "E", "F", "G", "H", "J", "K", "L", "N", "P", "S",
	"T", "U", "V", "W", "Y", "MICA", "MICB", "TAP1", "TAP2", "HFE",
}

// builtinLoci maps an upper-case locus name to its canonical string, so
// that every parsed Name shares one string per locus.
var builtinLoci = func() map[string]string {
	m := make(map[string]string, len(CoreLoci)+len(otherLoci))
	for _, l := range CoreLoci {
		m[l] = l
	}
	for _, l := range otherLoci {
		m[l] = l
	}
	return m
}()

// serologyLoci maps upper-case serological locus prefixes to their
// canonical spelling, the one used by the WMDA files (Cw, DPw, Bw, Dw).
var serologyLoci = map[string]string{
	"A": "A", "B": "B", "C": "Cw", "CW": "Cw", "DR": "DR", "DQ": "DQ",
	"DP": "DPw", "DPW": "DPw", "BW": "Bw", "DW": "Dw",
}

// stripPrefix removes a leading "HLA-" in any case.
func stripPrefix(s string) string {
	if len(s) >= 4 && strings.EqualFold(s[:4], "HLA-") {
		return s[4:]
	}
	return s
}

// lookupLocus returns the canonical name of a molecular locus, or "".
func (r *Reference) lookupLocus(s string) string {
	if l, ok := builtinLoci[s]; ok {
		return l
	}
	u := strings.ToUpper(s)
	if l, ok := builtinLoci[u]; ok {
		return l
	}
	if r != nil {
		if l, ok := r.loci[u]; ok {
			return l
		}
	}
	return ""
}

// NormalizeLocus returns the canonical name of a molecular locus given in
// any case, with or without the HLA- prefix ("hla-drb1" gives "DRB1"), or
// "" when the locus is unknown to the built-in list and to r.
func (r *Reference) NormalizeLocus(locus string) string {
	return r.lookupLocus(stripPrefix(strings.TrimSpace(locus)))
}

// MolecularLocus returns the molecular locus whose typing a serological
// antigen belongs to: DR51, DR52 and DR53 are the DRB5, DRB3 and DRB4
// antigens, other DR antigens (and Dw) are DRB1, Bw is B; "" for a name
// that is not a serological antigen of a known locus.
func (n Name) MolecularLocus() string {
	switch n.Locus {
	case "A":
		return "A"
	case "B", "Bw":
		return "B"
	case "Cw":
		return "C"
	case "DR":
		switch n.Fields {
		case "51":
			return "DRB5"
		case "52":
			return "DRB3"
		case "53":
			return "DRB4"
		}
		return "DRB1"
	case "Dw":
		return "DRB1"
	case "DQ":
		return "DQB1"
	case "DPw":
		return "DPB1"
	}
	return ""
}

// molecularSerologyLocus is the serological locus prefix of a molecular
// locus, used to name the antigens found in rel_dna_ser.txt.
func molecularSerologyLocus(locus string) string {
	switch locus {
	case "A", "B":
		return locus
	case "C":
		return "Cw"
	case "DRB1", "DRB3", "DRB4", "DRB5":
		return "DR"
	case "DQB1", "DQA1":
		return "DQ"
	case "DPB1", "DPA1":
		return "DPw"
	}
	return ""
}
