package match

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// Index is an in-memory copy of the searchable units, reduced once per unit
// at Upsert. Each unit is a small fixed-size entry: per locus one uint32 id
// of its (interned) locus typing, doses, dates and flags. Distinct locus
// typings are prepared once and shared, so a search grades each distinct
// typing at most once (per locus, memoised for the patient) and the scan
// itself is array lookups and float compares.
//
// Concurrency: every method is safe for concurrent use. Writers (Upsert,
// Remove, UpsertBank, Load) replace entries whole under a write lock; a
// search holds the read lock for its scan, so it sees every update either
// completely or not at all. Parsing and reduction happen before the lock is
// taken. The tables of distinct typings only grow (bounded by the number of
// distinct typing texts ever indexed).
type Index struct {
	g   *Grader
	now func() time.Time

	mu sync.RWMutex
	// entries are kept partitioned: the first nPrime are prime (available,
	// public, with an attached segment, red cells depleted: what the
	// default policy searches), the rest follow. A search whose policy
	// needs all of that scans only the prime ones and counts the others
	// by class (classCount, indexed by flags&classMask).
	entries    []entry
	nPrime     int
	classCount [classMask + 1]int
	cold       []coldEntry
	// ids holds each entry's typing id per locus (0 = untyped), parallel
	// to entries. A search reads them only for the few entries that pass
	// the dose filters, so they are stored together: one cache line
	// serves every locus it grades.
	ids     [][nLoci]uint32
	pos     map[unit.DIN]int32
	banks   []bankInfo
	bankIdx map[string]uint16
	geno    [nLoci]genoTable

	predictors atomic.Pointer[Predictors] // haplotype frequency sets, nil when none
}

type genoTable struct {
	byText map[string]uint32 // submitted text -> id (1-based)
	list   []*locusTyping    // id-1 -> prepared typing
	// pos holds, per typing (id-1), the ids of its two positions when the
	// typing is a single genotype whose copies stand for themselves (no
	// null copy read as the other); {0, 0} otherwise. Registries repeat a
	// few hundred alleles in hundreds of thousands of genotypes, so a
	// search compares the patient with each distinct position once and
	// combines the results per genotype (see scan.posConf).
	pos       [][2]uint32
	posByText map[string]uint32 // position text -> id (1-based)
	posList   []*position       // id-1 -> position
}

// internPos returns the id of position p (by its text, which determines
// its content: the same text always reduces to the same candidates).
func (t *genoTable) internPos(p *position) uint32 {
	if id, ok := t.posByText[p.text]; ok {
		return id
	}
	if t.posByText == nil {
		t.posByText = map[string]uint32{}
	}
	t.posList = append(t.posList, p)
	id := uint32(len(t.posList))
	t.posByText[p.text] = id
	return id
}

type bankInfo struct {
	id         string
	accredited bool
}

// entry is what a search reads for every unit: kept to 24 bytes so a
// million-unit scan streams 24 MB, not four times that. What only
// results and updates need (DIN, version) lives in the parallel cold
// slice.
type entry struct {
	tnc   float64 // post-processing TNC (absolute)
	cd34  float64 // post-processing CD34+ (absolute), < 0 unknown
	coll  int32   // collection day
	bank  uint16  // index in Index.banks (maxBanks)
	flags uint8
	abo   uint8
}

// maxBanks is how many banks an index holds: entry.bank is 16 bits so an
// entry is 24 bytes (a million-unit scan streams 24 MB). There are about a
// hundred public cord blood banks in the world.
const maxBanks = 1 << 16

// coldEntry is the rest of a unit's index record, parallel to entries.
type coldEntry struct {
	din unit.DIN
	// version is the unit's Version: an update carrying an older version
	// than the indexed one is stale (notifications can arrive out of
	// order) and is ignored.
	version int64
}

const (
	fAvailable uint8 = 1 << iota
	fPublic
	fRBCDepleted
	fSegment

	// classMask covers the flags that partition the entries.
	classMask = fAvailable | fPublic | fRBCDepleted | fSegment
	// primeFlags are the flags of a prime entry (see Index.entries).
	primeFlags = classMask
)

func isPrime(flags uint8) bool { return flags&primeFlags == primeFlags }

