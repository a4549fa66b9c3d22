package bank_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/banktest"
)

func methodsOf(evs []*bank.Event) string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Method+" "+e.Resource)
	}
	return strings.Join(out, "\n")
}

// violated reports whether err is KindInvalid naming field.
func violated(err error, field string) bool {
	var e *bank.Error
	if !errors.As(err, &e) || e.Kind != bank.KindInvalid {
		return false
	}
	for _, v := range e.Violations {
		if v.Field == field {
			return true
		}
	}
	return false
}

func TestUnitHistory(t *testing.T) {
	svc := auditFixture(t)
	fin := banktest.ValidBank("bank-a").FIN
	din := banktest.DIN(fin, 24, 1)
	name := "banks/bank-a/units/" + string(din)
	var got []*bank.Event
	tok := ""
	for page := 0; ; page++ {
		evs, next, err := svc.UnitHistory(t.Context(), "bank-a", din, 1, tok)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, evs...)
		if next == "" {
			break
		}
		if page > 5 {
			t.Fatal("history does not end")
		}
		tok = next
	}
	want := "CreateUnit " + name + "\nUpdateUnit " + name + "\nDiscardUnit " + name
	if methodsOf(got) != want {
		t.Fatalf("history:\n%s\nwant\n%s", methodsOf(got), want)
	}

	_, next, err := svc.UnitHistory(t.Context(), "bank-a", din, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	other := banktest.DIN(fin, 24, 2)
	if _, _, err := svc.UnitHistory(t.Context(), "bank-a", other, 1, next); !violated(err, "page_token") {
		t.Errorf("token of another unit: %v, want page_token violation", err)
	}
	if _, _, err := svc.UnitHistory(t.Context(), "bank-a", din, 1, "garbage"); !violated(err, "page_token") {
		t.Errorf("garbage token: %v", err)
	}
	if _, _, err := svc.UnitHistory(t.Context(), "bank-a", din, -1, ""); !violated(err, "page_size") {
		t.Errorf("negative page size: %v", err)
	}
	if _, _, err := svc.UnitHistory(t.Context(), "bank-a", banktest.DIN(fin, 24, 9), 0, ""); bank.KindOf(err) != bank.KindNotFound {
		t.Errorf("unknown unit: %v, want NotFound", err)
	}
	if _, _, err := svc.UnitHistory(t.Context(), "bank-b", din, 0, ""); bank.KindOf(err) != bank.KindNotFound {
		t.Errorf("unit of another bank: %v, want NotFound", err)
	}
}

