package bank

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Checkpoint is a signed statement that the audit chain had the event Seq
// with hash Head at Time. It is kept outside the database (a checkpoint
// log), signed with a key that is not in the database either, so someone
// who can rewrite the database cannot make a shorter, emptied or rebuilt
// chain pass a verification against it: the chain must still hold event
// Seq with exactly that hash.
type Checkpoint struct {
	Seq  int64     `json:"seq"`
	Head string    `json:"head"`
	Time time.Time `json:"time"`
	// PublicKey is the base64 Ed25519 public key that signed it. A
	// verifier checks the signature against the key it trusts, never
	// against this field alone (anyone can sign with a key of their own).
	PublicKey string `json:"public_key"`
	// Signature is the base64 Ed25519 signature of the signed message
	// (see SignedMessage).
	Signature string `json:"signature"`
}

// checkpointDomain separates checkpoint signatures from any other use of
// the key.
const checkpointDomain = "cordbank/audit-checkpoint/v1"

// SignedMessage is what a checkpoint's signature covers: the domain, the
// position, the head hash and the time (RFC 3339 with nanoseconds, UTC),
// each followed by a newline.
func (c *Checkpoint) SignedMessage() []byte {
	return []byte(checkpointDomain + "\n" + strconv.FormatInt(c.Seq, 10) + "\n" + c.Head + "\n" + c.Time.UTC().Format(time.RFC3339Nano) + "\n")
}

// SignCheckpoint signs the chain head (seq, head) at t with key.
func SignCheckpoint(key ed25519.PrivateKey, seq int64, head string, t time.Time) Checkpoint {
	c := Checkpoint{Seq: seq, Head: head, Time: t.UTC()}
	c.PublicKey = base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	c.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, c.SignedMessage()))
	return c
}

// ErrCheckpointSignature is returned by VerifySignature for a checkpoint
// that the trusted key did not sign.
var ErrCheckpointSignature = errors.New("checkpoint signature does not verify with the trusted key")

// VerifySignature checks that pub signed c.
func (c *Checkpoint) VerifySignature(pub ed25519.PublicKey) error {
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil || len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, c.SignedMessage(), sig) {
		return fmt.Errorf("checkpoint at event %d: %w", c.Seq, ErrCheckpointSignature)
	}
	return nil
}

// expectCheckpoint makes the verifier note the hash of the checkpoint's
// event as it passes.
func (v *ChainVerifier) expectCheckpoint(c *Checkpoint) {
	v.checkpoint, v.checkpointHash = c, ""
}

// checkpointProblem reports how the checked chain fails c, "" when it
// holds c's event with c's hash.
func (v *ChainVerifier) checkpointProblem() string {
	c := v.checkpoint
	switch {
	case c == nil:
		return ""
	case v.sum.HeadSeq < c.Seq && v.sum.Events == 0:
		return fmt.Sprintf("the trail is empty but a checkpoint signed at %s holds event %d: the trail was emptied", c.Time.Format(time.RFC3339), c.Seq)
	case v.sum.HeadSeq < c.Seq:
		return fmt.Sprintf("the trail ends at event %d but a checkpoint signed at %s holds event %d: the trail was truncated", v.sum.HeadSeq, c.Time.Format(time.RFC3339), c.Seq)
	case v.checkpointHash != c.Head:
		return fmt.Sprintf("the hash of event %d is not the one signed at %s (%s): the chain was rewritten", c.Seq, c.Time.Format(time.RFC3339), c.Head)
	}
	return ""
}

// VerifyEventsAgainst is VerifyEvents that also checks the chain against a
// checkpoint whose signature the caller has verified: the trail must
// reach event c.Seq and that event must have hash c.Head. A truncated,
// emptied or rebuilt (rehashed) chain is reported as a problem at c.Seq.
func (s *Service) VerifyEventsAgainst(ctx context.Context, c *Checkpoint) (VerifySummary, error) {
	var v ChainVerifier
	v.expectCheckpoint(c)
	if err := s.feedChain(ctx, &v); err != nil {
		return v.sum, err
	}
	return v.Finish(), nil
}

// Finish returns the summary with the checkpoint's problem, if any, last.
func (v *ChainVerifier) Finish() VerifySummary {
	sum := v.sum
	if p := v.checkpointProblem(); p != "" {
		sum.Problems = append(append([]ChainProblem(nil), sum.Problems...), ChainProblem{Seq: v.checkpoint.Seq, Reason: p})
	}
	return sum
}

// ChainHead returns the position and hash of the trail's last event
// (0, "" for an empty trail).
func (s *Service) ChainHead(ctx context.Context) (seq int64, hash string, err error) {
	err = s.store.Read(ctx, func(tx ReadTx) error {
		e, err := tx.LastEvent(ctx)
		if e != nil {
			seq, hash = e.Seq, e.Hash
		}
		return err
	})
	return seq, hash, err
}

// ErrCheckpointNotHeld is returned by HoldsCheckpoint for a trail that no
// longer holds a signed head: it was truncated, emptied, rolled back or
// rewritten since the checkpoint was signed.
var ErrCheckpointNotHeld = errors.New("the audit trail does not hold the last signed checkpoint")

// HoldsCheckpoint checks, by reading one event, that the trail still has
// event c.Seq with hash c.Head. It is the quick check a service makes at
// start; VerifyEventsAgainst also checks every link up to it.
func (s *Service) HoldsCheckpoint(ctx context.Context, c *Checkpoint) error {
	var got *Event
	err := s.store.Read(ctx, func(tx ReadTx) error {
		evs, err := tx.ListEvents(ctx, EventQuery{AfterSeq: c.Seq - 1, Limit: 1})
		if len(evs) == 1 && evs[0].Seq == c.Seq {
			got = evs[0]
		}
		return err
	})
	switch {
	case err != nil:
		return err
	case c.Seq == 0:
		return nil
	case got == nil:
		return fmt.Errorf("%w: event %d, signed at %s, is gone", ErrCheckpointNotHeld, c.Seq, c.Time.Format(time.RFC3339))
	case got.Hash != c.Head:
		return fmt.Errorf("%w: event %d has hash %s, the checkpoint signed at %s says %s", ErrCheckpointNotHeld, c.Seq, got.Hash, c.Time.Format(time.RFC3339), c.Head)
	}
	return nil
}
