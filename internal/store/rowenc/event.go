package rowenc

import (
	"encoding/json"
	"fmt"
	"unsafe"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/jsonenc"
)

// JSONChange is the stored form of a audit.FieldChange; its names are part
// of the schema (and of the hashed encoding, which uses the same names).
type JSONChange struct {
	Field  string
	Before string `json:",omitempty"`
	After  string `json:",omitempty"`
}

// ChangesJSON encodes an event's changes for the changes column, as
// json.Marshal([]JSONChange) would (TestChangesJSONMatchesEncodingJSON)
// but without reflection: an import writes one event per unit, each with
// the unit's whole snapshot to escape.
func ChangesJSON(e *bank.Event) string {
	n := 2
	for _, c := range e.Changes {
		n += len(c.Field) + len(c.Before) + len(c.After) + 48
	}
	b := AppendChangesJSON(make([]byte, 0, n+n/8), e) // room for some escaping
	// b is not used again: share its bytes rather than copy them, as
	// strings.Builder does.
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// AppendChangesJSON appends the changes column of e to b.
func AppendChangesJSON(b []byte, e *bank.Event) []byte {
	b = append(b, '[')
	for i, c := range e.Changes {
		if i > 0 {
			b = append(b, ',')
		}
		o := jsonenc.Begin(b)
		o.String("Field", c.Field)
		o.StringOmitEmpty("Before", c.Before)
		o.StringOmitEmpty("After", c.After)
		b = o.End()
	}
	return append(b, ']')
}

// DecodeChanges sets e.Changes from a stored changes column. A column
// that no longer decodes was altered: it is reported as such (its hash
// check would fail too) rather than hidden.
func DecodeChanges(e *bank.Event, changes string) error {
	var cs []JSONChange
	if err := json.Unmarshal([]byte(changes), &cs); err != nil {
		return bank.Internal(fmt.Errorf("event %d: %w", e.Seq, err), "stored event does not decode")
	}
	for _, c := range cs {
		e.Changes = append(e.Changes, audit.FieldChange(c))
	}
	return nil
}
