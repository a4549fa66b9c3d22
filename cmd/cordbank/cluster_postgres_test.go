package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/faultcheck"
	"github.com/cordbank/cordbank/internal/pgtest"
	"github.com/cordbank/cordbank/internal/store/postgres"
)

// TestSeveralServersOnePostgres is TestSeveralServersOneDatabase over one
// PostgreSQL database: three server processes, searches that follow each
// other's writes, one winner per reservation race across servers, one
// gapless chain, a watch resumed on another server, and a SIGKILLed server
// that loses nothing acknowledged and catches up when restarted.
func TestSeveralServersOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	url := pgtest.NewDatabase(t)
	c := startClusterOn(t, 3, url)
	severalServers(t, c, func(l *faultcheck.Ledger) ([]string, error) { return checkPostgres(context.Background(), url, l) })
}

// checkPostgres checks a PostgreSQL database after fault injection through
// the port, as faultcheck.Check does a SQLite file: the hash chain
// verifies; every table matches the trail's replay (which finds a unit
// without its creation event and the reverse); a unit is reserved exactly
// when it has one open reservation; and every acknowledged write is there.
func checkPostgres(ctx context.Context, url string, l *faultcheck.Ledger) ([]string, error) {
	s, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	svc := bank.NewService(s)
	var problems []string
	chain, err := svc.VerifyEvents(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range chain.Problems {
		problems = append(problems, fmt.Sprintf("audit chain: %+v", p))
	}
	state, err := svc.VerifyState(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range state.Differences {
		problems = append(problems, fmt.Sprintf("tables against the trail: %+v", d))
	}
	stored := map[string]string{}
	err = s.Read(ctx, func(tx bank.ReadTx) error {
		for after := unit.DIN(""); ; {
			units, err := tx.ListUnits(ctx, bank.UnitQuery{AfterDIN: after, Limit: 1000})
			if err != nil || len(units) == 0 {
				return err
			}
			for _, u := range units {
				stored[string(u.DIN)] = u.LocalID
				open, err := tx.OpenReservation(ctx, u.DIN)
				if err != nil {
					return err
				}
				if held := u.Status == lifecycle.StatusReserved || u.Status == lifecycle.StatusShipmentRequested; held != (open != nil) {
					problems = append(problems, fmt.Sprintf("unit %s (%s): status and open reservations disagree", u.DIN, u.Status))
				}
			}
			after = units[len(units)-1].DIN
		}
	})
	if err != nil {
		return nil, err
	}
	return append(problems, l.Problems(stored)...), nil
}
