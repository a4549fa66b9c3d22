package postgres

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/rowenc"
	"github.com/jackc/pgx/v5"
)

var searchableSQL = `SELECT ` + rowenc.SearchableColumnList + ` FROM units`

// ScanSearchable, on this transaction's one connection, calls fn with
// every unit of every bank, in pages of up to pageSize, with only the
// fields a search index reads (rowenc.SearchableColumns; the others zero),
// in no particular order, all from this transaction's snapshot, until fn
// returns an error. It is the index build's read (server.BuildIndex): one
// sequential scan streamed in one statement, the columns decoded from
// their wire bytes without pgx's per-column scan plans, rather than a
// keyset page query per thousand units of every column.
func (t *txn) ScanSearchable(ctx context.Context, pageSize int, fn rowenc.PageFunc) error {
	return scanRows(ctx, t.tx, searchableSQL, pageSize, fn)
}

// scanRows streams the searchable rows that sql selects into pages for fn.
func scanRows(ctx context.Context, tx pgx.Tx, sql string, pageSize int, fn rowenc.PageFunc) error {
	rows, err := tx.Query(ctx, sql)
	if err != nil {
		return translate(err, "scan units")
	}
	defer rows.Close()
	fields := rows.FieldDescriptions()
	formats := make([]int16, len(fields))
	for i, f := range fields {
		formats[i] = f.Format
	}
	var (
		r     rowenc.SearchableRow
		pages = rowenc.NewSearchablePages(pageSize)
	)
	for rows.Next() {
		if err := r.SetRaw(rows.RawValues(), formats); err != nil {
			return bank.Internal(err, "postgres: read unit")
		}
		if err := pages.Put(&r, fn); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return translate(err, "scan units")
	}
	return pages.Flush(fn)
}

// ScanSearchable implements server.SearchableScanner. It reads the table
// in disjoint ranges of its blocks on several connections at once
// (scanParts), each in this transaction's snapshot, exported to the others
// (pg_export_snapshot, SET TRANSACTION SNAPSHOT), so PostgreSQL's work of
// reading and sending the rows, and this side's decoding, are shared out
// between processors (on this project's 2-core machine two connections
// took 0.81–0.85× the time of one, four alternating rounds of 300,000
// units). fn is called by one goroutine at a time.
func (r readOnly) ScanSearchable(ctx context.Context, pageSize int, fn rowenc.PageFunc) error {
	t := r.ReadTx.(*txn)
	parts := scanParts()
	if r.pool != nil {
		parts = min(parts, int(r.pool.Config().MaxConns))
	}
	if parts < 2 {
		return t.ScanSearchable(ctx, pageSize, fn)
	}
	snapshot, blocks, ok, err := exportSnapshot(ctx, t.tx)
	if err != nil {
		return translate(err, "scan units")
	}
	if !ok {
		return t.ScanSearchable(ctx, pageSize, fn)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	one := func(units []*bank.Unit, release func()) error {
		mu.Lock()
		defer mu.Unlock()
		return fn(units, release)
	}
	// Blocks [p*step, (p+1)*step) for each part p, the last one open ended
	// (a block counted here is never moved; the open end takes any the
	// count missed). A row's ctid is (block, offset), offsets from 1.
	step := blocks/int64(parts) + 1
	bounds := func(p int) string {
		var w []string
		if p > 0 {
			w = append(w, fmt.Sprintf(`ctid >= '(%d,0)'::tid`, int64(p)*step))
		}
		if p < parts-1 {
			w = append(w, fmt.Sprintf(`ctid < '(%d,0)'::tid`, int64(p+1)*step))
		}
		return searchableSQL + ` WHERE ` + strings.Join(w, ` AND `)
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := 1; p < parts; p++ {
		wg.Go(func() {
			errs[p] = pgx.BeginTxFunc(ctx, r.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, `SET TRANSACTION SNAPSHOT '`+snapshot+`'`); err != nil {
					return err
				}
				return scanRows(ctx, tx, bounds(p), pageSize, one)
			})
			if errs[p] != nil {
				cancel()
			}
		})
	}
	if errs[0] = scanRows(ctx, t.tx, bounds(0), pageSize, one); errs[0] != nil {
		cancel()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return translate(err, "scan units")
		}
	}
	return nil
}

// scanParts is how many connections ScanSearchable reads on: one a
// processor, at least two (PostgreSQL's server and this process share even
// one processor better with two streams), at most four (the index loads
// every page under one lock, which more streams do not speed up).
func scanParts() int { return min(max(runtime.GOMAXPROCS(0), 2), 4) }

// exportSnapshot exports tx's snapshot and counts the blocks of units in
// it. A standby (in recovery) is not asked to export, so its read goes on
// serially: !ok, and tx untouched but for the count.
func exportSnapshot(ctx context.Context, tx pgx.Tx) (snapshot string, blocks int64, ok bool, err error) {
	var s *string
	err = tx.QueryRow(ctx, `SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_export_snapshot() END,
		pg_relation_size('units') / current_setting('block_size')::bigint`).Scan(&s, &blocks)
	if err != nil || s == nil {
		return "", 0, false, err
	}
	return *s, blocks, true, nil
}
