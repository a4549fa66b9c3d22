package writequeue

import (
	"context"
	"errors"
	"testing"

	"github.com/cordbank/cordbank/bank"
)

var errClosed = errors.New("closed")

func newQueue(max int) (*Queue[struct{}], chan struct{}) {
	stop := make(chan struct{})
	return New[struct{}](max, stop, func() error { return errClosed }), stop
}

func noop(bank.Tx) error { return nil }

// A caller whose context ends before the writer takes its job gets the
// context's error, and the writer may not run the job.
func TestAbandonedJobIsNotTaken(t *testing.T) {
	q, _ := newQueue(8)
	ctx, cancel := context.WithCancel(t.Context())
	j := NewJob[struct{}](ctx, noop)
	errc := make(chan error)
	go func() { errc <- q.Submit(ctx, j) }()
	batch, ok := q.Next(nil) // the job is queued, not taken
	if !ok || len(batch) != 1 || batch[0] != j {
		t.Fatalf("Next = %v, %v", batch, ok)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit = %v, want context.Canceled", err)
	}
	if j.Take() {
		t.Fatal("the writer took a job its caller had abandoned")
	}
}

// Once taken, a job's outcome is the writer's answer, even when the
// caller's context ends meanwhile: only the writer knows whether it
// committed.
func TestTakenJobWaitsForTheAnswer(t *testing.T) {
	q, _ := newQueue(8)
	ctx, cancel := context.WithCancel(t.Context())
	j := NewJob[struct{}](ctx, noop)
	errc := make(chan error)
	go func() { errc <- q.Submit(ctx, j) }()
	batch, _ := q.Next(nil)
	if !batch[0].Take() {
		t.Fatal("Take of a queued job failed")
	}
	cancel()
	select {
	case err := <-errc:
		t.Fatalf("Submit returned %v before the writer answered", err)
	default:
	}
	want := errors.New("the commit's outcome")
	j.Answer(want)
	if err := <-errc; err != want {
		t.Fatalf("Submit = %v, want the writer's answer", err)
	}
}

// A job given back (its group's transaction was lost before it ran) can
// be abandoned again by its caller, and taken again otherwise.
func TestRequeue(t *testing.T) {
	j := NewJob[struct{}](t.Context(), noop)
	if !j.Take() || !j.Taken() || !j.Requeue() || j.Taken() || !j.Take() {
		t.Fatal("take, requeue, take: wrong states")
	}
	if j.Take() {
		t.Fatal("a taken job was taken twice")
	}
}

func TestNextTakesWhatIsWaitingUpToTheBound(t *testing.T) {
	q, stop := newQueue(3)
	for range 5 {
		go q.Submit(t.Context(), NewJob[struct{}](t.Context(), noop))
	}
	total := 0
	for total < 5 {
		batch, ok := q.Next(nil)
		if !ok || len(batch) == 0 || len(batch) > 3 {
			t.Fatalf("Next = %d jobs, %v; want 1 to 3", len(batch), ok)
		}
		for _, j := range batch {
			j.Take()
			j.Answer(nil)
		}
		total += len(batch)
	}
	close(stop)
	if _, ok := q.Next(nil); ok {
		t.Fatal("Next after stop reported more")
	}
	if err := q.Submit(t.Context(), NewJob[struct{}](t.Context(), noop)); err != errClosed {
		t.Fatalf("Submit after stop = %v, want the closed error", err)
	}
}

func TestSmallFirstKeepsOrderWithinKinds(t *testing.T) {
	bulk := bank.WithBulkWrite(t.Context())
	jobs := []*Job[struct{}]{NewJob[struct{}](bulk, noop), NewJob[struct{}](t.Context(), noop), NewJob[struct{}](bulk, noop), NewJob[struct{}](t.Context(), noop)}
	want := []*Job[struct{}]{jobs[1], jobs[3], jobs[0], jobs[2]}
	SmallFirst(jobs)
	for i := range jobs {
		if jobs[i] != want[i] {
			t.Fatalf("order at %d: got bulk=%v", i, jobs[i].Bulk)
		}
	}
}
