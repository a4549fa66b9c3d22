package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/internal/benchsize"
	"github.com/cordbank/cordbank/internal/synth"
	sqlite3 "github.com/mattn/go-sqlite3"
)

// BenchmarkInsertFloor is the floor under the import: the rows an import
// of 50,000 units writes (a unit row and an audit event row per unit,
// with the same columns, indexes and sizes), inserted by the plainest
// loop of prepared statements on the driver connection (no database/sql
// argument conversion) in transactions of 5,000 with the same durability
// (WAL, synchronous=FULL), rows encoded and bound values built before
// the clock starts: SQLite's own speed for these rows. The README compares BenchmarkImportUnits (server) with it.
func BenchmarkInsertFloor(b *testing.B) {
	perIter, txSize := benchsize.Of(50000, 5000), 5000
	ctx := context.Background()
	var total time.Duration
	for i := range b.N {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), fmt.Sprint("floor", i, ".db"))
		st, err := Open(ctx, path) // the real schema
		if err != nil {
			b.Fatal(err)
		}
		st.Close()
		db, err := sql.Open("sqlite3", "file:"+path+"?_txlock=immediate&_journal_mode=WAL&_synchronous=FULL&_foreign_keys=on&_mutex=no")
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		if _, err := db.ExecContext(ctx, `INSERT INTO banks (id, display_name, fin, country, accreditations, create_time, update_time, version) VALUES ('bench', 'Bench', 'W9999', 'US', '', 0, 0, 1)`); err != nil {
			b.Fatal(err)
		}
		units := synth.New("bench", "W9999", time.Now(), uint64(i)).Units(perIter)
		unitRows := make([][]driver.NamedValue, perIter)
		eventRows := make([][]driver.NamedValue, perIter)
		named := func(args []any) []driver.NamedValue {
			nv := make([]driver.NamedValue, len(args))
			for k, a := range args {
				nv[k] = driver.NamedValue{Ordinal: k + 1, Value: a}
			}
			return nv
		}
		prev := ""
		for j, u := range units {
			u.Status, u.CreateTime, u.UpdateTime, u.Version = "QUARANTINE", time.Now(), time.Now(), 1
			args, err := unitArgs(nil, u)
			if err != nil {
				b.Fatal(err)
			}
			unitRows[j] = named(args)
			snap, _ := json.Marshal(u)
			changes, _ := json.Marshal([]map[string]string{{"Field": "*", "After": string(snap)}})
			h := sha256.Sum256(append([]byte(prev), changes...))
			hash := hex.EncodeToString(h[:])
			e := &bank.Event{Seq: int64(j + 1), Time: time.Now(), Principal: "bench", Method: "ImportUnits", Resource: u.Name(),
				Bank: "bench", PrevHash: prev, Hash: hash, HashScheme: audit.CurrentHashScheme, StreamSeq: int64(j + 1)}
			eventRows[j] = named(eventArgs(nil, e, string(changes))) // the store's own columns: the floor follows the schema
			prev = hash
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		err = conn.Raw(func(dc any) error {
			c := dc.(*sqlite3.SQLiteConn)
			insUnit, err := c.Prepare(rawSQL[rawInsertUnit])
			if err != nil {
				return err
			}
			defer insUnit.Close()
			insEvent, err := c.Prepare(rawSQL[rawAppendEvent])
			if err != nil {
				return err
			}
			defer insEvent.Close()
			for from := 0; from < perIter; from += txSize {
				if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE", nil); err != nil {
					return err
				}
				for j := from; j < from+txSize; j++ {
					if _, err := insUnit.(driver.StmtExecContext).ExecContext(ctx, unitRows[j]); err != nil {
						return err
					}
					if _, err := insEvent.(driver.StmtExecContext).ExecContext(ctx, eventRows[j]); err != nil {
						return err
					}
				}
				if _, err := c.ExecContext(ctx, "COMMIT", nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		conn.Close()
		db.Close()
	}
	b.ReportMetric(float64(perIter*b.N)/total.Seconds(), "units/s")
}
