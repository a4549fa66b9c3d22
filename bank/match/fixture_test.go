package match

import (
	"fmt"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const fullHLA = "A*02:01+A*24:02; B*07:02+B*08:01; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01"

func f64(x float64) *float64 { return &x }

var (
	bankAcc   = &bank.Bank{ID: "acc-bank", FIN: "A1234", Accreditations: []bank.Accreditation{bank.AccreditationFACTNetCord}}
	bankNoAcc = &bank.Bank{ID: "plain-bank", FIN: "B1234"}
)

// unitOpt changes a test unit.
type unitOpt func(*bank.Unit)

func hlaOf(s string) unitOpt { return func(u *bank.Unit) { u.HLA = typings(s) } }
func tnc(x float64) unitOpt  { return func(u *bank.Unit) { u.Cells.PostProcessingTNC = x } }
func cd34(x float64) unitOpt {
	return func(u *bank.Unit) {
		if x < 0 {
			u.Cells.PostProcessingCD34 = nil
		} else {
			u.Cells.PostProcessingCD34 = f64(x)
		}
	}
}
func ofBank(b *bank.Bank) unitOpt { return func(u *bank.Unit) { u.Bank = b.ID } }
func collected(y, m, d int) unitOpt {
	return func(u *bank.Unit) { u.CollectionDate = unit.Date{Year: y, Month: time.Month(m), Day: d} }
}

var dinSeq int

// testUnit is an AVAILABLE public unit of bankAcc, RBC-depleted, with a
// segment, collected in 2020, TNC 2e9 and CD34+ 1e7 (70 kg: 2.9e7/kg,
// 1.4e5/kg), typed fullHLA.
func testUnit(din string, opts ...unitOpt) *bank.Unit {
	if din == "" {
		dinSeq++
		din = fmt.Sprintf("A123425%06d", dinSeq)
	}
	u := &bank.Unit{Bank: bankAcc.ID, DIN: unit.DIN(din), Type: bank.UnitTypePublic, Status: lifecycle.StatusAvailable,
		Reduction: bank.ReductionPlasmaAndRBC, AttachedSegments: 2, ABO: bank.ABOO,
		CollectionDate: unit.Date{Year: 2020, Month: 1, Day: 1},
		Cells:          bank.CellCounts{PostProcessingTNC: 2e9, PostProcessingCD34: f64(1e7)}, HLA: typings(fullHLA)}
	for _, o := range opts {
		o(u)
	}
	return u
}

func banksOf(bs ...*bank.Bank) map[string]*bank.Bank {
	m := map[string]*bank.Bank{}
	for _, b := range bs {
		m[b.ID] = b
	}
	return m
}

// baseRequest: 70 kg malignant 8/8 patient typed fullHLA, as of testNow.
func baseRequest() *Request {
	return &Request{Patient: Patient{HLA: typings(fullHLA), ABO: bank.ABOO}, WeightKg: 70, Disease: Malignant,
		Criterion: Criterion8of8, AsOf: unit.DateOf(testNow)}
}

func newTestIndex(g *Grader, units ...*bank.Unit) (*Index, error) {
	x := NewIndex(g, WithClock(func() time.Time { return testNow }))
	return x, x.Load(units, banksOf(bankAcc, bankNoAcc))
}
