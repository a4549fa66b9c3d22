package bank

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/credential"
)

// Service holds cordbank's use cases. It validates every request, applies
// the rules of the domain and talks to the Store in transactions. It is
// safe for concurrent use.
type Service struct {
	store Store
	// feedStore is store as the use cases write through it (the same).
	feedStore *feedStore
	now       func() time.Time
	hla       *HLAReader
	watchers  []Watcher
	feed      *eventFeed // commit signals for WatchEvents
	follow    follower   // how far CatchUp brought the watchers
	tokens    *credential.Cache
}

// Watcher is told about every committed change of a unit or a bank, after
// the commit and before the call that made it returns, so a reader that
// consults the watcher after a write sees that write. Notifications for
// different calls may arrive in any order: a watcher must keep the unit
// with the highest Version. Watchers must be fast and must not call back
// into the Service.
type Watcher interface {
	UnitsChanged(units []*Unit)
	BankChanged(b *Bank)
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the time source (tests inject a fixed clock).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithHLA sets the reader (and so the IPD-IMGT/HLA release) unit typings
// are checked and reduced with. The default checks syntax only.
func WithHLA(r *HLAReader) Option { return func(s *Service) { s.hla = r } }

// WithWatcher adds a watcher of committed changes (the search index).
func WithWatcher(w Watcher) Option { return func(s *Service) { s.watchers = append(s.watchers, w) } }

func (s *Service) unitsChanged(units []*Unit) {
	if len(units) == 0 {
		return
	}
	for _, w := range s.watchers {
		w.UnitsChanged(units)
	}
}

func (s *Service) bankChanged(b *Bank) {
	for _, w := range s.watchers {
		w.BankChanged(b)
	}
}

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{store: store, now: time.Now, hla: NewHLAReader(nil), feed: newEventFeed(), tokens: credential.NewCache()}
	s.follow.applied.Store(-1)
	for _, o := range opts {
		o(s)
	}
	s.feedStore = &feedStore{Store: store, feed: s.feed}
	s.store = s.feedStore
	if n, ok := store.(CommitNotifier); ok {
		s.relayCommits(n)
	}
	return s
}

// Store returns the store the service writes to.
func (s *Service) Store() Store { return s.store }

// Page size bounds for list methods (AIP-158).
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

func pageSize(v *Violations, n int) int {
	switch {
	case n < 0:
		v.Add("page_size", "%d is negative", n)
		return 0
	case n == 0:
		return DefaultPageSize
	case n > MaxPageSize:
		return MaxPageSize
	}
	return n
}

// Etag returns the etag of a resource version.
func Etag(version int64) string { return strconv.FormatInt(version, 10) }

// checkEtag compares a client's etag with the stored version. An empty etag
// means an unconditional write (AIP-154).
func checkEtag(etag string, version int64, name string) error {
	if etag == "" || etag == Etag(version) {
		return nil
	}
	return NewError(KindAborted, ReasonEtagMismatch,
		"the resource changed since it was read: get it again and reapply the change",
		"name", name, "etag", etag, "current_etag", Etag(version))
}

// validRequestID accepts the request ids AIP-155 recommends (UUIDs) and any
// other short printable token.
func validRequestID(v *Violations, id string) {
	if len(id) > 128 {
		v.Add("request_id", "at most 128 characters")
		return
	}
	for _, r := range id {
		if r <= ' ' || r > '~' {
			v.Add("request_id", "must be printable ASCII without spaces")
			return
		}
	}
}

// fingerprint hashes a request's content for idempotency checks; "" when
// the request carries no request id (nothing to check it against, so the
// encoding is skipped).
func fingerprint(requestID, method string, content any) string {
	if requestID == "" {
		return ""
	}
	b, err := marshalJSON(content) // the bytes of json.Marshal: stored fingerprints stay valid
	if err != nil {
		panic("bank: fingerprint of unmarshalable request: " + err.Error())
	}
	h := sha256.New()
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// replay looks up an earlier request with the same id. It returns the
// resource name it created, "" when the id is new, or an error when the id
// was used for a different request.
func replay(ctx context.Context, tx RequestReader, id, method, fp string) (string, error) {
	if id == "" {
		return "", nil
	}
	rec, err := tx.GetRequest(ctx, id)
	if err != nil || rec == nil {
		return "", err
	}
	if rec.Method != method || rec.Fingerprint != fp {
		meta := map[string]string{"request_id": id}
		// Request ids are global: name the earlier request's resource
		// only to a caller who may see it (another bank's unit may be
		// private).
		if b, _, _ := strings.Cut(strings.TrimPrefix(rec.Resource, "banks/"), "/"); access.PrincipalFrom(ctx).SeesPrivateOf(b) {
			meta["resource"] = rec.Resource
		}
		return "", &Error{Kind: KindInvalid, Reason: ReasonRequestIDReused,
			Message:    "request_id was already used for a different request",
			Violations: []Violation{{Field: "request_id", Description: "already used for a different request; use a new id for a new request"}},
			Metadata:   meta}
	}
	return rec.Resource, nil
}

// maskPaths normalizes an update mask: trims, drops empties, expands "*".
func maskPaths(mask []string, all []string) []string {
	var out []string
	for _, p := range mask {
		p = strings.TrimSpace(p)
		switch p {
		case "":
		case "*":
			out = append(out, all...)
		default:
			out = append(out, p)
		}
	}
	return out
}

// Now is the service's clock (WithClock), for transports that compute
// with the time the use cases see (reports' hours left, ages).
func (s *Service) Now() time.Time { return s.now() }
