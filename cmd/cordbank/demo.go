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
// has no banks, so a newcomer has an inventory to explore at once: most
// units released to AVAILABLE (searchable), the rest in quarantine,
// temporarily unavailable or discarded (see demoLifecycle). It does nothing
// on a database that already holds data.
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
	counts := map[bank.Status]int{}
	for n > 0 {
		k := min(n, 1000)
		res, err := svc.ImportUnits(ctx, demoBankID, gen.Units(k))
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Err != nil {
				continue
			}
			st, err := demoLifecycle(ctx, svc, r.Unit, created)
			if err != nil {
				return err
			}
			counts[st]++
			created++
		}
		n -= k
	}
	log.Info("demo: seeded", "bank", "banks/"+demoBankID, "units", created,
		"available", counts[bank.StatusAvailable], "quarantine", counts[bank.StatusQuarantine],
		"temporarily_unavailable", counts[bank.StatusTemporarilyUnavailable], "discarded", counts[bank.StatusDiscarded])
	return nil
}

// demoLifecycle moves the i-th imported demo unit through the lifecycle
// methods, as a bank's staff would: of every 20 units, 17 (85 %) are
// released, one stays in quarantine, one is released and then withheld
// for a month, one is discarded. It returns the unit's final status.
func demoLifecycle(ctx context.Context, svc *bank.Service, u *bank.Unit, i int) (bank.Status, error) {
	step := func(r bank.TransitionRequest) error {
		r.Bank, r.DIN = u.Bank, u.DIN
		_, err := svc.Transition(ctx, r)
		return err
	}
	switch i % 20 {
	case 17:
		return bank.StatusQuarantine, nil
	case 18:
		if err := step(bank.TransitionRequest{Action: bank.ActionRelease}); err != nil {
			return "", err
		}
		until := bank.DateOf(time.Now()).AddDays(30)
		return bank.StatusTemporarilyUnavailable, step(bank.TransitionRequest{Action: bank.ActionMakeUnavailable,
			Reason: "AD", Until: until, Note: "demo: label check pending"})
	case 19:
		reason, note := "CD", "demo: bag damaged in storage"
		if i%40 == 39 {
			reason, note = "MR", "demo: maternal history reported after collection"
		}
		return bank.StatusDiscarded, step(bank.TransitionRequest{Action: bank.ActionDiscard, Reason: reason, Note: note})
	}
	return bank.StatusAvailable, step(bank.TransitionRequest{Action: bank.ActionRelease, Note: "demo: tests passed"})
}
