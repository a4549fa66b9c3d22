package freq

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Format names the file form a Set was read from.
type Format string

// Formats.
const (
	FormatHFX   Format = "hfx"
	FormatATLAS Format = "atlas"
	FormatGRIM  Format = "grim"
)

// Set is one haplotype frequency set as written in its file.
type Set struct {
	// Name identifies the set: the file's name without extensions
	// (HEGL_CAU), or the ATLAS populationId when the file has one.
	Name string
	// Population is the population the set describes, from the metadata
	// (HFX cohort population, ATLAS ethnicity codes); Name when none.
	Population string
	// Nomenclature is the IPD-IMGT/HLA version the names follow ("2.16.0"),
	// "" when the file does not say.
	Nomenclature string
	// Resolution per locus as the metadata gives it (g, G, P, ...).
	Resolution map[string]string
	Format     Format
	Source     string // file the frequencies came from
	CohortSize int    // individuals, 0 when unknown
	// Loci in haplotype order, as canonical locus names (A, C, B, DRB1, DQB1).
	Loci       []string
	Haplotypes []Haplotype
	// Warnings are facts about the file worth a reader's attention that
	// did not stop it loading (a checksum that does not match).
	Warnings []string
}

// Haplotype is one row: one allele name per locus of Set.Loci, as written
// (with the locus, A*01:01).
type Haplotype struct {
	Alleles []string
	Freq    float64
}

// Total is the sum of the frequencies.
func (s *Set) Total() float64 {
	t := 0.0
	for _, h := range s.Haplotypes {
		t += h.Freq
	}
	return t
}

// maxHaplotypes bounds a set (the largest published 5-locus sets hold a few
// hundred thousand haplotypes); beyond it a file is refused, not truncated.
const maxHaplotypes = 5_000_000

// addHaplotype parses a ~-joined haplotype and appends it, fixing the loci
// from the first row.
func (s *Set) addHaplotype(text string, f float64, row int) error {
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1 {
		return fmt.Errorf("row %d: frequency %v is not in [0, 1]", row, f)
	}
	if f == 0 {
		return nil // GRIM ignores zero frequencies; so do we
	}
	if len(s.Haplotypes) >= maxHaplotypes {
		return fmt.Errorf("more than %d haplotypes", maxHaplotypes)
	}
	parts := strings.Split(strings.TrimSpace(text), "~")
	loci := make([]string, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(p), "HLA-"))
		l, _, ok := strings.Cut(p, "*")
		if !ok || l == "" || len(p) == len(l)+1 {
			return fmt.Errorf("row %d: %q is not LOCUS*NAME", row, parts[i])
		}
		loci[i] = strings.ToUpper(l)
		parts[i] = p
	}
	if s.Loci == nil {
		seen := map[string]bool{}
		for _, l := range loci {
			if seen[l] {
				return fmt.Errorf("row %d: locus %s appears twice in %q", row, l, text)
			}
			seen[l] = true
		}
		s.Loci = loci
	} else if strings.Join(loci, "~") != strings.Join(s.Loci, "~") {
		return fmt.Errorf("row %d: loci %s, the set's first row has %s", row, strings.Join(loci, "~"), strings.Join(s.Loci, "~"))
	}
	s.Haplotypes = append(s.Haplotypes, Haplotype{Alleles: parts, Freq: f})
	return nil
}

func (s *Set) finish() error {
	if len(s.Haplotypes) == 0 {
		return errors.New("no haplotype with a frequency above 0")
	}
	if t := s.Total(); t > 1.05 {
		return fmt.Errorf("frequencies sum to %.4f (above 1 by more than rounding)", t)
	}
	if s.Population == "" {
		s.Population = s.Name
	}
	return nil
}
