package client

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// TestRetryWaitIsJittered: waits after UNAVAILABLE spread over [backoff/2,
// backoff], so clients that failed together do not retry together; a
// server's retry delay is a floor; what may not be repeated is not.
func TestRetryWaitIsJittered(t *testing.T) {
	c := &Client{retry: DefaultRetryPolicy}
	backoff := 100 * time.Millisecond
	seen := map[time.Duration]bool{}
	for range 200 {
		w, ok := c.retryWait(&Error{Code: codes.Unavailable}, true, 1, backoff)
		if !ok || w < backoff/2 || w > backoff {
			t.Fatalf("wait %v (retry %v), want within [%v, %v]", w, ok, backoff/2, backoff)
		}
		seen[w] = true
	}
	if len(seen) < 50 {
		t.Errorf("only %d distinct waits in 200: not jittered", len(seen))
	}
	if w, ok := c.retryWait(&Error{Code: codes.ResourceExhausted, RetryDelay: time.Second}, false, 1, backoff); !ok || w < time.Second {
		t.Errorf("rate limited with a 1 s delay: wait %v, retry %v", w, ok)
	}
	if _, ok := c.retryWait(&Error{Code: codes.Unavailable}, false, 1, backoff); ok {
		t.Error("a call that may not be repeated was retried")
	}
	if _, ok := c.retryWait(&Error{Code: codes.Unavailable}, true, DefaultRetryPolicy.Attempts, backoff); ok {
		t.Error("retried past the policy's attempts")
	}
}
