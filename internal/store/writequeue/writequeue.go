package writequeue

import (
	"context"
	"slices"
	"sync/atomic"

	"github.com/cordbank/cordbank/bank"
)

// Job states: the writer and an impatient caller race to move a job out of
// queued; whoever wins decides whether it runs.
const (
	queued    int32 = iota
	taken           // the writer runs it; the caller waits for the outcome
	abandoned       // the caller's context ended first; the writer skips it
)

// Job is one Write call on its way through the writer. M is what a store
// runs outside any transaction for maintenance jobs (the SQLite store's
// pragmas and checkpoints); a job has either Fn or a non-zero Maint.
type Job[M any] struct {
	Ctx   context.Context
	Fn    func(tx bank.Tx) error
	Maint M
	// Bulk is bank.IsBulkWrite(Ctx), read once: bulk jobs (an import's
	// batches) run after the small ones taken with them.
	Bulk  bool
	state atomic.Int32
	done  chan error // buffered: the writer never waits for the caller
}

// NewJob returns a write job for fn under ctx.
func NewJob[M any](ctx context.Context, fn func(tx bank.Tx) error) *Job[M] {
	return &Job[M]{Ctx: ctx, Fn: fn, Bulk: bank.IsBulkWrite(ctx), done: make(chan error, 1)}
}

// NewMaintenance returns a job that runs m outside any transaction.
func NewMaintenance[M any](ctx context.Context, m M) *Job[M] {
	return &Job[M]{Ctx: ctx, Maint: m, done: make(chan error, 1)}
}

// Take is the writer's claim on a job it is about to run: false when the
// caller has already given up, and then the job must not run.
func (j *Job[M]) Take() bool { return j.state.CompareAndSwap(queued, taken) }

// Taken reports whether the writer holds the job (and owes it an answer).
func (j *Job[M]) Taken() bool { return j.state.Load() == taken }

// Requeue gives a taken job back, unrun, to be taken again by a later
// group (its transaction was lost before it ran); false when that cannot
// be, and then the job was not taken.
func (j *Job[M]) Requeue() bool { return j.state.CompareAndSwap(taken, queued) }

// Answer tells the caller of a taken job its outcome; exactly once.
func (j *Job[M]) Answer(err error) { j.done <- err }

// Queue carries jobs from callers to the writer.
type Queue[M any] struct {
	jobs     chan *Job[M]
	stopping <-chan struct{}
	closed   func() error
	max      int
}

// New returns a queue whose writer takes at most max jobs a group. Once
// stopping is closed, Submit fails with closed() and Next reports the end.
func New[M any](max int, stopping <-chan struct{}, closed func() error) *Queue[M] {
	return &Queue[M]{jobs: make(chan *Job[M]), stopping: stopping, closed: closed, max: max}
}

// Submit hands j to the writer and waits for its outcome, or for ctx to
// end before the writer has taken it (then j never runs).
func (q *Queue[M]) Submit(ctx context.Context, j *Job[M]) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case q.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-q.stopping:
		return q.closed()
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		if j.state.CompareAndSwap(queued, abandoned) {
			return ctx.Err()
		}
		// The writer has it: its outcome is the truth, committed or not.
		return <-j.done
	}
}

// Next waits for a job, then takes every other job already waiting, up to
// the queue's bound, into batch (reused): what one group may hold. It
// returns false once the queue is stopping.
func (q *Queue[M]) Next(batch []*Job[M]) ([]*Job[M], bool) {
	select {
	case j := <-q.jobs:
		batch = append(batch[:0], j)
	case <-q.stopping:
		return batch[:0], false
	}
	for len(batch) < q.max {
		select {
		case j := <-q.jobs:
			batch = append(batch, j)
		default:
			return batch, true
		}
	}
	return batch, true
}

// SmallFirst orders jobs so that small writes come before bulk ones,
// keeping the order within each kind: a unary write never waits behind a
// whole import batch that arrived at the same moment.
func SmallFirst[M any](jobs []*Job[M]) {
	slices.SortStableFunc(jobs, func(a, b *Job[M]) int {
		switch {
		case a.Bulk == b.Bulk:
			return 0
		case b.Bulk:
			return -1
		}
		return 1
	})
}