var abos = [...]bank.ABO{"", bank.ABOA, bank.ABOB, bank.ABOAB, bank.ABOO}

func aboIndex(a bank.ABO) uint8 {
	for i, x := range abos {
		if x == a {
			return uint8(i)
		}
	}
	return 0
}

// IndexOption configures an Index.
type IndexOption func(*Index)

// WithClock sets the clock unit ages are computed from when a request gives
// no AsOf date (default time.Now).
func WithClock(now func() time.Time) IndexOption { return func(x *Index) { x.now = now } }

// NewIndex returns an empty index grading with g.
func NewIndex(g *Grader, opts ...IndexOption) *Index {
	x := &Index{g: g, now: time.Now, pos: map[unit.DIN]int32{}, bankIdx: map[string]uint16{}}
	for i := range x.geno {
		x.geno[i].byText = map[string]uint32{}
	}
	for _, o := range opts {
		o(x)
	}
	return x
}

// Grader returns the index's grader.
func (x *Index) Grader() *Grader { return x.g }

// Len is the number of indexed units (public and private).
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.entries)
}

// Upsert adds or replaces unit u of bank b (b.ID must be u.Bank; its
// accreditation is recorded for every unit of the bank). If a typing of u
// cannot be read under the grader's release, the unit is removed from the
// index (it is never searched with stale HLA) and the error, a *LocusError
// wrapped with the unit's name, is returned.
func (x *Index) Upsert(u *bank.Unit, b *bank.Bank) error {
	if u == nil || b == nil || b.ID != u.Bank {
		return errors.New("match: Upsert needs a unit and its own bank")
	}
	prepared, err := x.prepareMissing([]*bank.Unit{u})
	x.mu.Lock()
	defer x.mu.Unlock()
	x.addPrepared(prepared)
	x.setBank(b)
	if x.staleLocked(u) {
		return nil
	}
	if err != nil {
		x.removeLocked(u.DIN)
		return err
	}
	x.putLocked(u)
	return nil
}

// staleLocked reports whether a newer version of u is already indexed.
func (x *Index) staleLocked(u *bank.Unit) bool {
	i, ok := x.pos[u.DIN]
	return ok && x.cold[i].version > u.Version
}

// UnitsChanged implements bank.Watcher: it upserts committed units of banks
// the index knows (through BankChanged, Upsert or Load), keeping for each
// unit the highest Version, so out-of-order notifications never bring back
// an older state. A unit whose typing the grader refuses is dropped from the
// index (it cannot be graded); the service refuses such typings on write,
// so this only happens when the index and the service read different
// releases.
func (x *Index) UnitsChanged(units []*bank.Unit) {
	prepared, _ := x.prepareMissing(units)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.addPrepared(prepared)
	for _, u := range units {
		if _, ok := x.bankIdx[u.Bank]; !ok || x.staleLocked(u) {
			continue
		}
		if err := x.typingErr(u); err != nil {
			x.removeLocked(u.DIN)
			continue
		}
		x.putLocked(u)
	}
}

// BankChanged implements bank.Watcher: it records the bank's accreditation.
func (x *Index) BankChanged(b *bank.Bank) { x.UpsertBank(b) }

// UpsertBank records a bank's accreditation for all of its units.
func (x *Index) UpsertBank(b *bank.Bank) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.setBank(b)
}

// Remove drops the unit with DIN din; it reports whether it was indexed.
func (x *Index) Remove(din unit.DIN) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.removeLocked(din)
}

// Load upserts many units at once (banks by id; every unit's bank must be
// present). Typings are prepared in parallel, then entries are written
// under one write lock. Units whose typing cannot be read are left out (and
// removed if indexed); the error joins their errors.
func (x *Index) Load(units []*bank.Unit, banks map[string]*bank.Bank) error {
	prepared, _ := x.prepareMissing(units)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.addPrepared(prepared)
	for _, b := range banks {
		x.setBank(b)
	}
	var errs []error
	for _, u := range units {
		if u == nil {
			continue
		}
		if _, ok := x.bankIdx[u.Bank]; !ok {
			errs = append(errs, fmt.Errorf("%s: bank %q not given", u.Name(), u.Bank))
			continue
		}
		// One look-up of the DIN serves the staleness check and the write:
		// an index build loads a million units, most of them new.
		i, indexed := x.pos[u.DIN]
		if indexed && x.cold[i].version > u.Version {
			continue
		}
		geno, ok := x.typingIDsLocked(u)
		if !ok {
			x.removeLocked(u.DIN)
			errs = append(errs, x.typingErr(u))
			continue
		}
		x.putAtLocked(u, geno, i, indexed)
	}
	return errors.Join(errs...)
}

