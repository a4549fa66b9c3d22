package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/credential"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// tokenJSON is a token in the API's form (the secret's hash is never shown).
func tokenJSON(t *credential.Token) *pb.Token {
	ts := func(tm time.Time) *timestamppb.Timestamp {
		if tm.IsZero() {
			return nil
		}
		return timestamppb.New(tm)
	}
	return &pb.Token{Name: t.Name(), Principal: t.Principal, Role: pb.Role(pb.Role_value["ROLE_"+strings.ToUpper(string(t.Role))]),
		Org: t.Org, CertCn: t.CertCN, ExpireTime: ts(t.ExpireTime), CreateTime: ts(t.CreateTime), RevokeTime: ts(t.RevokeTime),
		LastUseTime: ts(t.LastUseTime), CreatedBy: t.CreatedBy}
}

const tokenUsage = `usage:
  cordbank token create --role ROLE [--bank B | --org ORG] [--principal NAME] [--cert-cn CN] [--expires 720h] [--db FILE]
  cordbank token list [--db FILE]
  cordbank token revoke [--db FILE] ID

Roles: admin, manager, technician (--bank), coordinator (--org: the transplant
centre id), auditor (--bank, or none for a registry auditor). create prints
the secret alone on stdout (shown once: only its hash is stored) and the
token's details on stderr, so TOKEN=$(cordbank token create ...) works.
With --cert-cn it binds a client certificate's Common Name instead (serve
--client-ca) and prints no secret.
`

// runToken implements "cordbank token <command>" on the database directly
// (an administrator's bootstrap: the first admin token cannot come from
// the API). The audit trail records the principal "system:cordbank-token".
func runToken(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, tokenUsage)
		return 0
	}
	fs := flag.NewFlagSet("cordbank token "+args[0], flag.ContinueOnError)
	db := fs.String("db", env("CORDBANK_DB", "cordbank.db"), dbHelp)
	output := outputFlag(fs)
	var role, bankID, org, principal, certCN string
	var expires time.Duration
	if args[0] == "create" {
		fs.StringVar(&role, "role", "", "admin, manager, technician, coordinator or auditor")
		fs.StringVar(&bankID, "bank", "", "the bank of a manager, technician or bank auditor")
		fs.StringVar(&org, "org", "", "the transplant centre of a coordinator")
		fs.StringVar(&principal, "principal", "", "the name the audit trail records (default ROLE@ORG)")
		fs.StringVar(&certCN, "cert-cn", "", "bind a client certificate Common Name instead of issuing a secret")
		fs.DurationVar(&expires, "expires", 0, "lifetime, e.g. 720h; 0 never expires")
	}
	if code, ok := parseFlags(fs, args[1:], stdout, stderr); !ok {
		return code
	}
	ctx := bank.WithCaller(context.Background(), bank.Caller{Principal: "system:cordbank-token"})
	// create may make the database (the first admin token comes before
	// the first serve); list and revoke need one that exists.
	store, err := openDB(ctx, *db, args[0] != "create")
	if err != nil {
		fmt.Fprintln(stderr, "cordbank token:", err)
		return 1
	}
	defer store.Close()
	svc := bank.NewService(store)
	switch args[0] {
	case "create":
		if bankID != "" && org != "" {
			fmt.Fprintln(stderr, "cordbank token create: give --bank or --org, not both")
			return 2
		}
		if bankID != "" {
			org = bankID
		}
		if principal == "" {
			principal = role
			if org != "" {
				principal += "@" + org
			}
			if certCN != "" {
				principal = certCN
			}
		}
		r := bank.CreateTokenRequest{Principal: principal, Role: bank.Role(role), Org: org, CertCN: certCN}
		if expires > 0 {
			r.ExpireTime = time.Now().Add(expires)
		}
		t, secret, err := svc.CreateToken(ctx, r)
		if err != nil {
			fmt.Fprintln(stderr, "cordbank token create:", err)
			return 1
		}
		fmt.Fprintf(stderr, "cordbank: created %s for %s (role %s, org %q)\n", t.Name(), t.Principal, t.Role, t.Org)
		if *output == "json" {
			printJSON(stdout, &pb.CreateTokenResponse{Token: tokenJSON(t), Secret: secret})
		} else if secret != "" {
			fmt.Fprintln(stdout, secret)
		}
		return 0
	case "list":
		list, err := svc.ListTokens(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "cordbank token list:", err)
			return 1
		}
		now := time.Now()
		for _, t := range list {
			if *output == "json" {
				printJSON(stdout, tokenJSON(t))
				continue
			}
			state := "active"
			switch {
			case !t.RevokeTime.IsZero():
				state = "revoked " + t.RevokeTime.Format(time.RFC3339)
			case !t.Active(now):
				state = "expired " + t.ExpireTime.Format(time.RFC3339)
			}
			last := "never used"
			if !t.LastUseTime.IsZero() {
				last = "last used " + t.LastUseTime.Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\tcert_cn=%s\t%s\t%s\n", t.ID, t.Principal, t.Role, t.Org, t.CertCN, state, last)
		}
		return 0
	case "revoke":
		if fs.NArg() != 1 {
			fmt.Fprint(stderr, tokenUsage)
			return 2
		}
		t, err := svc.RevokeToken(ctx, fs.Arg(0))
		if err != nil {
			fmt.Fprintln(stderr, "cordbank token revoke:", err)
			return 1
		}
		if *output == "json" {
			printJSON(stdout, tokenJSON(t))
		} else {
			fmt.Fprintf(stdout, "cordbank: revoked %s (%s)\n", t.Name(), t.Principal)
		}
		return 0
	}
	fmt.Fprint(stderr, tokenUsage)
	return 2
}
