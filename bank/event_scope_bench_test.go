package bank_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/internal/benchsize"
)

// BenchmarkScopedEvents measures what scoping the audit trail to a
// registry auditor costs: reading a 200,000-event trail (20,000 units, one
// in ten private, ten events each) in pages of 1,000 as the administrator
// (every event) and as a registry auditor (private units' events left out
// by the query), and VerifyAuditTrail for both. Compare the two lines of
// each pair in one run:
//
//	make bench BENCH=ScopedEvents
func BenchmarkScopedEvents(b *testing.B) {
	units, perUnit := benchsize.Of(20_000, 200), 10
	batch := min(2_000, units)
	store := openStore(b)
	bk := banktest.ValidBank("bank-a")
	bk.FINs = []string{bk.FIN}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	bk.CreateTime, bk.UpdateTime, bk.Version = start, start, 1
	if err := store.Write(b.Context(), func(tx bank.Tx) error { return tx.InsertBank(b.Context(), bk) }); err != nil {
		b.Fatal(err)
	}
	var prev *bank.Event
	seq := int64(0)
	streams := map[string]int64{}
	for first := 0; first < units; first += batch {
		err := store.Write(b.Context(), func(tx bank.Tx) error {
			var us []*bank.Unit
			for i := first; i < first+batch; i++ {
				u := banktest.ValidUnit("bank-a", banktest.DIN(bk.FIN, 26, i))
				if i%10 == 0 {
					u.Type = bank.UnitTypeAutologous
				}
				u.CreateTime, u.UpdateTime, u.Version = start, start, 1
				us = append(us, u)
			}
			if _, err := tx.InsertUnits(b.Context(), us); err != nil {
				return err
			}
			for k := range perUnit {
				for _, u := range us {
					seq++
					e := &bank.Event{Seq: seq, Time: start.Add(time.Duration(seq) * time.Second), HashScheme: audit.CurrentHashScheme,
						Principal: "tech-7", Method: "UpdateUnit", Resource: u.Name(), Bank: "bank-a",
						Changes: []audit.FieldChange{{Field: "local_id", After: fmt.Sprintf(`"CB-%d"`, k)}}}
					if u.IsPrivate() {
						e.Stream = u.Bank
					}
					streams[e.Stream]++
					e.StreamSeq = streams[e.Stream]
					if prev != nil {
						e.PrevHash = prev.Hash
					}
					e.Hash = e.ComputeHash()
					if err := tx.AppendEvent(b.Context(), e); err != nil {
						return err
					}
					prev = e
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	svc := bank.NewService(store)
	for _, who := range []struct {
		name string
		p    access.Principal
		want int
	}{
		{"admin", access.Principal{Name: "admin", Role: access.RoleAdmin}, units * perUnit},
		{"registry-auditor", access.Principal{Name: "aud", Role: access.RoleAuditor, Org: access.OrgRegistry}, units * perUnit * 9 / 10},
	} {
		ctx := access.WithPrincipal(b.Context(), who.p)
		b.Run("list/"+who.name, func(b *testing.B) {
			for b.Loop() {
				n, tok := 0, ""
				for {
					evs, next, err := svc.ListEvents(ctx, bank.ListEventsRequest{PageSize: 1000, PageToken: tok})
					if err != nil {
						b.Fatal(err)
					}
					n += len(evs)
					if tok = next; tok == "" {
						break
					}
				}
				if n != who.want {
					b.Fatalf("%d events, want %d", n, who.want)
				}
			}
			b.ReportMetric(float64(who.want)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run("verify/"+who.name, func(b *testing.B) {
			for b.Loop() {
				sum, err := svc.VerifyAuditTrail(ctx)
				if err != nil || sum.Events != int64(who.want) || len(sum.Problems) != 0 {
					b.Fatalf("verify: %+v, %v", sum, err)
				}
			}
		})
	}
}
