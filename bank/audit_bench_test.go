package bank_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/internal/benchsize"
)

// BenchmarkVerifyAuditTrail measures `cordbank audit verify` on a trail of
// a million events (a registry of ~100,000 units with ten changes each).
// The trail is written straight through the store in large transactions,
// with a proper hash chain, rather than through a million service calls;
// only the verification is timed. Run it with -benchtime 1x.
func BenchmarkVerifyAuditTrail(b *testing.B) {
	events, batch := benchsize.Of(1_000_000, 2_000), 50_000
	store := openStore(b)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var prev *bank.Event
	for first := 1; first <= events; first += batch {
		err := store.Write(b.Context(), func(tx bank.Tx) error {
			for seq := first; seq < first+batch && seq <= events; seq++ {
				e := &bank.Event{Seq: int64(seq), StreamSeq: int64(seq), Time: start.Add(time.Duration(seq) * time.Second), HashScheme: audit.CurrentHashScheme,
					Principal: "tech-7", RequestID: fmt.Sprintf("req-%d", seq), Method: "UpdateUnit",
					Resource: fmt.Sprintf("banks/bank-%d/units/G1234%08d", seq%4, seq%100_000), Bank: fmt.Sprintf("bank-%d", seq%4),
					Changes: []audit.FieldChange{
						{Field: "local_id", Before: `"CB-000001"`, After: fmt.Sprintf(`"CB-%06d"`, seq)},
						{Field: "cells.viability_percent", Before: "95", After: "94.5"},
					}}
				if prev != nil {
					e.PrevHash = prev.Hash
				}
				e.Hash = e.ComputeHash()
				if err := tx.AppendEvent(b.Context(), e); err != nil {
					return err
				}
				prev = e
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	svc := bank.NewService(store)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		sum, err := svc.VerifyEvents(b.Context())
		d := time.Since(t0)
		if err != nil || sum.Events != int64(events) || len(sum.Problems) != 0 || sum.Head != prev.Hash {
			b.Fatalf("verify: %d events, %d problems, %v", sum.Events, len(sum.Problems), err)
		}
		b.ReportMetric(d.Seconds(), "s/verify")
		b.ReportMetric(float64(events)/d.Seconds(), "events/s")
	}
}
