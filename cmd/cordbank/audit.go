package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/internal/checkpoint"
)

// runAudit implements "cordbank audit <command>".
func runAudit(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: cordbank audit verify [--db FILE] [--state] [--checkpoint-log FILE --checkpoint-key KEY]")
		return 2
	}
	return auditVerify(args[1:], stdout, stderr)
}

// auditVerify implements "cordbank audit verify": it reads the whole audit
// trail of a database and checks its hash chain; with --checkpoint-log,
// also that the chain still holds the latest signed checkpoint (so a
// truncated, emptied or rebuilt chain fails); with --state, that every
// row equals the state the trail implies. It prints the number of events
// checked, the head hash and every problem found. Exit status 1 when
// anything fails or the trail cannot be read.
func auditVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cordbank audit verify", flag.ContinueOnError)
	db := fs.String("db", "cordbank.db", dbHelp)
	state := fs.Bool("state", false, "also replay every event and check each bank, unit, position, reservation and container row against it (CORDBANK_AUDIT_STATE)")
	cpLog := fs.String("checkpoint-log", "", "checkpoint log the service signs (serve --checkpoint-log): the chain must hold its latest checkpoint (CORDBANK_CHECKPOINT_LOG)")
	cpKey := fs.String("checkpoint-key", "", "the key that signs the checkpoints: its public key file (KEY.pub) or the key itself; required with --checkpoint-log (CORDBANK_CHECKPOINT_KEY)")
	output := outputFlag(fs)
	if err := envFlags(fs, map[string]string{"db": "CORDBANK_DB", "state": "CORDBANK_AUDIT_STATE",
		"checkpoint-log": "CORDBANK_CHECKPOINT_LOG", "checkpoint-key": "CORDBANK_CHECKPOINT_KEY"}); err != nil {
		fmt.Fprintln(stderr, "cordbank audit verify:", err)
		return 2
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if (*cpLog == "") != (*cpKey == "") {
		fmt.Fprintln(stderr, "cordbank audit verify: --checkpoint-log and --checkpoint-key go together")
		return 2
	}
	// Opening creates a missing database: verifying an empty new file
	// would report a valid, empty trail for a mistyped path.
	if _, err := os.Stat(*db); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "cordbank audit verify: %s: no such database\n", *db)
		return 1
	}
	var cp *audit.Checkpoint
	if *cpLog != "" {
		pub, err := checkpoint.LoadPublicKey(*cpKey)
		if err != nil {
			fmt.Fprintln(stderr, "cordbank audit verify:", err)
			return 1
		}
		if cp, err = checkpoint.OpenLog(*cpLog).Latest(pub); err != nil {
			fmt.Fprintln(stderr, "cordbank audit verify:", err)
			return 1
		}
	}
	ctx := bank.WithCaller(context.Background(), bank.Caller{Principal: "system:cordbank-audit-verify"})
	store, err := openDB(ctx, *db, false)
	if err != nil {
		fmt.Fprintln(stderr, "cordbank audit verify:", err)
		return 1
	}
	defer store.Close()
	svc := bank.NewService(store)
	var sum audit.VerifySummary
	if cp != nil {
		sum, err = svc.VerifyEventsAgainst(ctx, cp)
	} else {
		sum, err = svc.VerifyEvents(ctx)
	}
	if err != nil {
		fmt.Fprintln(stderr, "cordbank audit verify:", err)
		return 1
	}
	if *output == "json" {
		return auditVerifyJSON(ctx, stdout, stderr, svc, sum, cp, *state)
	}
	fmt.Fprintf(stdout, "events checked: %d\nhead hash: %s\n", sum.Events, sum.Head)
	if cp != nil {
		fmt.Fprintf(stdout, "checkpoint: event %d, signed %s\n", cp.Seq, cp.Time.Format(time.RFC3339))
	} else {
		fmt.Fprintln(stdout, "checkpoint: none given: a truncated or rebuilt chain is not detectable without one")
	}
	code := 0
	if len(sum.Problems) == 0 {
		fmt.Fprintln(stdout, "problems: none: the chain is intact")
	} else {
		code = 1
		fmt.Fprintf(stdout, "problems: %d (the first 100 are listed)\n", len(sum.Problems))
		for _, p := range sum.Problems {
			fmt.Fprintf(stdout, "  event %d: %s\n", p.Seq, p.Reason)
		}
	}
	if !*state {
		return code
	}
	st, err := svc.VerifyState(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "cordbank audit verify --state:", err)
		return 1
	}
	r := st.Rows
	fmt.Fprintf(stdout, "state: %d events replayed over %d resources; rows: %d banks, %d units, %d positions, %d reservations, %d containers\n",
		st.Events, st.Resources, r.Banks, r.Units, r.Placements, r.Reservations, r.Containers)
	if len(st.Differences) == 0 {
		fmt.Fprintln(stdout, "state differences: none: every row is the state its trail implies")
		return code
	}
	fmt.Fprintf(stdout, "state differences: %d (the first 100 are listed)\n", len(st.Differences))
	for _, d := range st.Differences {
		fmt.Fprintf(stdout, "  %s\n", formatDifference(d))
	}
	return 1
}

// auditVerifyJSON prints the verification as one JSON object: the chain
// (events, head, problems), the checkpoint it was held against, and with
// state the replay's counts and differences. Exit status as in text.
func auditVerifyJSON(ctx context.Context, stdout, stderr io.Writer, svc *bank.Service, sum audit.VerifySummary, cp *audit.Checkpoint, state bool) int {
	type problem struct {
		Seq    int64  `json:"seq"`
		Reason string `json:"reason"`
	}
	out := struct {
		EventsChecked int64     `json:"events_checked"`
		HeadSeq       int64     `json:"head_seq"`
		HeadHash      string    `json:"head_hash"`
		Checkpoint    any       `json:"checkpoint,omitempty"`
		Problems      []problem `json:"problems"`
		State         any       `json:"state,omitempty"`
		Intact        bool      `json:"intact"`
	}{EventsChecked: sum.Events, HeadSeq: sum.HeadSeq, HeadHash: sum.Head, Problems: []problem{}}
	if cp != nil {
		out.Checkpoint = map[string]any{"seq": cp.Seq, "time": cp.Time.Format(time.RFC3339Nano)}
	}
	for _, p := range sum.Problems {
		out.Problems = append(out.Problems, problem{p.Seq, p.Reason})
	}
	out.Intact = len(sum.Problems) == 0
	if state {
		st, err := svc.VerifyState(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "cordbank audit verify --state:", err)
			return 1
		}
		diffs := []string{}
		for _, d := range st.Differences {
			diffs = append(diffs, formatDifference(d))
		}
		out.State = map[string]any{"events_replayed": st.Events, "resources": st.Resources, "rows": st.Rows, "differences": diffs}
		out.Intact = out.Intact && len(diffs) == 0
	}
	printJSON(stdout, out)
	if !out.Intact {
		return 1
	}
	return 0
}

// formatDifference is one line of a state difference: row, field, the
// values on both sides and why it matters.
func formatDifference(d bank.StateDifference) string {
	s := d.Resource
	if d.Field != "" {
		s += " field " + d.Field
		s += fmt.Sprintf(": trail %s, table %s", orAbsent(d.Trail), orAbsent(d.Table))
	}
	if d.Seq != 0 {
		s += fmt.Sprintf(" (at event %d)", d.Seq)
	}
	return s + ": " + d.Reason
}

func orAbsent(v string) string {
	if v == "" {
		return "(absent)"
	}
	return v
}