// Grow makes room for n more units, so a build that knows how many it
// will load (server.BuildIndex) writes them without growing the tables
// step by step.
func (x *Index) Grow(n int) {
	if n <= 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.entries = slices.Grow(x.entries, n)
	x.cold = slices.Grow(x.cold, n)
	x.ids = slices.Grow(x.ids, n)
	pos := make(map[unit.DIN]int32, len(x.pos)+n)
	for din, i := range x.pos {
		pos[din] = i
	}
	x.pos = pos
}

type prepKey struct {
	li   int
	text string
}

type prepResult struct {
	lt  *locusTyping
	err error
}

// prepareMissing prepares the locus typings of units the index does not
// know yet, in parallel. The first error of a unit is returned for
// single-unit Upsert.
func (x *Index) prepareMissing(units []*bank.Unit) (map[prepKey]prepResult, error) {
	var todo []prepKey
	seen := map[prepKey]bool{}
	x.mu.RLock()
	for _, u := range units {
		if u == nil {
			continue
		}
		for _, lt := range u.HLA {
			li, ok := locusIndex[lt.Locus]
			if !ok {
				if li, ok = locusIndex[x.g.ref.NormalizeLocus(lt.Locus)]; !ok {
					continue
				}
			}
			k := prepKey{li, lt.Text}
			if _, ok := x.geno[li].byText[lt.Text]; ok || seen[k] {
				continue
			}
			seen[k] = true
			todo = append(todo, k)
		}
	}
	x.mu.RUnlock()
	out := make(map[prepKey]prepResult, len(todo))
	results := make([]prepResult, len(todo))
	workers := min(runtime.GOMAXPROCS(0), 1+len(todo)/64)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(todo); i += workers {
				lt, err := x.g.prepareLocus(Loci[todo[i].li], todo[i].text)
				results[i] = prepResult{lt, err}
			}
		}()
	}
	wg.Wait()
	var first error
	for i, k := range todo {
		out[k] = results[i]
		if results[i].err != nil && first == nil {
			first = results[i].err
		}
	}
	if first != nil && len(units) == 1 {
		first = fmt.Errorf("%s: %w", units[0].Name(), first)
	}
	return out, first
}

// addPrepared stores successfully prepared typings; failures are kept out
// of the table, so typingErr finds them again.
func (x *Index) addPrepared(m map[prepKey]prepResult) {
	for k, r := range m {
		t := &x.geno[k.li]
		if r.err != nil || t.byText[k.text] != 0 {
			continue
		}
		t.list = append(t.list, r.lt)
		t.byText[k.text] = uint32(len(t.list))
		var ids [2]uint32
		if alts := r.lt.alts; len(alts) == 1 && !alts[0][0].homNull && !alts[0][1].homNull {
			ids = [2]uint32{t.internPos(&alts[0][0]), t.internPos(&alts[0][1])}
		}
		t.pos = append(t.pos, ids)
	}
}

func (x *Index) typingErr(u *bank.Unit) error {
	for _, lt := range u.HLA {
		li, ok := locusIndex[lt.Locus]
		if !ok {
			li, ok = locusIndex[x.g.ref.NormalizeLocus(lt.Locus)]
		}
		if ok && x.geno[li].byText[lt.Text] == 0 {
			_, err := x.g.prepareLocus(Loci[li], lt.Text)
			if err == nil {
				err = errors.New("typing not prepared")
			}
			return fmt.Errorf("%s: %w", u.Name(), err)
		}
	}
	return nil
}

func (x *Index) setBank(b *bank.Bank) {
	i, ok := x.bankIdx[b.ID]
	if !ok {
		if len(x.banks) == maxBanks {
			// Its units are then refused like those of an unknown bank
			// (Load reports them; UnitsChanged skips them).
			return
		}
		i = uint16(len(x.banks))
		x.bankIdx[b.ID] = i
		x.banks = append(x.banks, bankInfo{id: b.ID})
	}
	x.banks[i].accredited = b.IsAccredited()
}

