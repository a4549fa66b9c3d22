package bank

import (
	"context"

	"github.com/cordbank/cordbank/bank/audit"
)

// verifyPage is how many events one read transaction checks.
const verifyPage = 5000

// ChainVerifier checks events handed to it in Seq order as one unbroken
// hash chain (audit.Verifier's rules). VerifyEvents feeds it from the
// store; a backup's check feeds it from the copy. The zero value is ready
// for the chain's first event. It is not safe for concurrent use.
type ChainVerifier struct {
	v audit.Verifier
}

// Check checks e, the next event of the chain (see audit.Verifier.Check):
// an edited event fails its own hash; a removed, inserted or reordered one
// breaks the positions or the links.
func (v *ChainVerifier) Check(e *Event) { v.v.Check(e.link(), e.Hash, e.content()) }

// Finish returns the summary with the checkpoint's problem, if any, last.
func (v *ChainVerifier) Finish() audit.VerifySummary { return v.v.Finish() }

// VerifyEvents reads the whole audit trail in order and checks that it is
// one unbroken hash chain (see ChainVerifier.Check). It stops collecting
// after audit.MaxChainProblems problems.
func (s *Service) VerifyEvents(ctx context.Context) (audit.VerifySummary, error) {
	var v ChainVerifier
	err := s.feedChain(ctx, &v)
	return v.Finish(), err
}

// feedChain reads the whole trail in pages and checks each event with v.
func (s *Service) feedChain(ctx context.Context, v *ChainVerifier) error {
	for {
		var page []*Event
		err := s.store.Read(ctx, func(tx ReadTx) error {
			var err error
			page, err = tx.ListEvents(ctx, EventQuery{AfterSeq: v.v.Summary().HeadSeq, Limit: verifyPage})
			return err
		})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		for _, e := range page {
			v.Check(e)
		}
	}
}