func TestListEvents(t *testing.T) {
	svc := auditFixture(t)
	fin := banktest.ValidBank("bank-a").FIN
	u1 := "banks/bank-a/units/" + string(banktest.DIN(fin, 24, 1))
	u2 := "banks/bank-a/units/" + string(banktest.DIN(fin, 24, 2))
	list := func(r bank.ListEventsRequest) string {
		t.Helper()
		evs, _, err := svc.ListEvents(t.Context(), r)
		if err != nil {
			t.Fatal(err)
		}
		return methodsOf(evs)
	}
	all := strings.Join([]string{"CreateBank banks/bank-a", "CreateUnit " + u1, "ImportUnits " + u2, "UpdateUnit " + u1, "DiscardUnit " + u1}, "\n")
	for _, tc := range []struct {
		name string
		req  bank.ListEventsRequest
		want string
	}{
		{"bank", bank.ListEventsRequest{Bank: "bank-a"}, all},
		{"every bank", bank.ListEventsRequest{}, all},
		{"unit", bank.ListEventsRequest{Bank: "bank-a", Resource: u2}, "ImportUnits " + u2},
		{"prefix", bank.ListEventsRequest{Bank: "bank-a", Resource: "banks/bank-a/units/*"}, strings.Join([]string{"CreateUnit " + u1, "ImportUnits " + u2, "UpdateUnit " + u1, "DiscardUnit " + u1}, "\n")},
		{"prefix is not a pattern", bank.ListEventsRequest{Bank: "bank-a", Resource: "banks/bank_a/*"}, ""},
		{"methods", bank.ListEventsRequest{Bank: "bank-a", Methods: []string{"DiscardUnit", "CreateBank", "DiscardUnit"}}, "CreateBank banks/bank-a\nDiscardUnit " + u1},
		{"since", bank.ListEventsRequest{Bank: "bank-a", Since: banktest.Now}, all},
		{"since later", bank.ListEventsRequest{Bank: "bank-a", Since: banktest.Now.Add(time.Nanosecond)}, ""},
		{"until", bank.ListEventsRequest{Bank: "bank-a", Until: banktest.Now}, ""},
		{"until later", bank.ListEventsRequest{Bank: "bank-a", Since: banktest.Now, Until: banktest.Now.Add(time.Nanosecond)}, all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := list(tc.req); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}

	// Pages of two: 2 + 2 + 1, in order, and the token is bound to the filter.
	r := bank.ListEventsRequest{Bank: "bank-a", PageSize: 2}
	var got []*bank.Event
	var tokens []string
	for {
		evs, next, err := svc.ListEvents(t.Context(), r)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, evs...)
		if next == "" {
			break
		}
		tokens = append(tokens, next)
		r.PageToken = next
	}
	if methodsOf(got) != all || len(tokens) != 2 {
		t.Errorf("paged:\n%s\ntokens %d", methodsOf(got), len(tokens))
	}
	if _, _, err := svc.ListEvents(t.Context(), bank.ListEventsRequest{Bank: "bank-a", PageSize: 2, Methods: []string{"CreateUnit"}, PageToken: tokens[0]}); !violated(err, "page_token") {
		t.Errorf("token with other filter: %v", err)
	}

	for _, tc := range []struct {
		req   bank.ListEventsRequest
		field string
	}{
		{bank.ListEventsRequest{Bank: "Bank A"}, "parent"},
		{bank.ListEventsRequest{Bank: "bank-a", Resource: "banks/*/units"}, "resource"},
		{bank.ListEventsRequest{Bank: "bank-a", Methods: []string{"create unit"}}, "methods"},
		{bank.ListEventsRequest{Bank: "bank-a", Since: banktest.Now, Until: banktest.Now}, "end_time"},
		{bank.ListEventsRequest{Bank: "bank-a", PageToken: "!!"}, "page_token"},
		{bank.ListEventsRequest{Bank: "bank-a", PageSize: -3}, "page_size"},
	} {
		if _, _, err := svc.ListEvents(t.Context(), tc.req); !violated(err, tc.field) {
			t.Errorf("%+v: %v, want a violation of %s", tc.req, err, tc.field)
		}
	}
	if _, _, err := svc.ListEvents(t.Context(), bank.ListEventsRequest{Bank: "bank-zz"}); bank.KindOf(err) != bank.KindNotFound {
		t.Errorf("unknown bank: %v", err)
	}
}

// watchUntil runs WatchEvents from after in the background, sending each
// delivered seq to seqs; stop cancels it and returns its error.
func watchUntil(t *testing.T, svc *bank.Service, bankID string, after int64, seqs chan<- int64) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- svc.WatchEvents(ctx, bankID, bank.EventPosition{Seq: after}, func(e *bank.Event) error {
			select {
			case seqs <- e.Seq:
			case <-ctx.Done():
			}
			return nil
		})
	}()
	return func() error { cancel(); return <-done }
}