// typingIDsLocked returns the ids of u's typings per locus (0: untyped);
// ok is false when a typing of a graded locus is not in the tables (it
// could not be prepared: typingErr says why).
func (x *Index) typingIDsLocked(u *bank.Unit) (geno [nLoci]uint32, ok bool) {
	for _, lt := range u.HLA {
		li, known := locusIndex[lt.Locus]
		if !known {
			li, known = locusIndex[x.g.ref.NormalizeLocus(lt.Locus)]
		}
		if known {
			if geno[li] = x.geno[li].byText[lt.Text]; geno[li] == 0 {
				return geno, false
			}
		}
	}
	return geno, true
}

// putLocked writes u's entry; its typings and bank are known.
func (x *Index) putLocked(u *bank.Unit) {
	geno, _ := x.typingIDsLocked(u)
	i, ok := x.pos[u.DIN]
	x.putAtLocked(u, geno, i, ok)
}

// putAtLocked is putLocked for a unit whose typing ids and DIN were looked
// up already: at entry i when indexed.
func (x *Index) putAtLocked(u *bank.Unit, geno [nLoci]uint32, i int32, indexed bool) {
	cold := coldEntry{din: u.DIN, version: u.Version}
	e := entry{tnc: u.Cells.PostProcessingTNC, cd34: -1, bank: x.bankIdx[u.Bank],
		coll: dayOf(u.CollectionDate), abo: aboIndex(u.ABO)}
	if c := u.Cells.PostProcessingCD34; c != nil {
		e.cd34 = *c
	}
	if u.Status == lifecycle.StatusAvailable {
		e.flags |= fAvailable
	}
	if !u.IsPrivate() {
		e.flags |= fPublic
	}
	if u.Reduction.RBCDepleted() {
		e.flags |= fRBCDepleted
	}
	if u.AttachedSegments > 0 {
		e.flags |= fSegment
	}
	if indexed {
		x.classCount[x.entries[i].flags&classMask]--
		x.entries[i], x.cold[i], x.ids[i] = e, cold, geno
	} else {
		i = int32(len(x.entries))
		x.pos[u.DIN] = i
		x.entries = append(x.entries, e)
		x.cold = append(x.cold, cold)
		x.ids = append(x.ids, geno)
	}
	x.classCount[e.flags&classMask]++
	// Restore the partition: entry i may sit on the wrong side.
	switch prime := int(i) < x.nPrime; {
	case isPrime(e.flags) && !prime:
		x.swapLocked(i, int32(x.nPrime))
		x.nPrime++
	case !isPrime(e.flags) && prime:
		x.nPrime--
		x.swapLocked(i, int32(x.nPrime))
	}
}

// swapLocked exchanges entries i and j (and their cold data, typing ids
// and positions).
func (x *Index) swapLocked(i, j int32) {
	if i == j {
		return
	}
	x.entries[i], x.entries[j] = x.entries[j], x.entries[i]
	x.cold[i], x.cold[j] = x.cold[j], x.cold[i]
	x.ids[i], x.ids[j] = x.ids[j], x.ids[i]
	x.pos[x.cold[i].din], x.pos[x.cold[j].din] = i, j
}

func (x *Index) removeLocked(din unit.DIN) bool {
	i, ok := x.pos[din]
	if !ok {
		return false
	}
	x.classCount[x.entries[i].flags&classMask]--
	if int(i) < x.nPrime {
		// Move it to the last prime place, which then leaves the prime
		// range.
		x.nPrime--
		x.swapLocked(i, int32(x.nPrime))
		i = int32(x.nPrime)
	}
	last := int32(len(x.entries) - 1)
	x.swapLocked(i, last)
	x.entries, x.cold, x.ids = x.entries[:last], x.cold[:last], x.ids[:last]
	delete(x.pos, din)
	return true
}

// typingOf rebuilds the prepared Typing of entry i (for results).
func (x *Index) typingOf(i int32) *Typing {
	t := &Typing{}
	for li, id := range x.ids[i] {
		if id != 0 {
			t.loci[li] = x.geno[li].list[id-1]
		}
	}
	return t
}

func bankDate(t time.Time) unit.Date { return unit.DateOf(t.UTC()) }
