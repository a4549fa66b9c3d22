package bank

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cordbank/cordbank/bank/hla"
)

// HLAReader reads unit typings against one IPD-IMGT/HLA release: it checks
// them and computes their Reading. A reader over a nil reference checks
// syntax only. It is safe for concurrent use.
//
// Readings are memoised per (locus, text): registries repeat the same
// genotypes many times over, and reading one (parse, check, three
// reductions) costs tens of microseconds, the largest cost of an import.
type HLAReader struct {
	ref *hla.Reference

	mu    sync.RWMutex
	cache map[readKey]readResult
}

type readKey struct{ locus, text string }

type readResult struct {
	t   LocusTyping
	err error
}

// readCacheSize bounds the memo (about 300 bytes an entry); when full it is
// emptied and refilled by what is read next.
const readCacheSize = 1 << 16

// NewHLAReader returns a reader of ref's release (nil: syntax only).
func NewHLAReader(ref *hla.Reference) *HLAReader {
	return &HLAReader{ref: ref, cache: make(map[readKey]readResult)}
}

// Release returns the release read against, "" for syntax only.
func (r *HLAReader) Release() string { return r.ref.Release() }

// Reference returns the reference data, nil for syntax only.
func (r *HLAReader) Reference() *hla.Reference { return r.ref }

// Read checks the typing text of one locus and returns it with its
// canonical locus name and Reading. The error names the offending token:
// text that is not HLA, a name of another locus, an unknown locus, or (with
// reference data) an allele the release never had, or a deleted one with
// its current name.
func (r *HLAReader) Read(locus, text string) (LocusTyping, error) {
	k := readKey{locus, text}
	r.mu.RLock()
	res, ok := r.cache[k]
	r.mu.RUnlock()
	if !ok {
		res.t, res.err = r.read(locus, text)
		r.mu.Lock()
		if len(r.cache) >= readCacheSize {
			clear(r.cache)
		}
		r.cache[k] = res
		r.mu.Unlock()
	}
	return res.t, res.err
}

func (r *HLAReader) read(locus, text string) (LocusTyping, error) {
	g, err := r.ref.ParseLocusTyping(locus, text)
	if err != nil {
		return LocusTyping{}, describeHLAError(err)
	}
	if probs := r.ref.Check(g); len(probs) > 0 {
		return LocusTyping{}, describeHLAError(&probs[0])
	}
	if err := twoCopiesAtMost(g); err != nil {
		return LocusTyping{}, err
	}
	t := LocusTyping{Locus: r.ref.NormalizeLocus(locus), Text: text}
	t.Reading.GL = g.String()
	t.Reading.Flags = r.ref.Flags(g).String()
	for _, lv := range []struct {
		level hla.Level
		dst   *string
	}{{hla.LevelP, &t.Reading.P}, {hla.LevelLGX, &t.Reading.LGX}, {hla.LevelSerology, &t.Reading.Serology}} {
		red, err := r.ref.Reduce(g, lv.level)
		if err != nil {
			if errors.Is(err, hla.ErrNoReference) {
				continue // serology needs reference data; leave it empty
			}
			return LocusTyping{}, describeHLAError(err)
		}
		*lv.dst = red.String()
	}
	return t, nil
}

// twoCopiesAtMost refuses a genotype of more than two copies
// (A*02:01+A*24:02+A*03:01): a locus has two, and the search engine, which
// refuses such a patient typing, could never grade the unit, so it would be
// stored but never found, not even counted as excluded.
func twoCopiesAtMost(g *hla.GL) error {
	alts := []*hla.GL{g}
	if g.Op == hla.OpGenotypeList {
		alts = g.Items
	}
	for _, alt := range alts {
		if alt.Op == hla.OpGenotype && len(alt.Items) > 2 {
			return fmt.Errorf("%q lists %d copies; a locus has two (give alternatives with '|')", alt.String(), len(alt.Items))
		}
	}
	return nil
}

// describeHLAError words an hla.Problem for a field violation: the
// offending text, what is wrong, and the current name when there is one.
func describeHLAError(err error) error {
	var p *hla.Problem
	if !errors.As(err, &p) {
		return err
	}
	msg := p.Reason
	if p.Token != "" {
		msg = strconv.Quote(p.Token) + ": " + msg
	}
	if p.Current != "" {
		msg += "; the current name is " + p.Current
	}
	return errors.New(msg)
}

// locusOrder is the canonical order of typings: the core loci as listed by
// hla.CoreLoci, then any other locus alphabetically. Storage returns
// typings in this order, so the service sorts them the same way on write.
func sortTypings(ts []LocusTyping) {
	rank := func(l string) int {
		if i := slices.Index(hla.CoreLoci, l); i >= 0 {
			return i
		}
		return len(hla.CoreLoci)
	}
	slices.SortStableFunc(ts, func(a, b LocusTyping) int {
		if ra, rb := rank(a.Locus), rank(b.Locus); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Locus, b.Locus)
	})
}
