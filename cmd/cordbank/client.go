package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/bank/names"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

const clientUsage = `usage: cordbank client <command> [flags]

Commands talk to a running server through the Go SDK, with a token
(--token or CORDBANK_TOKEN) and --server ADDR (CORDBANK_SERVER; TLS by
default to anything but this machine, --ca FILE for a private CA):

  units get NAME                      print a unit (banks/B/units/DIN)
  units list --bank B [--status S]    list a bank's units, one per line
  search --patient GL --weight KG     search public units for a patient
         [--disease malignant|non-malignant] [--criterion 6/6|8/8|10/10] [--limit N]
  reserve NAME --center TC --patient ID [--for 336h]
  verify-audit                        verify the audit trail (exit 1 when broken)
  typing import-hml FILE --bank B     apply an HML 1.0.x typing report to the bank's units
  scan SCAN|-                         look up the unit a scanned ISBT 128 barcode names
  label NAME --pdc S1234 [--kind bag|segment] [--format zpl|png|pdf] [--reprint --reason R] [--out FILE|-]
                                      print a unit's ISBT 128 label
  create-token --role R [--org O] [--principal P] [--expires 720h]` + interchangeUsage + `
Every command takes --output json for one JSON object per line.
`

// runClient implements "cordbank client <command>".
func runClient(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w, code := stderr, 2
		if len(args) > 0 {
			w, code = stdout, 0
		}
		fmt.Fprint(w, clientUsage)
		return code
	}
	name := args[0]
	args = args[1:]
	if name == "scan" || name == "label" {
		return runLabelClient(name, args, os.Stdin, stdout, stderr)
	}
	if name == "units" || name == "typing" {
		if len(args) == 0 {
			fmt.Fprint(stderr, clientUsage)
			return 2
		}
		name, args = name+" "+args[0], args[1:]
	}
	if interchangeCommands[name] {
		return runInterchange(name, args, stdout, stderr)
	}
	fs := flag.NewFlagSet("cordbank client "+name, flag.ContinueOnError)
	var sf serverFlags
	sf.register(fs)
	var (
		bankID, status, patient, disease, criterion, center, patientID, role, org, principal string
		weight                                                                               float64
		limit                                                                                int
		hold, expires                                                                        time.Duration
	)
	switch name {
	case "units list":
		fs.StringVar(&bankID, "bank", "", "the bank id (required)")
		fs.StringVar(&status, "status", "", "only units in this status, e.g. AVAILABLE")
	case "typing import-hml":
		fs.StringVar(&bankID, "bank", "", "the bank whose units the report types (required)")
	case "search":
		fs.StringVar(&patient, "patient", "", "the patient's typing as a GL String (required)")
		fs.Float64Var(&weight, "weight", 0, "the patient's weight in kg (required)")
		fs.StringVar(&disease, "disease", "malignant", "malignant or non-malignant")
		fs.StringVar(&criterion, "criterion", "8/8", "6/6, 8/8 or 10/10")
		fs.IntVar(&limit, "limit", 10, "how many matches")
	case "reserve":
		fs.StringVar(&center, "center", "", "the transplant centre (required)")
		fs.StringVar(&patientID, "patient", "", "the registry patient id (required)")
		fs.DurationVar(&hold, "for", 14*24*time.Hour, "how long the hold lasts")
	case "create-token":
		fs.StringVar(&role, "role", "", "admin, manager, technician, coordinator or auditor")
		fs.StringVar(&org, "org", "", "the bank or transplant centre of the token")
		fs.StringVar(&principal, "principal", "", "the name the audit trail records")
		fs.DurationVar(&expires, "expires", 0, "lifetime, e.g. 720h; 0 never expires")
	case "units get", "verify-audit":
	default:
		fmt.Fprintf(stderr, "cordbank client: unknown command %q\n\n%s", name, clientUsage)
		return 2
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	c, ok := sf.connect(name, stderr)
	if !ok {
		return 2
	}
	defer c.Close()
	ctx := context.Background()
	out := sf.printer(stdout)
	switch name {
	case "units get":
		if fs.NArg() != 1 {
			fmt.Fprintln(stderr, "usage: cordbank client units get banks/B/units/DIN")
			return 2
		}
		u, err := c.GetUnit(ctx, fs.Arg(0))
		if err != nil {
			return fail(stderr, name, err)
		}
		out.unit(u)
	case "units list":
		if bankID == "" {
			fmt.Fprintln(stderr, "cordbank client units list: --bank is required")
			return 2
		}
		req := &pb.ListUnitsRequest{Parent: names.Bank(bankID)}
		if status != "" {
			st, ok := pb.UnitStatus_value["UNIT_STATUS_"+strings.ToUpper(strings.TrimPrefix(status, "UNIT_STATUS_"))]
			if !ok {
				fmt.Fprintf(stderr, "cordbank client units list: --status %q is not a unit status\n", status)
				return 2
			}
			req.Status = []pb.UnitStatus{pb.UnitStatus(st)}
		}
		for u, err := range c.ListUnits(ctx, req) {
			if err != nil {
				return fail(stderr, name, err)
			}
			out.unit(u)
		}
	case "search":
		req, err := searchRequest(patient, weight, disease, criterion, limit)
		if err != nil {
			fmt.Fprintf(stderr, "cordbank client search: %v\n", err)
			return 2
		}
		res, err := c.SearchUnits(ctx, req)
		if err != nil {
			return fail(stderr, name, err)
		}
		if out.json {
			printJSON(stdout, res)
			break
		}
		for _, m := range res.GetMatches() {
			g := m.GetGrade()
			fmt.Fprintf(stdout, "%d\t%s\t%d/%d\tTNC %.2g/kg\n", m.GetRank(), m.GetUnit(), g.GetTotal(), g.GetOutOf(), m.GetTncPerKg())
		}
		fmt.Fprintf(stdout, "%d matches of %d units\n", len(res.GetMatches()), res.GetTotalSize())
	case "reserve":
		if fs.NArg() != 1 || center == "" || patientID == "" {
			fmt.Fprintln(stderr, "usage: cordbank client reserve banks/B/units/DIN --center TC --patient ID")
			return 2
		}
		r, err := c.ReserveUnit(ctx, fs.Arg(0), center, patientID, time.Now().Add(hold))
		if err != nil {
			return fail(stderr, name, err)
		}
		if out.json {
			printJSON(stdout, r)
		} else {
			fmt.Fprintf(stdout, "%s\t%s\tuntil %s\n", r.GetName(), r.GetStatus(), r.GetExpireTime().AsTime().Format(time.RFC3339))
		}
	case "typing import-hml":
		return importHML(ctx, c, fs, bankID, out, stderr)
	case "verify-audit":
		res, err := c.VerifyAuditTrail(ctx)
		if err != nil {
			return fail(stderr, name, err)
		}
		if out.json {
			printJSON(stdout, res)
		} else {
			fmt.Fprintf(stdout, "events checked: %d\nhead hash: %s\n", res.GetEventsChecked(), res.GetHeadHash())
			for _, p := range res.GetProblems() {
				fmt.Fprintf(stdout, "problem at event %d: %s\n", p.GetSeq(), p.GetReason())
			}
			if len(res.GetProblems()) == 0 {
				fmt.Fprintln(stdout, "audit trail intact")
			}
		}
		if len(res.GetProblems()) > 0 {
			return 1
		}
	case "create-token":
		if principal == "" { // as "cordbank token create" names it
			principal = role
			if org != "" {
				principal += "@" + org
			}
		}
		t := &pb.Token{Principal: principal, Role: pb.Role(pb.Role_value["ROLE_"+strings.ToUpper(role)]), Org: org}
		if expires > 0 {
			t.ExpireTime = timestamppb.New(time.Now().Add(expires))
		}
		res, err := c.CreateToken(ctx, t)
		if err != nil {
			return fail(stderr, name, err)
		}
		if out.json {
			printJSON(stdout, res)
		} else {
			fmt.Fprintln(stdout, res.GetSecret())
		}
	}
	return 0
}

