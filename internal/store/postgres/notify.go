package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Other processes' commits. Every write transaction that commits anything
// sends NOTIFY on commitChannel (PostgreSQL delivers it at COMMIT, and
// only if the transaction commits); each Store LISTENs on a connection of
// its own and signals Commits. This is for speed only: watches wake at
// once instead of at their next poll. Correctness never depends on a
// notification (they are not delivered to a session that was not
// listening, e.g. while it reconnects): readers catch up by Seq.

const commitChannel = "cordbank_commits"

// Commits implements bank.CommitNotifier: it receives after commits by
// any process on the database (this one's too; signals coalesce), and is
// closed when the store is.
func (s *Store) Commits() <-chan struct{} { return s.commits }

// listen holds a LISTEN connection until the store is closed,
// reconnecting after a failure (at most once a second).
func (s *Store) listen(cfg *pgx.ConnConfig) {
	defer close(s.listenDone)
	defer close(s.commits)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-s.stopping
		cancel()
	}()
	defer cancel()
	retry := time.NewTicker(time.Second)
	defer retry.Stop()
	for ctx.Err() == nil {
		s.listenOnce(ctx, cfg)
		select {
		case <-ctx.Done():
		case <-retry.C:
		}
	}
}

func (s *Store) listenOnce(ctx context.Context, cfg *pgx.ConnConfig) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+commitChannel); err != nil {
		return
	}
	// Commits may have been missed while not listening: signal once, so
	// a watch looks.
	s.signal()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return
		}
		s.signal()
	}
}

func (s *Store) signal() {
	select {
	case s.commits <- struct{}{}:
	default: // a signal is pending already
	}
}
