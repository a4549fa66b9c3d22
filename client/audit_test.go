package client_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cordbank/cordbank/client"
)

// dropProxy forwards TCP connections to target and can cut them all, as a
// network failure would.
type dropProxy struct {
	lis    net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newDropProxy(t *testing.T, target string) *dropProxy {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{lis: lis, target: target}
	p.wg.Go(func() {
		for {
			in, err := lis.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			p.wg.Go(func() { io.Copy(out, in); out.Close() })
			p.wg.Go(func() { io.Copy(in, out); in.Close() })
		}
	})
	t.Cleanup(func() { lis.Close(); p.drop(); p.wg.Wait() })
	return p
}

// drop closes every open connection; new ones are still accepted.
func (p *dropProxy) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestWatchEventsResumesAfterDrop cuts the connection in the middle of a
// watch: the iterator reconnects and resumes after the last event it
// yielded, so the caller sees every event once, in order.
func TestWatchEventsResumesAfterDrop(t *testing.T) {
	srv, direct := startExample()
	defer srv.Close()
	defer direct.Close()
	ctx := t.Context()
	for _, din := range []string{"G123498654321", "G123498654322"} {
		if _, err := direct.CreateUnit(ctx, "banks/example", exampleUnit(din)); err != nil {
			t.Fatal(err)
		}
	}
	proxy := newDropProxy(t, srv.GRPCAddr)
	c, err := client.New(proxy.lis.Addr().String(), client.WithToken(srv.AdminToken()), client.WithRetry(client.RetryPolicy{Attempts: 3, Backoff: 10 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	var got []int64
	for e, err := range c.WatchEvents(ctx, "banks/example", client.EventPosition{}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.GetSeq())
		switch e.GetSeq() {
		case 3: // event 4 may be in flight: it must come again (1 is servertest's admin token)
			proxy.drop()
		case 4: // a live event after the reconnection
			if _, err := direct.ReleaseUnit(ctx, "banks/example/units/G123498654321"); err != nil {
				t.Fatal(err)
			}
			proxy.drop()
		}
		if e.GetSeq() == 5 {
			break
		}
	}
	if len(got) != 4 || got[0] != 2 || got[1] != 3 || got[2] != 4 || got[3] != 5 {
		t.Fatalf("seqs %v, want 2 3 4 5", got)
	}
}

func TestWatchEventsErrors(t *testing.T) {
	srv, c := startExample()
	defer srv.Close()
	defer c.Close()
	for _, err := range c.WatchEvents(t.Context(), "banks/nowhere", client.EventPosition{}) {
		if !errors.Is(err, client.ErrNotFound) {
			t.Errorf("unknown bank: %v", err)
		}
		break
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	n := 0
	for e, err := range c.WatchEvents(ctx, "banks/example", client.EventPosition{}) {
		if e != nil {
			n++
			cancel()
			continue
		}
		if err != context.Canceled || n != 1 {
			t.Errorf("after cancel: %v (%d events)", err, n)
		}
	}
}
