package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/internal/store/sqlite/sqlitetest"
)

// TestVerifyCatchesTampering edits, removes and reorders rows directly in
// SQLite, as an attacker with file access would, and checks the domain's
// verification finds each. It lives with the adapter because tampering
// needs the adapter's own SQL: the port only appends events.
func TestVerifyCatchesTampering(t *testing.T) {
	for _, tc := range []struct {
		name, sql, want string
	}{
		{"edited", `UPDATE events SET principal = 'someone-else' WHERE seq = 3`, "altered"},
		{"edited changes", `UPDATE events SET changes = replace(changes, 'CB-9', 'CB-8') WHERE seq = 4`, "altered"},
		{"removed", `DELETE FROM events WHERE seq = 2`, "missing or reordered"},
		{"last removed", `DELETE FROM events WHERE seq = 5`, ""},
		{"reordered", `UPDATE events SET seq = seq + 100 WHERE seq = 2; UPDATE events SET seq = 2 WHERE seq = 3; UPDATE events SET seq = 3 WHERE seq = 102`, "link"},
		{"scheme downgraded", `UPDATE events SET hash_scheme = 1 WHERE seq = 4`, "after an event of scheme 3"},
		{"unknown scheme", `UPDATE events SET hash_scheme = 7 WHERE seq = 2`, "unknown hash scheme 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cordbank.db")
			svc := bank.NewService(sqlitetest.OpenAt(t, path), bank.WithClock(banktest.Clock))
			banktest.AuditedChanges(t, svc)
			db, err := sql.Open("sqlite3", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(tc.sql); err != nil {
				t.Fatal(err)
			}
			sum, err := svc.VerifyEvents(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				// Truncating the tail leaves a valid shorter chain: only the
				// published head hash reveals it.
				if len(sum.Problems) != 0 || sum.Events != 4 {
					t.Fatalf("truncated chain: %+v", sum)
				}
				return
			}
			found := false
			for _, p := range sum.Problems {
				if strings.Contains(p.Reason, tc.want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("problems %+v, want one mentioning %q", sum.Problems, tc.want)
			}
		})
	}
}
