package bank

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// LabelKind is what a label goes on.
type LabelKind string

// Label kinds; wire enum cordbank.v1.LabelKind (LABEL_KIND_ + value).
const (
	LabelBag     LabelKind = "BAG"     // the bag (one per bag of the unit)
	LabelSegment LabelKind = "SEGMENT" // an attached segment of a bag
)

// LabelRequest asks for one label of a unit.
type LabelRequest struct {
	Bank string
	DIN  unit.DIN
	Kind LabelKind
	// Bag is which bag of the unit, from 1; 0 means 1.
	Bag int
	// Format is the file format asked for (ZPL, PNG, PDF), recorded in
	// the audit event.
	Format string
	// Reprint asks for another copy of a label already issued; it needs
	// access.ReprintLabel and a Reason.
	Reprint bool
	Reason  string
	// RequestID, when set, makes the call idempotent: a retry with the
	// same id and content returns the copy the first call issued (the same
	// copy number) and records nothing; other content under it is
	// KindInvalid, ReasonRequestIDReused.
	RequestID string
}

// LabelIssue is a label the trail has recorded as issued: the unit and its
// bank to print from, and which copy this is.
type LabelIssue struct {
	Unit *Unit
	Bank *Bank
	Kind LabelKind
	Bag  int
	// Copy is 1 for the first print, n for the (n-1)th reprint.
	Copy int
}

// Check records what is wrong with r in v: the kind, the bag, the reason.
// A transport adds its own fields' problems to the same v, so one answer
// names every bad field.
func (r LabelRequest) Check(v *Violations) {
	validRequestID(v, r.RequestID)
	if r.Kind != LabelBag && r.Kind != LabelSegment {
		v.Add("kind", "label kind %q is not BAG or SEGMENT", r.Kind)
	}
	if r.Bag < 0 {
		v.Add("bag", "bag %d is not a bag number (1 for the first bag)", r.Bag)
	}
	if r.Reprint && strings.TrimSpace(r.Reason) == "" {
		v.Add("reason", "a reprint needs a reason (the label it replaces and why)")
	}
	if len(r.Reason) > 2000 {
		v.Add("reason", "reason is %d characters; at most 2000", len(r.Reason))
	}
}

// labelField is the audit field that counts the copies of one label:
// "label.bag_1", "label.segment_2". Units have no such field, so a replay
// of the unit's trail passes over it.
func labelField(kind LabelKind, bag int) string {
	if kind == LabelSegment {
		return "label.segment_" + strconv.Itoa(bag)
	}
	return "label.bag_" + strconv.Itoa(bag)
}

// IssueLabel records the issue of a label in the unit's chain of custody
// (method PrintLabel, or ReprintLabel for a later copy) and returns what
// to print. A first print needs access.PrintLabel; a reprint needs
// access.ReprintLabel and a reason. Asking to print a label already
// issued, or to reprint one never issued, is KindFailedPrecondition: the
// caller sees which copy exists rather than getting a silent duplicate.
// The label must be rendered from the returned issue only after this
// returns, so that a refused request prints nothing.
func (s *Service) IssueLabel(ctx context.Context, r LabelRequest) (*LabelIssue, error) {
	action, method := access.PrintLabel, "PrintLabel"
	if r.Reprint {
		action, method = access.ReprintLabel, "ReprintLabel"
	}
	if err := authorize(ctx, action, r.Bank, false); err != nil {
		return nil, err
	}
	var v Violations
	r.Check(&v)
	if err := v.Err("invalid label request"); err != nil {
		return nil, err
	}
	bag := max(r.Bag, 1)
	fp := fingerprint(r.RequestID, method, r)
	var out *LabelIssue
	err := s.store.Write(ctx, func(tx Tx) error {
		u, err := visibleUnit(ctx, tx, r.Bank, r.DIN)
		if err != nil {
			return err
		}
		if u.Status == lifecycle.StatusDiscarded || u.Status == lifecycle.StatusInfused {
			// The product no longer exists: a label now could only
			// give some other bag its identity.
			return NewError(KindFailedPrecondition, ReasonFailedPrecondition,
				fmt.Sprintf("%s is %s: no label is printed for a product that no longer exists", u.Name(), u.Status),
				"name", u.Name(), "status", string(u.Status))
		}
		if bags := max(u.Bags, 1); bag > bags {
			return fieldError(ReasonInvalidArgument, "bag", fmt.Sprintf("%s has %d bag(s); there is no bag %d", u.Name(), bags, bag), "name", u.Name())
		}
		b, err := tx.GetBank(ctx, r.Bank)
		if err != nil {
			return err
		}
		field := labelField(r.Kind, bag)
		if name, err := replay(ctx, tx, r.RequestID, method, fp); err != nil {
			return err
		} else if name != "" {
			n, _ := strconv.Atoi(name[strings.LastIndexByte(name, '/')+1:])
			out = &LabelIssue{Unit: u, Bank: b, Kind: r.Kind, Bag: bag, Copy: n}
			return nil
		}
		copies, err := labelCopies(ctx, tx, u.Name(), field)
		if err != nil {
			return err
		}
		switch {
		case !r.Reprint && copies > 0:
			return NewError(KindFailedPrecondition, ReasonFailedPrecondition,
				fmt.Sprintf("the %s label of bag %d of %s was printed already (copies so far: %d): a further copy is a reprint, which needs a manager and a reason", r.Kind, bag, u.Name(), copies),
				"name", u.Name(), "copies", strconv.Itoa(copies))
		case r.Reprint && copies == 0:
			return NewError(KindFailedPrecondition, ReasonFailedPrecondition,
				fmt.Sprintf("the %s label of bag %d of %s was never printed: print it first", r.Kind, bag, u.Name()),
				"name", u.Name())
		}
		changes := []audit.FieldChange{
			{Field: field, Before: countJSON(copies), After: countJSON(copies + 1)},
			{Field: "label.format", After: jsonString(r.Format)},
		}
		if r.Reason != "" {
			changes = append(changes, audit.FieldChange{Field: "label.reason", After: jsonString(r.Reason)})
		}
		now := s.now().UTC()
		if err := s.newChain(ctx, tx, now).record(method, u.Name(), u.Bank, "", changes); err != nil {
			return err
		}
		if r.RequestID != "" {
			// The copy is the request's resource: a replay returns it.
			copyName := fmt.Sprintf("%s/labels/%s/copies/%d", u.Name(), strings.TrimPrefix(field, "label."), copies+1)
			if err := tx.PutRequest(ctx, &RequestRecord{ID: r.RequestID, Method: method, Fingerprint: fp, Resource: copyName, CreateTime: now}); err != nil {
				return err
			}
		}
		out = &LabelIssue{Unit: u, Bank: b, Kind: r.Kind, Bag: bag, Copy: copies + 1}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// jsonString is s as a JSON string, as change values are recorded.
func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

func countJSON(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// labelCopies counts the copies of one label the unit's trail records.
func labelCopies(ctx context.Context, tx ReadTx, unit, field string) (int, error) {
	n := 0
	q := EventQuery{Resource: unit, Methods: []string{"PrintLabel", "ReprintLabel"}, Limit: 500}
	for {
		evs, err := tx.ListEvents(ctx, q)
		if err != nil {
			return 0, err
		}
		for _, e := range evs {
			for _, c := range e.Changes {
				if c.Field == field {
					n++
				}
			}
		}
		if len(evs) < q.Limit {
			return n, nil
		}
		q.AfterSeq = evs[len(evs)-1].Seq
	}
}
