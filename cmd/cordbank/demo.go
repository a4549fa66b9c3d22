package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/synth"
)

// The demo bank's identity. The FIN is in no ICCBBA registry we know of;
// the units are synthetic and describe no one.
const (
	demoBankID = "demo"
	demoFIN    = "W9999"
)

// seedDemo registers a demo bank and n synthetic units when the database
// has no banks, so a newcomer has an inventory to explore at once. It does
// nothing on a database that already holds data.
func seedDemo(ctx context.Context, svc *bank.Service, n int, log *slog.Logger) error {
	banks, _, err := svc.ListBanks(ctx, 1, "")
	if err != nil {
		return err
	}
	if len(banks) > 0 {
		log.Info("demo: database not empty, nothing seeded")
		return nil
	}
	_, err = svc.CreateBank(ctx, &bank.Bank{
		ID: demoBankID, DisplayName: "Demo Public Cord Blood Bank", FIN: demoFIN, Country: "US",
		Accreditations: []bank.Accreditation{bank.AccreditationFACTNetCord, bank.AccreditationAABB},
	}, "")
	if err != nil {
		return err
	}
	gen := synth.New(demoBankID, demoFIN, time.Now(), 2026)
	created := 0
	for n > 0 {
		k := min(n, 1000)
		res, err := svc.ImportUnits(ctx, demoBankID, gen.Units(k))
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Err == nil {
				created++
			}
		}
		n -= k
	}
	log.Info("demo: seeded", "bank", "banks/"+demoBankID, "units", created)
	return nil
}
