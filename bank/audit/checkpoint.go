package audit

import (
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

// timeFormat is how problems name a checkpoint's signing time.
const timeFormat = time.RFC3339
