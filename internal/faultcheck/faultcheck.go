package faultcheck

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/sqlite"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// creationMethods are the use cases whose event records a unit's creation.
var creationMethods = []string{"CreateUnit", "ImportUnits"}

// Ledger records what clients sent and what they saw acknowledged, per
// DIN: the local ids a stored unit may carry. Safe for concurrent use.
type Ledger struct {
	mu sync.Mutex
	// allowed: the local ids the unit may have; a unit absent from the
	// database is fine unless acked.
	allowed map[string]map[string]bool
	acked   map[string]string // DIN -> local id of the last acknowledged write
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{allowed: map[string]map[string]bool{}, acked: map[string]string{}}
}

// Sent notes a write of din with localID whose outcome the client does not
// know (it failed, was cancelled, or is in flight).
func (l *Ledger) Sent(din, localID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.allowed[din] == nil {
		l.allowed[din] = map[string]bool{}
	}
	l.allowed[din][localID] = true
}

// Acked notes that a write of din with localID was acknowledged: from now
// on the unit must exist with it, until a later write of the same DIN
// (writes of one DIN must come from one goroutine at a time).
func (l *Ledger) Acked(din, localID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.allowed[din] = map[string]bool{localID: true}
	l.acked[din] = localID
}

// AckedCount returns how many DINs have an acknowledged write.
func (l *Ledger) AckedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// Problems compares the stored local id of each unit (by DIN) with what
// was sent and acknowledged: an acknowledged write that is missing or
// was replaced by one never acknowledged, or a value never sent.
func (l *Ledger) Problems(stored map[string]string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var problems []string
	for din, want := range l.acked {
		got, ok := stored[din]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("unit %s: acknowledged (local id %q) but not stored", din, want))
		case !l.allowed[din][got]:
			problems = append(problems, fmt.Sprintf("unit %s: local id %q, want the acknowledged %q", din, got, want))
		}
	}
	for din, got := range stored {
		if allowed, ok := l.allowed[din]; ok && !allowed[got] {
			problems = append(problems, fmt.Sprintf("unit %s: local id %q was never sent", din, got))
		}
	}
	return problems
}

// Check opens the database at path (no server may have it open) and
// returns every problem found; an error means it could not be checked.
func Check(ctx context.Context, path string, l *Ledger) ([]string, error) {
	var problems []string
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var integrity []string
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return nil, fmt.Errorf("integrity_check: %w", err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return nil, err
		}
		integrity = append(integrity, s)
	}
	rows.Close()
	if len(integrity) != 1 || integrity[0] != "ok" {
		problems = append(problems, "integrity_check: "+strings.Join(integrity, "; "))
	}

	in := "'" + strings.Join(creationMethods, "', '") + "'"
	orphans, err := column(ctx, db, `SELECT 'banks/' || bank_id || '/units/' || din FROM units u WHERE NOT EXISTS
		(SELECT 1 FROM events e WHERE e.resource = 'banks/' || u.bank_id || '/units/' || u.din AND e.method IN (`+in+`))`)
	if err != nil {
		return nil, err
	}
	for _, name := range orphans {
		problems = append(problems, name+": stored without its creation event")
	}
	ghosts, err := column(ctx, db, `SELECT resource FROM events e WHERE e.method IN (`+in+`) AND NOT EXISTS
		(SELECT 1 FROM units u WHERE e.resource = 'banks/' || u.bank_id || '/units/' || u.din)`)
	if err != nil {
		return nil, err
	}
	for _, name := range ghosts {
		problems = append(problems, name+": creation event without its unit")
	}
	dups, err := column(ctx, db, `SELECT resource FROM events WHERE method IN (`+in+`) GROUP BY resource HAVING count(*) > 1`)
	if err != nil {
		return nil, err
	}
	for _, name := range dups {
		problems = append(problems, name+": created more than once")
	}

	// A unit is RESERVED or SHIPMENT_REQUESTED exactly when it has one
	// open reservation.
	holds, err := column(ctx, db, `SELECT din FROM reservations WHERE status IN ('ACTIVE', 'SHIPMENT_REQUESTED') GROUP BY din HAVING count(*) > 1`)
	if err != nil {
		return nil, err
	}
	for _, din := range holds {
		problems = append(problems, "unit "+din+": more than one open reservation")
	}
	mismatched, err := column(ctx, db, `SELECT din || ' (' || status || ')' FROM units u WHERE
		(status IN ('RESERVED', 'SHIPMENT_REQUESTED')) != EXISTS
		(SELECT 1 FROM reservations r WHERE r.din = u.din AND r.status IN ('ACTIVE', 'SHIPMENT_REQUESTED'))`)
	if err != nil {
		return nil, err
	}
	for _, din := range mismatched {
		problems = append(problems, "unit "+din+": status and open reservations disagree")
	}

	if l != nil {
		stored := map[string]string{}
		rows, err := db.QueryContext(ctx, `SELECT din, local_id FROM units`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var din, local string
			if err := rows.Scan(&din, &local); err != nil {
				rows.Close()
				return nil, err
			}
			stored[din] = local
		}
		rows.Close()
		problems = append(problems, l.Problems(stored)...)
	}

	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open for verification: %w", err)
	}
	defer st.Close()
	sum, err := bank.NewService(st).VerifyEvents(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify audit trail: %w", err)
	}
	for _, p := range sum.Problems {
		problems = append(problems, fmt.Sprintf("audit chain: %+v", p))
	}
	sort.Strings(problems)
	return problems, nil
}

func column(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Import streams units to parent through reg, noting each as sent and,
// once the reply lists it stored, as acknowledged with its local id. Any
// refused unit is an error: fault-injection clients send valid units.
func (l *Ledger) Import(ctx context.Context, reg pb.RegistryServiceClient, parent string, units []*pb.Unit) error {
	stream, err := reg.ImportUnits(ctx)
	if err != nil {
		return err
	}
	local := map[string]string{}
	for i, u := range units {
		l.Sent(u.GetDin(), u.GetLocalId())
		local[u.GetDin()] = u.GetLocalId()
		req := &pb.ImportUnitsRequest{Unit: u}
		if i == 0 {
			req.Parent = parent
		}
		if err := stream.Send(req); err != nil {
			break // the server has answered: CloseAndRecv says what
		}
	}
	res, err := stream.CloseAndRecv()
	if err != nil {
		return err
	}
	for _, r := range res.GetResults() {
		if r.GetError() != nil {
			return fmt.Errorf("unit %s refused: %v", r.GetDin(), r.GetError())
		}
		l.Acked(r.GetDin(), local[r.GetDin()])
	}
	return nil
}
