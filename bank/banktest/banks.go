package banktest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/cordbank/cordbank/bank"
)

var bankTests = []test{
	{"CreateThenGet", bankCreateThenGet},
	{"DuplicateID", bankDuplicateID},
	{"DuplicateFIN", bankDuplicateFIN},
	{"NotFound", bankNotFound},
	{"ListPages", bankListPages},
	{"Update", bankUpdate},
	{"FINs", bankFINs},
}

// bankFINs: a bank owns every FIN it was assigned, one bank per FIN, and
// registers units under any of them.
func bankFINs(t *testing.T, e *env) {
	a := e.bank("bank-a")
	b := e.bank("bank-b")
	extra := FIN("bank-a-second")
	got, err := e.svc.UpdateBank(e.ctx, &bank.Bank{ID: "bank-a", FINs: []string{a.FIN, extra}}, []string{"fins"}, "")
	if err != nil {
		t.Fatalf("UpdateBank(fins): %v", err)
	}
	want := []string{a.FIN, extra}
	slices.Sort(want)
	if d := diff(got.FINs, want); d != "" {
		t.Errorf("fins after update (-want +got):\n%s", d)
	}
	if stored, err := e.svc.GetBank(e.ctx, "bank-a"); err != nil || diff(stored.FINs, want) != "" {
		t.Errorf("stored fins %v, %v; want %v", stored, err, want)
	}
	e.unit(ValidUnit("bank-a", DIN(extra, 24, 1)))
	// Another bank's FIN cannot be assigned.
	_, err = e.svc.UpdateBank(e.ctx, &bank.Bank{ID: "bank-a", FINs: []string{a.FIN, b.FIN}}, []string{"fins"}, "")
	wantErr(t, err, bank.KindAlreadyExists, bank.ReasonFINAlreadyRegistered)
	// The primary FIN stays among them.
	_, err = e.svc.UpdateBank(e.ctx, &bank.Bank{ID: "bank-a", FINs: []string{extra}}, []string{"fins"}, "")
	be := wantErr(t, err, bank.KindInvalid, bank.ReasonInvalidArgument)
	wantViolation(t, be, "bank.fins")
	// Taken away, a FIN registers nothing more; units stored under it stay.
	if _, err := e.svc.UpdateBank(e.ctx, &bank.Bank{ID: "bank-a", FINs: []string{a.FIN}}, []string{"fins"}, ""); err != nil {
		t.Fatalf("UpdateBank(fins): %v", err)
	}
	_, err = e.svc.CreateUnit(e.ctx, ValidUnit("bank-a", DIN(extra, 24, 2)), "")
	wantErr(t, err, bank.KindInvalid, bank.ReasonFINNotOwned)
	if _, err := e.svc.GetUnit(e.ctx, "bank-a", DIN(extra, 24, 1)); err != nil {
		t.Errorf("unit under a FIN taken away: %v", err)
	}
	// Sent again, such a unit is still the bank's own: already present;
	// a new one under that FIN is refused.
	res, err := e.svc.ImportUnits(e.ctx, "bank-a", []*bank.Unit{ValidUnit("bank-a", DIN(extra, 24, 1)), ValidUnit("bank-a", DIN(extra, 24, 3))})
	if err != nil {
		t.Fatalf("ImportUnits: %v", err)
	}
	if !res[0].AlreadyPresent || res[0].Err != nil {
		t.Errorf("re-sent unit under a FIN taken away: %+v; want already present", res[0])
	}
	wantErr(t, res[1].Err, bank.KindInvalid, bank.ReasonFINNotOwned)
}

func bankCreateThenGet(t *testing.T, e *env) {
	in := ValidBank("bank-a")
	created, err := e.svc.CreateBank(e.ctx, in, "")
	if err != nil {
		t.Fatalf("CreateBank: %v", err)
	}
	want := *in
	want.CreateTime, want.UpdateTime, want.Version = Now, Now, 1
	want.FINs = []string{in.FIN} // a bank owns the FIN it registers with
	if d := diff(created, &want); d != "" {
		t.Errorf("CreateBank returned (-want +got):\n%s", d)
	}
	got, err := e.svc.GetBank(e.ctx, "bank-a")
	if err != nil {
		t.Fatalf("GetBank: %v", err)
	}
	if d := diff(got, &want); d != "" {
		t.Errorf("GetBank (-want +got):\n%s", d)
	}
}

