package bank_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// reported is a sample of unit din typed at A and B, IPD-IMGT/HLA 3.24.0.
func reported(din unit.DIN, a, b string) bank.ReportedSample {
	return bank.ReportedSample{ID: string(din), Where: "line 7", Typings: []bank.ReportedTyping{
		{Locus: "A", Text: a, Where: "line 9", AlleleDB: "IMGT/HLA", Release: "3.24.0", TypingDate: "2024-05-01", Methods: []string{"SBT-NGS"}},
		{Locus: "B", Text: b, Where: "line 10", AlleleDB: "IMGT/HLA", Release: "3.24.0"},
	}}
}

func (e *resEnv) applyReport(t *testing.T, samples ...bank.ReportedSample) ([]bank.SampleResult, error) {
	t.Helper()
	return e.svc.ApplyTypingReport(t.Context(), bank.TypingReport{Bank: "bank-a", Source: "HML test", Samples: samples, Field: "hml"})
}

func (e *resEnv) typingOf(t *testing.T, din unit.DIN, locus string) string {
	t.Helper()
	u, err := e.svc.GetUnit(t.Context(), "bank-a", din)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range u.HLA {
		if l.Locus == locus {
			return l.Text
		}
	}
	return ""
}

// TestTypingReportResolution: a more resolved agreeing typing replaces
// the stored one; a less resolved one sent later does not undo it.
func TestTypingReportResolution(t *testing.T) {
	e := newResEnv(t, 1)
	res, err := e.applyReport(t, reported(e.din(1), "A*02:01:01:01+A*24:02:01:01", "B*07:02+B*44:02"))
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Outcome != bank.TypingExtended || !slices.Equal(r.Updated, []string{"A"}) || !slices.Equal(r.Kept, []string{"B"}) {
		t.Fatalf("first report: %+v", r)
	}
	res, err = e.applyReport(t, reported(e.din(1), "A*02:01+A*24:02", "B*07:02+B*44:02"))
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Outcome != bank.TypingUnchanged || !slices.Equal(r.Kept, []string{"A", "B"}) {
		t.Fatalf("second report: %+v", r)
	}
	if got := e.typingOf(t, e.din(1), "A"); got != "A*02:01:01:01+A*24:02:01:01" {
		t.Fatalf("A is %q", got)
	}
}

// TestTypingReportQuarantineDiscrepancy: a unit still in quarantine keeps
// its status and typing; the discrepancy is its status note.
func TestTypingReportQuarantineDiscrepancy(t *testing.T) {
	e := newResEnv(t, 0)
	u, err := e.svc.CreateUnit(t.Context(), banktest.ValidUnit("bank-a", e.din(5)), "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.applyReport(t, reported(u.DIN, "A*02:01+A*24:02", "B*08:01+B*44:02"))
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Outcome != bank.TypingDiscrepant || !slices.Equal(res[0].Discrepant, []string{"B"}) {
		t.Fatalf("result %+v", res[0])
	}
	got, err := e.svc.GetUnit(t.Context(), "bank-a", u.DIN)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != lifecycle.StatusQuarantine || !strings.HasPrefix(got.StatusNote, "typing discrepancy at B: HML test, sample") || e.typingOf(t, u.DIN, "B") != "B*07:02+B*44:02" {
		t.Fatalf("unit %s %q, B %q", got.Status, got.StatusNote, e.typingOf(t, u.DIN, "B"))
	}
}

// TestTypingReportRefusesWhole: one unit no longer held, or one bad
// sample, and the report changes nothing, its good samples included.
func TestTypingReportRefusesWhole(t *testing.T) {
	e := newResEnv(t, 2)
	if _, err := e.svc.Transition(t.Context(), bank.TransitionRequest{Bank: "bank-a", DIN: e.din(2), Action: lifecycle.ActionDiscard, Reason: "CD"}); err != nil {
		t.Fatal(err)
	}
	good := reported(e.din(1), "A*02:01:01:01+A*24:02:01:01", "B*07:02+B*44:02")
	_, err := e.applyReport(t, good, reported(e.din(2), "A*02:01+A*24:02", "B*07:02+B*44:02"))
	wantKind(t, err, bank.KindFailedPrecondition, bank.ReasonIllegalTransition)
	if got := e.typingOf(t, e.din(1), "A"); got != "A*02:01+A*24:02" {
		t.Fatalf("the good sample was applied: A is %q", got)
	}

	bad := reported(e.din(1), "A*02:01+A*24:02", "B*07:02+B*44:02")
	bad.Typings[0].AlleleDB = "IPD-KIR"
	bad.Typings[1].Release = "3.24"
	empty := bank.ReportedSample{ID: "not a din", Where: "line 30"}
	_, err = e.applyReport(t, good, bad, empty)
	wantKind(t, err, bank.KindInvalid, bank.ReasonInvalidArgument)
	var msgs []string
	for _, v := range err.(*bank.Error).Violations {
		if v.Field != "hml" {
			t.Errorf("violation of %q", v.Field)
		}
		msgs = append(msgs, v.Description)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		`line 7: sample ` + string(e.din(1)) + ` is the unit of the sample at line 7: one sample per unit`,
		`line 9: allele-db "IPD-KIR": cordbank reads IPD-IMGT/HLA nomenclature only`,
		`line 10: allele-version "3.24": name the IPD-IMGT/HLA release`,
		`line 30: sample id "not a din" is not a unit's DIN`,
		`line 30: sample "not a din" has no HLA typing to apply`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("violations do not say %q:\n%s", want, all)
		}
	}
}
