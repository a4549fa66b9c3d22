package bank_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/banktest"
)

// auditFixture returns a service over a fresh store holding
// banktest.AuditedChanges' five events.
func auditFixture(t *testing.T) *bank.Service {
	t.Helper()
	svc := bank.NewService(openStore(t), bank.WithClock(banktest.Clock))
	banktest.AuditedChanges(t, svc)
	return svc
}

func TestAuditRecordsEveryMutation(t *testing.T) {
	svc := auditFixture(t)
	var events []*bank.Event
	err := svc.Store().Read(t.Context(), func(tx bank.ReadTx) error {
		var err error
		events, err = tx.ListEvents(t.Context(), bank.EventQuery{Limit: 100})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, e.Method+" "+e.Resource)
		if e.Principal != "tech-1" || e.RequestID != "req-1" {
			t.Errorf("event %d: caller %q %q", e.Seq, e.Principal, e.RequestID)
		}
	}
	u1, u2 := "banks/bank-a/units/"+string(banktest.DIN(banktest.ValidBank("bank-a").FIN, 24, 1)), "banks/bank-a/units/"+string(banktest.DIN(banktest.ValidBank("bank-a").FIN, 24, 2))
	want := []string{"CreateBank banks/bank-a", "CreateUnit " + u1, "ImportUnits " + u2, "UpdateUnit " + u1, "DiscardUnit " + u1}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	upd := events[3]
	if len(upd.Changes) != 1 || upd.Changes[0].Field != "local_id" || upd.Changes[0].Before != `"CB-000001"` || upd.Changes[0].After != `"CB-9"` {
		t.Errorf("update changes = %+v", upd.Changes)
	}
	disc := events[4]
	fields := map[string]bool{}
	for _, c := range disc.Changes {
		fields[c.Field] = true
	}
	if disc.Reason != "CD" || !fields["status"] || !fields["status_note"] || fields["version"] {
		t.Errorf("discard event = %+v", disc)
	}
	sum, err := svc.VerifyEvents(t.Context())
	if err != nil || sum.Events != 5 || len(sum.Problems) != 0 || sum.Head != events[4].Hash {
		t.Fatalf("verify = %+v, %v", sum, err)
	}
}

// TestEventHashesAreStable pins every hash scheme to fixed digests: a
// stored trail must verify for decades, so any change to an encoding has
// to be a new scheme, never an edit of an old one.
func TestEventHashesAreStable(t *testing.T) {
	e := bank.Event{Seq: 42, Time: time.Date(2026, 3, 1, 12, 0, 0, 5, time.UTC), Principal: "tech-1", RequestID: "req-9",
		Method: "UpdateUnit", Resource: "banks/bank-a/units/W123426000001", Bank: "bank-a", Reason: "CD",
		Changes:  []audit.FieldChange{{Field: "local_id", Before: `"CB-1"`, After: `"CB-2"`}, {Field: "ethnicity", After: `"HIS"`}},
		PrevHash: "00ff", Stream: "bank-a", StreamSeq: 7}
	for _, tc := range []struct {
		scheme int
		want   string
	}{
		{audit.HashSchemeFlat, "8d4f176094f0fcb43676be8e23a115646b5695242b590de070110cc72193839f"}, // as computed before schemes were recorded
		{audit.HashSchemeLinked, "a09abcb9fc1e1381e1c77b84ffbfe8c234dd847c82397c412f0525529d3be470"},
		{audit.HashSchemeStreamed, "db6ec8475a255fb566ec3a37e58a10b193c8604a48ad815d3a2bc433b9e6f692"}, // also computed from the documented encoding outside Go
	} {
		e.HashScheme = tc.scheme
		if got := e.ComputeHash(); got != tc.want {
			t.Errorf("scheme %d: hash %s, want %s", tc.scheme, got, tc.want)
		}
	}
	e.HashScheme = 4
	if got := e.ComputeHash(); got != "" {
		t.Errorf("unknown scheme hashed to %q, want \"\"", got)
	}
}

// TestVerifyAcceptsOlderSchemeFirst: a trail begun before hash schemes
// were recorded (scheme 1) and continued under the current scheme verifies whole.
func TestVerifyAcceptsOlderSchemeFirst(t *testing.T) {
	store := openStore(t)
	err := store.Write(t.Context(), func(tx bank.Tx) error {
		var prev string
		for seq := int64(1); seq <= 3; seq++ {
			e := &bank.Event{Seq: seq, Time: banktest.Now, Principal: "old", Method: "CreateBank", Resource: "banks/old",
				Changes: []audit.FieldChange{{Field: "*", After: `{}`}}, PrevHash: prev, HashScheme: audit.HashSchemeFlat, StreamSeq: seq}
			e.Hash = e.ComputeHash()
			if err := tx.AppendEvent(t.Context(), e); err != nil {
				return err
			}
			prev = e.Hash
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := bank.NewService(store, bank.WithClock(banktest.Clock))
	if _, err := svc.CreateBank(t.Context(), banktest.ValidBank("bank-a"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ImportUnits(t.Context(), "bank-a", []*bank.Unit{banktest.ValidUnit("bank-a", banktest.DIN(banktest.ValidBank("bank-a").FIN, 24, 1))}); err != nil {
		t.Fatal(err)
	}
	sum, err := svc.VerifyEvents(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Events != 5 || len(sum.Problems) != 0 {
		t.Fatalf("verify: %+v, want 5 events and no problems", sum)
	}
	var schemes []int
	err = store.Read(t.Context(), func(tx bank.ReadTx) error {
		evs, err := tx.ListEvents(t.Context(), bank.EventQuery{Limit: 10})
		for _, e := range evs {
			schemes = append(schemes, e.HashScheme)
		}
		return err
	})
	if err != nil || !slices.Equal(schemes, []int{1, 1, 1, 3, 3}) {
		t.Fatalf("schemes %v (%v), want [1 1 1 3 3]", schemes, err)
	}
}