// TestWatchEventsNoGapsNoDuplicates watches from the middle of the trail
// while writers commit concurrently: the watcher replays the stored events
// and then follows new ones, each exactly once and in order.
func TestWatchEventsNoGapsNoDuplicates(t *testing.T) {
	svc := auditFixture(t)
	fin := banktest.ValidBank("bank-a").FIN
	seqs := make(chan int64)
	stop := watchUntil(t, svc, "", 2, seqs)

	const writers, perWriter = 4, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				u := banktest.ValidUnit("bank-a", banktest.DIN(fin, 25, 100+w*perWriter+i))
				if _, err := svc.CreateUnit(t.Context(), u, ""); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	// Read while writing: the watcher must never wait for the writers.
	last := int64(5 + writers*perWriter)
	want := int64(3)
	for want <= last {
		if got := <-seqs; got != want {
			t.Fatalf("delivered %d, want %d", got, want)
		}
		want++
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("watch returned %v, want context.Canceled", err)
	}
}

// TestWatchEventsSlowWatcher checks that a watcher that does not take its
// events blocks no writer, and then receives all of them.
func TestWatchEventsSlowWatcher(t *testing.T) {
	svc := auditFixture(t)
	fin := banktest.ValidBank("bank-a").FIN
	seqs := make(chan int64) // nobody reads until the writes are done
	stop := watchUntil(t, svc, "bank-a", 0, seqs)
	defer stop()
	for i := range 20 {
		if _, err := svc.CreateUnit(t.Context(), banktest.ValidUnit("bank-a", banktest.DIN(fin, 25, 500+i)), ""); err != nil {
			t.Fatal(err)
		}
	}
	for want := int64(1); want <= 25; want++ {
		if got := <-seqs; got != want {
			t.Fatalf("delivered %d, want %d", got, want)
		}
	}
}

func TestWatchEventsErrors(t *testing.T) {
	svc := auditFixture(t)
	boom := errors.New("boom")
	n := 0
	err := svc.WatchEvents(t.Context(), "bank-a", bank.EventPosition{}, func(e *bank.Event) error {
		if n++; n == 2 {
			return boom
		}
		return nil
	})
	if err != boom || n != 2 {
		t.Errorf("fn error: %v after %d events", err, n)
	}
	if err := svc.WatchEvents(t.Context(), "bank-zz", bank.EventPosition{}, nil); bank.KindOf(err) != bank.KindNotFound {
		t.Errorf("unknown bank: %v", err)
	}
	if err := svc.WatchEvents(t.Context(), "bank-a", bank.EventPosition{Seq: -1}, nil); !violated(err, "after_seq") {
		t.Errorf("negative seq: %v", err)
	}
	if err := svc.WatchEvents(t.Context(), "Bank A", bank.EventPosition{}, nil); !violated(err, "parent") {
		t.Errorf("bad bank: %v", err)
	}
}

func TestEventRedacted(t *testing.T) {
	e := &bank.Event{Seq: 7, Method: "UpdateUnit", Hash: "h", Changes: []audit.FieldChange{
		{Field: "local_id", Before: `"A"`, After: `"B"`},
		{Field: "private.maternal_id", Before: `"M-1"`, After: `"M-2"`},
		{Field: "private", After: `{"notes":"x"}`},
	}}
	r := e.Redacted()
	if len(r.Changes) != 1 || r.Changes[0].Field != "local_id" || r.Seq != 7 || r.Hash != "h" {
		t.Errorf("redacted = %+v", r)
	}
	if len(e.Changes) != 3 {
		t.Errorf("original modified: %+v", e.Changes)
	}
	snap := audit.FieldChange{Field: "*", After: `{"din":"X","private":{"maternal_id":"M-1","notes":"a \"private\" note"},"local_id":"CB-1","n":[1,2]}`}
	got := (&bank.Event{Changes: []audit.FieldChange{snap}}).Redacted().Changes[0].After
	if want := `{"din":"X","local_id":"CB-1","n":[1,2]}`; got != want {
		t.Errorf("snapshot redacted to %s, want %s", got, want)
	}
	for _, doc := range []string{`{"din":"X"}`, `{"note":"\"private\" is mentioned"}`} {
		if got := (&bank.Event{Changes: []audit.FieldChange{{Field: "*", After: doc}}}).Redacted().Changes[0].After; got != doc {
			t.Errorf("%s redacted to %s", doc, got)
		}
	}

	// A real unit snapshot: everything but the private data survives.
	svc := auditFixture(t)
	evs, _, err := svc.ListEvents(t.Context(), bank.ListEventsRequest{Methods: []string{"CreateUnit"}})
	if err != nil || len(evs) != 1 {
		t.Fatal(evs, err)
	}
	var before, after map[string]any
	if err := json.Unmarshal([]byte(evs[0].Changes[0].After), &before); err != nil {
		t.Fatal(err)
	}
	if _, ok := before["private"]; !ok {
		t.Fatalf("fixture unit has no private data: %s", evs[0].Changes[0].After)
	}
	if err := json.Unmarshal([]byte(evs[0].Redacted().Changes[0].After), &after); err != nil {
		t.Fatal(err)
	}
	delete(before, "private")
	if !reflect.DeepEqual(after, before) {
		t.Errorf("redacted snapshot\n%v\nwant\n%v", after, before)
	}
}