// fail reports a server's error: its reason and every invalid field.
func fail(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "cordbank client %s: %v\n", name, err)
	return 1
}

type printer struct {
	w    io.Writer
	json bool
}

func (p *printer) unit(u *pb.Unit) {
	if p.json {
		printJSON(p.w, u)
		return
	}
	fmt.Fprintf(p.w, "%s\t%s\t%s\tTNC %.3g\n", u.GetName(), strings.TrimPrefix(u.GetStatus().String(), "UNIT_STATUS_"),
		strings.TrimPrefix(u.GetAbo().String(), "ABO_"), u.GetCells().GetPostProcessingTnc())
}

func searchRequest(patient string, weight float64, disease, criterion string, limit int) (*pb.SearchUnitsRequest, error) {
	if patient == "" || weight <= 0 {
		return nil, fmt.Errorf("--patient and a positive --weight are required")
	}
	req := &pb.SearchUnitsRequest{Patient: &pb.PatientTyping{GlString: patient}, WeightKg: weight, PageSize: int32(limit)}
	switch disease {
	case "malignant":
		req.Disease = pb.DiseaseClass_DISEASE_CLASS_MALIGNANT
	case "non-malignant":
		req.Disease = pb.DiseaseClass_DISEASE_CLASS_NON_MALIGNANT
	default:
		return nil, fmt.Errorf("--disease %q: want malignant or non-malignant", disease)
	}
	switch criterion {
	case "6/6":
		req.Criterion = pb.MatchCriterion_MATCH_CRITERION_SIX_OF_SIX
	case "8/8":
		req.Criterion = pb.MatchCriterion_MATCH_CRITERION_EIGHT_OF_EIGHT
	case "10/10":
		req.Criterion = pb.MatchCriterion_MATCH_CRITERION_TEN_OF_TEN
	default:
		return nil, fmt.Errorf("--criterion %q: want 6/6, 8/8 or 10/10", criterion)
	}
	return req, nil
}