func bankDuplicateID(t *testing.T, e *env) {
	e.bank("bank-a")
	dup := ValidBank("bank-a")
	dup.FIN = FIN("something else")
	_, err := e.svc.CreateBank(e.ctx, dup, "")
	be := wantErr(t, err, bank.KindAlreadyExists, bank.ReasonBankAlreadyExists)
	wantMeta(t, be, "name", "banks/bank-a")
	got, err := e.svc.GetBank(e.ctx, "bank-a")
	if err != nil {
		t.Fatalf("GetBank: %v", err)
	}
	if got.FIN != FIN("bank-a") {
		t.Errorf("FIN = %s after a refused duplicate, want the first bank's %s", got.FIN, FIN("bank-a"))
	}
}

func bankDuplicateFIN(t *testing.T, e *env) {
	a := e.bank("bank-a")
	b := ValidBank("bank-b")
	b.FIN = a.FIN
	_, err := e.svc.CreateBank(e.ctx, b, "")
	be := wantErr(t, err, bank.KindAlreadyExists, bank.ReasonFINAlreadyRegistered)
	wantMeta(t, be, "fin", a.FIN)
	if _, err := e.svc.GetBank(e.ctx, "bank-b"); bank.KindOf(err) != bank.KindNotFound {
		t.Errorf("GetBank(bank-b) after refused create: err = %v, want not found", err)
	}

	// Taking another bank's FIN by update is refused the same way.
	e.bank("bank-c")
	_, err = e.svc.UpdateBank(e.ctx, &bank.Bank{ID: "bank-c", FIN: a.FIN}, []string{"fin"}, "")
	wantErr(t, err, bank.KindAlreadyExists, bank.ReasonFINAlreadyRegistered)
}

func bankNotFound(t *testing.T, e *env) {
	_, err := e.svc.GetBank(e.ctx, "no-such-bank")
	be := wantErr(t, err, bank.KindNotFound, bank.ReasonBankNotFound)
	wantMeta(t, be, "name", "banks/no-such-bank")
	_, err = e.svc.UpdateBank(e.ctx, &bank.Bank{ID: "no-such-bank", DisplayName: "x"}, []string{"display_name"}, "")
	wantErr(t, err, bank.KindNotFound, bank.ReasonBankNotFound)
}

func bankListPages(t *testing.T, e *env) {
	var want []string
	for i := 7; i >= 1; i-- { // created out of order, listed by ID
		id := fmt.Sprintf("bank-%02d", i)
		e.bank(id)
		want = append([]string{id}, want...)
	}
	var got []string
	tok := ""
	for range 10 {
		page, next, err := e.svc.ListBanks(e.ctx, 3, tok)
		if err != nil {
			t.Fatalf("ListBanks: %v", err)
		}
		for _, b := range page {
			got = append(got, b.ID)
		}
		if tok = next; tok == "" {
			break
		}
	}
	if d := diff(got, want); d != "" {
		t.Errorf("listed banks (-want +got):\n%s", d)
	}
}

func bankUpdate(t *testing.T, e *env) {
	e.bank("bank-a")
	e.clock.Advance(90)
	upd := &bank.Bank{ID: "bank-a", DisplayName: "Renamed", Country: "FR", Accreditations: nil}
	got, err := e.svc.UpdateBank(e.ctx, upd, []string{"display_name", "accreditations"}, bank.Etag(1))
	if err != nil {
		t.Fatalf("UpdateBank: %v", err)
	}
	want := ValidBank("bank-a")
	want.DisplayName, want.Accreditations = "Renamed", nil
	want.FINs = []string{want.FIN}
	want.CreateTime, want.UpdateTime, want.Version = Now, e.clock.Now(), 2
	if d := diff(got, want); d != "" {
		t.Errorf("UpdateBank returned (-want +got):\n%s", d)
	}
	stored, err := e.svc.GetBank(e.ctx, "bank-a")
	if err != nil {
		t.Fatalf("GetBank: %v", err)
	}
	if d := diff(stored, want); d != "" {
		t.Errorf("stored bank (-want +got):\n%s", d)
	}
	_, err = e.svc.UpdateBank(e.ctx, upd, []string{"display_name"}, bank.Etag(1))
	wantErr(t, err, bank.KindAborted, bank.ReasonEtagMismatch)
}
