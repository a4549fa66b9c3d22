package bank_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
)

// benchChain is n linked events of the current scheme, shaped like an
// update's.
func benchChain(n int) []*bank.Event {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]*bank.Event, n)
	prev := ""
	for i := range out {
		seq := int64(i + 1)
		e := &bank.Event{Seq: seq, Time: start.Add(time.Duration(seq) * time.Second), HashScheme: audit.CurrentHashScheme,
			Principal: "tech-7", RequestID: fmt.Sprintf("req-%d", seq), Method: "UpdateUnit",
			Resource: fmt.Sprintf("banks/bank-1/units/G1234%08d", seq), Bank: "bank-1", PrevHash: prev, StreamSeq: seq,
			Changes: []audit.FieldChange{
				{Field: "local_id", Before: `"CB-000001"`, After: fmt.Sprintf(`"CB-%06d"`, seq)},
				{Field: "cells.viability_percent", Before: "95", After: "94.5"},
			}}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		out[i] = e
	}
	return out
}

// BenchmarkEventHash is the cost of one event's hash (ComputeHash), the
// work the verifier does per event and an import per unit.
func BenchmarkEventHash(b *testing.B) {
	e := benchChain(1)[0]
	b.ReportAllocs()
	for b.Loop() {
		if e.ComputeHash() != e.Hash {
			b.Fatal("hash changed")
		}
	}
}

// BenchmarkChainCheck is ChainVerifier.Check over a chain of 1,000 events
// held in memory: the verification without the store.
func BenchmarkChainCheck(b *testing.B) {
	evs := benchChain(1000)
	b.ReportAllocs()
	for b.Loop() {
		var v bank.ChainVerifier
		for _, e := range evs {
			v.Check(e)
		}
		if sum := v.Finish(); len(sum.Problems) != 0 {
			b.Fatal(sum.Problems[0].Reason)
		}
	}
}
