package checkpoint

import (
	"context"
	"crypto/ed25519"
	"sync"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
)

// Signer signs the audit chain's head and appends it to a log. Sign is
// safe for concurrent use (the periodic signer and the shutdown one).
type Signer struct {
	svc *bank.Service
	key ed25519.PrivateKey
	log *Log

	mu   sync.Mutex
	last *audit.Checkpoint // the last checkpoint this signer wrote or found
}

// NewSigner returns a signer of svc's chain head into log with key.
// latest is the log's newest checkpoint (nil for an empty log).
func NewSigner(svc *bank.Service, key ed25519.PrivateKey, log *Log, latest *audit.Checkpoint) *Signer {
	return &Signer{svc: svc, key: key, log: log, last: latest}
}

// Sign signs the current head and appends it, unless the head is the one
// last signed. It returns the checkpoint written, or nil when there was
// nothing new.
func (s *Signer) Sign(ctx context.Context, now time.Time) (*audit.Checkpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seq, head, err := s.svc.ChainHead(ctx)
	if err != nil {
		return nil, err
	}
	if s.last != nil && s.last.Seq == seq && s.last.Head == head {
		return nil, nil
	}
	c := audit.SignCheckpoint(s.key, seq, head, now)
	if err := s.log.Append(c); err != nil {
		return nil, err
	}
	s.last = &c
	return &c, nil
}

// Latest returns the last checkpoint written or found at start, nil when
// there is none yet.
func (s *Signer) Latest() *audit.Checkpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return nil
	}
	c := *s.last
	return &c
}
