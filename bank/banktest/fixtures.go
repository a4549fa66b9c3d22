package banktest

import (
	"fmt"
	"hash/fnv"
	"sync"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// Now is the fixed "current time" of the suite: every fixture date lies
// before it. Use it with bank.WithClock(Clock).
var Now = time.Date(2026, time.June, 15, 12, 0, 0, 0, time.UTC)

// Clock returns Now; pass it to bank.WithClock.
func Clock() time.Time { return Now }

// finLetters are the letters a FIN may start with (no O, which reads as 0).
const finLetters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"

// FIN returns a valid facility identification number derived from seed, so
// the same bank id always gets the same FIN and different ids almost
// always differ.
func FIN(seed string) string {
	h := fnv.New32a()
	h.Write([]byte(seed))
	x := h.Sum32()
	return fmt.Sprintf("%c%04d", finLetters[x%uint32(len(finLetters))], (x/32)%10000)
}

// ValidBank returns a valid, not yet stored bank with the given id and a FIN
// derived from it (see FIN).
func ValidBank(id string) *bank.Bank {
	return &bank.Bank{
		ID:             id,
		DisplayName:    "Cord Blood Bank " + id,
		FIN:            FIN(id),
		Country:        "DE",
		Accreditations: []bank.Accreditation{bank.AccreditationFACTNetCord, bank.AccreditationAABB},
	}
}

// DIN returns the valid DIN of facility fin, nominal year (two last digits
// used) and sequence number seq (0..999999). It panics on an invalid FIN:
// it is meant for fixtures.
func DIN(fin string, year, seq int) unit.DIN {
	d, err := unit.ParseDIN(fmt.Sprintf("%s%02d%06d", fin, year%100, seq))
	if err != nil {
		panic("banktest.DIN: " + err.Error())
	}
	return d
}

func f64(x float64) *float64 { return &x }

func date(y int, m time.Month, d int) unit.Date { return unit.Date{Year: y, Month: m, Day: d} }

// ValidUnit returns a fully valid, realistic public unit of bankID, not yet
// stored: collected in March 2024, 1.2e9 nucleated cells and 4e6 CD34+
// cells after processing, 95 % viable, typed at five loci. Its Status is
// QUARANTINE (what CreateUnit sets); server-set times and version are zero.
// Units returned by separate calls share no memory.
func ValidUnit(bankID string, din unit.DIN) *bank.Unit {
	u := &bank.Unit{
		Bank:               bankID,
		DIN:                din,
		Type:               bank.UnitTypePublic,
		Status:             lifecycle.StatusQuarantine,
		LocalID:            "CB-" + string(din[7:]),
		CollectionDate:     date(2024, time.March, 17),
		ProcessingDate:     date(2024, time.March, 18),
		FreezeDate:         date(2024, time.March, 18),
		ProcessingMethod:   bank.ProcessingHES,
		Reduction:          bank.ReductionPlasmaAndRBC,
		InfantBirthDate:    date(2024, time.March, 17),
		InfantSex:          bank.SexFemale,
		ABO:                bank.ABOO,
		Rh:                 bank.RhPositive,
		Ethnicity:          "EUR",
		CollectionVolumeML: 98.5,
		FrozenVolumeML:     25,
		Cells: bank.CellCounts{
			PreProcessingTNC:   f64(1.45e9),
			PostProcessingTNC:  1.2e9,
			PreProcessingCD34:  f64(4.6e6),
			PostProcessingCD34: f64(4.0e6),
			ViabilityPercent:   f64(95),
			CFU:                nil, // not measured: "unknown" must survive as nil
			NucleatedRBC:       f64(8.5e7),
		},
		Bags:               1,
		CompartmentsPerBag: 2,
		AttachedSegments:   2,
		IDM:                bank.IDMNegative,
		IDMTestDate:        date(2024, time.March, 20),
		HLA: []bank.LocusTyping{
			{Locus: "A", Text: "A*02:01+A*24:02"},
			{Locus: "B", Text: "B*07:02+B*44:02"},
			{Locus: "C", Text: "C*05:01+C*07:02"},
			{Locus: "DRB1", Text: "DRB1*04:01+DRB1*15:01"},
			{Locus: "DQB1", Text: "DQB1*03:02+DQB1*06:02"},
		},
		Private: bank.UnitPrivate{MaternalID: "M-" + string(din[7:])},
	}
	ReadTypings(u, nil)
	return u
}

// ReadTypings sets the Reading of each of u's typings (and u.HLARelease)
// as the service would with reader (nil: syntax only), so a fixture equals
// what the service stores. It panics on a typing the reader refuses: a
// fixture must be valid.
func ReadTypings(u *bank.Unit, reader *bank.HLAReader) {
	if reader == nil {
		reader = bank.NewHLAReader(nil)
	}
	for i, t := range u.HLA {
		read, err := reader.Read(t.Locus, t.Text)
		if err != nil {
			panic("banktest: fixture typing " + t.Text + ": " + err.Error())
		}
		u.HLA[i] = read
	}
	u.HLARelease = reader.Release()
}

// FullUnit returns ValidUnit with every optional field set, HLA at all 11
// loci with a column of their own plus one other locus, and maternal data:
// the unit a round-trip test compares field by field.
func FullUnit(bankID string, din unit.DIN) *bank.Unit {
	u := ValidUnit(bankID, din)
	u.Type = bank.UnitTypeDirected
	u.Cells.CFU = f64(3.1e5)
	u.HLA = []bank.LocusTyping{
		{Locus: "A", Text: "A*02:01:01:01+A*24:02"},
		{Locus: "B", Text: "B*07:02+B*44:02"},
		{Locus: "C", Text: "C*05:01+C*07:02"},
		{Locus: "DRB1", Text: "DRB1*04:01+DRB1*15:01"},
		{Locus: "DRB3", Text: "DRB3*01:01"},
		{Locus: "DRB4", Text: "DRB4*01:03"},
		{Locus: "DRB5", Text: "DRB5*01:01"},
		{Locus: "DQA1", Text: "DQA1*01:02+DQA1*03:01"},
		{Locus: "DQB1", Text: "DQB1*03:02+DQB1*06:02"},
		{Locus: "DPA1", Text: "DPA1*01:03"},
		{Locus: "DPB1", Text: "DPB1*04:01+DPB1*04:02"},
		{Locus: "MICA", Text: "MICA*008:01"},
	}
	ReadTypings(u, nil)
	// A release name exercises the column; readings of a real release are
	// tested where reference data is loaded.
	u.HLARelease = "3.24.0"
	u.Private = bank.UnitPrivate{
		MaternalID:        "M-" + string(din[7:]),
		MaternalHLA:       []bank.LocusTyping{{Locus: "A", Text: "A*02:01+A*01:01"}, {Locus: "B", Text: "B*07:02+B*08:01"}},
		FamilyID:          "FAM-77",
		DirectedRecipient: "REC-0042",
		Notes:             "sibling with β-thalassaemia; \"quoted\", comma, ünïcode",
	}
	// Lifecycle fields as a make-unavailable call records them (the
	// distributing bank needs a second bank: see unitRoundTripAllFields).
	u.Status = lifecycle.StatusTemporarilyUnavailable
	u.StatusReason = "AD"
	u.StatusEndDate = date(2026, time.July, 1)
	u.StatusNote = "bag label reprint pending; ünïcode"
	u.StatusTime = Now.Add(-30*time.Minute + 4567)
	u.CreateTime = Now.Add(-time.Hour + 123456789) // nanoseconds must survive
	u.UpdateTime = Now.Add(-time.Minute + 987)
	u.Version = 3
	return u
}

// stepClock is a clock tests advance by hand, safe for concurrent use.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func newStepClock() *stepClock { return &stepClock{t: Now} }

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// AuditedChanges registers bank-a and two units through svc and changes
// one of them, as principal tech-1 with request id req-1, leaving five
// audit events, Seq 1 to 5: CreateBank of bank-a, CreateUnit of unit 1,
// ImportUnits of unit 2, UpdateUnit of unit 1 (local_id "CB-000001" to
// "CB-9") and DiscardUnit of unit 1 (reason CD). Unit n is
// DIN(ValidBank("bank-a").FIN, 24, n). Tests of the audit trail read
// these events, or tamper with them where a store lets them.
func AuditedChanges(t testing.TB, svc *bank.Service) {
	t.Helper()
	ctx := bank.WithCaller(t.Context(), bank.Caller{Principal: "tech-1", RequestID: "req-1"})
	b := ValidBank("bank-a")
	if _, err := svc.CreateBank(ctx, b, ""); err != nil {
		t.Fatal(err)
	}
	created, err := svc.CreateUnit(ctx, ValidUnit("bank-a", DIN(b.FIN, 24, 1)), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ImportUnits(ctx, "bank-a", []*bank.Unit{ValidUnit("bank-a", DIN(b.FIN, 24, 2))}); err != nil {
		t.Fatal(err)
	}
	upd := *created
	upd.LocalID = "CB-9"
	if _, err := svc.UpdateUnit(ctx, &upd, []string{"local_id"}, bank.Etag(created.Version)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Transition(ctx, bank.TransitionRequest{Bank: "bank-a", DIN: created.DIN, Action: lifecycle.ActionDiscard, Reason: "CD", Note: "bag cracked"}); err != nil {
		t.Fatal(err)
	}
}
