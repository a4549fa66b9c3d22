package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/names"
	"github.com/cordbank/cordbank/bank/unit"
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
	counts := map[lifecycle.Status]int{}
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
	log.Info("demo: seeded", "bank", names.Bank(demoBankID), "units", created,
		"available", counts[lifecycle.StatusAvailable], "quarantine", counts[lifecycle.StatusQuarantine],
		"temporarily_unavailable", counts[lifecycle.StatusTemporarilyUnavailable], "discarded", counts[lifecycle.StatusDiscarded])
	return nil
}

// demoLifecycle moves the i-th imported demo unit through the lifecycle
// methods, as a bank's staff would: of every 20 units, 17 (85 %) are
// released, one stays in quarantine, one is released and then withheld
// for a month, one is discarded. It returns the unit's final status.
func demoLifecycle(ctx context.Context, svc *bank.Service, u *bank.Unit, i int) (lifecycle.Status, error) {
	step := func(r bank.TransitionRequest) error {
		r.Bank, r.DIN = u.Bank, u.DIN
		_, err := svc.Transition(ctx, r)
		return err
	}
	switch i % 20 {
	case 17:
		return lifecycle.StatusQuarantine, nil
	case 18:
		if err := step(bank.TransitionRequest{Action: lifecycle.ActionRelease}); err != nil {
			return "", err
		}
		until := unit.DateOf(time.Now()).AddDays(30)
		return lifecycle.StatusTemporarilyUnavailable, step(bank.TransitionRequest{Action: lifecycle.ActionMakeUnavailable,
			Reason: "AD", Until: until, Note: "demo: label check pending"})
	case 19:
		reason, note := "CD", "demo: bag damaged in storage"
		if i%40 == 39 {
			reason, note = "MR", "demo: maternal history reported after collection"
		}
		return lifecycle.StatusDiscarded, step(bank.TransitionRequest{Action: lifecycle.ActionDiscard, Reason: reason, Note: note})
	}
	return lifecycle.StatusAvailable, step(bank.TransitionRequest{Action: lifecycle.ActionRelease, Note: "demo: tests passed"})
}

// demoTCID is the demo coordinator's transplant centre.
const demoTCID = "demo-tc"

// demoToken is a token --demo created, to print once.
type demoToken struct {
	role, org, secret string
}

// demoTokenFile keeps the demo tokens' secrets beside the database (mode
// 0600), so every --demo start prints the same tokens instead of minting
// five more: only their hashes are in the database, and a secret cannot
// be shown twice otherwise. A token that no longer works (revoked,
// expired, or a file from another database) is replaced. On PostgreSQL
// the file is cordbank-postgres.demo-tokens in the working directory.
func demoTokenFile(db string) string {
	if path, ok := sqlitePath(db); ok {
		return path + ".demo-tokens"
	}
	return "cordbank-postgres.demo-tokens"
}

var demoRoles = []struct {
	role bank.Role
	org  string
}{
	{bank.RoleCoordinator, demoTCID}, {bank.RoleManager, demoBankID}, {bank.RoleTechnician, demoBankID},
	{bank.RoleAuditor, bank.OrgRegistry}, {bank.RoleAdmin, bank.OrgRegistry},
}

// demoTokens returns one working token per role: those kept in the demo
// token file that still authenticate as their role, new ones for the rest.
func demoTokens(ctx context.Context, svc *bank.Service, db string) ([]demoToken, error) {
	ctx = bank.WithCaller(ctx, bank.Caller{Principal: "system:demo"})
	kept := map[string]string{} // role -> secret
	if b, err := os.ReadFile(demoTokenFile(db)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if role, secret, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
				kept[role] = secret
			}
		}
	}
	var out []demoToken
	changed := false
	for _, d := range demoRoles {
		secret := kept[string(d.role)]
		if p, err := svc.Authenticate(ctx, secret); secret == "" || err != nil || p.Role != d.role || p.Org != d.org {
			var err error
			if _, secret, err = svc.CreateToken(ctx, bank.CreateTokenRequest{Principal: "demo-" + string(d.role), Role: d.role, Org: d.org}); err != nil {
				return nil, err
			}
			changed = true
		}
		out = append(out, demoToken{role: string(d.role), org: d.org, secret: secret})
	}
	if changed {
		var b strings.Builder
		b.WriteString("# cordbank --demo tokens (role secret); delete this file to mint new ones\n")
		for _, t := range out {
			fmt.Fprintf(&b, "%s %s\n", t.role, t.secret)
		}
		if err := os.WriteFile(demoTokenFile(db), []byte(b.String()), 0o600); err != nil {
			return nil, fmt.Errorf("keep the demo tokens: %w", err)
		}
	}
	return out, nil
}

// printDemoTokens prints the demo tokens and a ready-to-paste search as
// the coordinator (base is the REST URL, "" without REST).
func printDemoTokens(w io.Writer, toks []demoToken, base string) {
	if len(toks) == 0 {
		return
	}
	for _, t := range toks {
		org := t.org
		if org == "" {
			org = "registry"
		}
		fmt.Fprintf(w, "cordbank: demo token %-11s (%s): %s\n", t.role, org, t.secret)
	}
	if base == "" {
		return
	}
	fmt.Fprintf(w, "cordbank: try: TOKEN=%s; curl -s -X POST %s/v1/units:search -H \"Authorization: Bearer $TOKEN\" "+
		"-H 'Content-Type: application/json' -d '{\"patient\": {\"glString\": \"HLA-A*02:01+HLA-A*24:02^HLA-B*07:02+HLA-B*44:02^HLA-C*05:01+HLA-C*07:02^HLA-DRB1*15:01+HLA-DRB1*04:01\"}, \"weightKg\": 20, \"disease\": \"DISEASE_CLASS_MALIGNANT\"}'\n",
		toks[0].secret, base)
}