// TestEventPositionsAreStreamPositions: readers other than the registry
// administrator see no registry-wide positions or hashes, every event
// carries its stream and its place there, and a page token naming a
// position in a private stream is refused to a reader of another bank
// exactly as a token that no list returned (so a forged token learns
// nothing of that stream), while the bank's own staff page on with it.
func TestEventPositionsAreStreamPositions(t *testing.T) {
	svc := auditFixture(t)
	fin := banktest.ValidBank("bank-a").FIN
	for i := range 3 {
		u := banktest.ValidUnit("bank-a", banktest.DIN(fin, 24, 10+i))
		u.Type = bank.UnitTypeAutologous
		if _, err := svc.CreateUnit(t.Context(), u, ""); err != nil {
			t.Fatal(err)
		}
	}
	insider := access.WithPrincipal(t.Context(), access.Principal{Name: "aud-a", Role: access.RoleAuditor, Org: "bank-a"})
	outsider := access.WithPrincipal(t.Context(), access.Principal{Name: "aud-r", Role: access.RoleAuditor, Org: access.OrgRegistry})
	want := map[string]int64{}
	var privateToken string
	for tok := ""; ; {
		evs, next, err := svc.ListEvents(insider, bank.ListEventsRequest{Bank: "bank-a", PageSize: 1, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Seq != 0 || e.PrevHash != "" || e.Hash != "" {
				t.Errorf("a bank auditor sees registry positions: %+v", e)
			}
			if want[e.Stream]++; e.StreamSeq != want[e.Stream] {
				t.Errorf("stream %q: position %d, want %d", e.Stream, e.StreamSeq, want[e.Stream])
			}
			if e.Stream == "bank-a" && privateToken == "" && next != "" {
				privateToken = next
			}
		}
		if tok = next; tok == "" {
			break
		}
	}
	if want[audit.PublicStream] != 5 || want["bank-a"] != 3 {
		t.Fatalf("streams %v, want 5 public events and 3 private", want)
	}
	_, _, err := svc.ListEvents(outsider, bank.ListEventsRequest{Bank: "bank-a", PageSize: 1, PageToken: privateToken})
	_, _, garbage := svc.ListEvents(outsider, bank.ListEventsRequest{Bank: "bank-a", PageSize: 1, PageToken: "bm90IGEgdG9rZW4"})
	if !violated(err, "page_token") || err.Error() != garbage.Error() {
		t.Errorf("outsider with a private-stream token: %v; with a token no list returned: %v; want the same refusal", err, garbage)
	}
	evs, _, err := svc.ListEvents(outsider, bank.ListEventsRequest{Bank: "bank-a", PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range evs {
		if e.Stream != audit.PublicStream || e.StreamSeq != int64(i+1) || e.Seq != 0 {
			t.Errorf("outsider's event %d: stream %q at %d, seq %d", i, e.Stream, e.StreamSeq, e.Seq)
		}
	}
}
