package rowenc

import (
	"encoding/json"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
)

func TestChangesJSONMatchesEncodingJSON(t *testing.T) {
	for _, cs := range [][]audit.FieldChange{
		nil,
		{{Field: "*", After: `{"din":"W1","notes":"a \"quoted\" <b>\n"}`}},
		{{Field: "local_id", Before: `"CB-1"`, After: `"CB-2"`}, {Field: "ethnicity"}, {Field: "private.notes", Before: "\xff\u2028"}},
	} {
		js := make([]JSONChange, len(cs))
		for i, c := range cs {
			js[i] = JSONChange(c)
		}
		want, _ := json.Marshal(js)
		if got := ChangesJSON(&bank.Event{Changes: cs}); got != string(want) {
			t.Errorf("ChangesJSON(%q) =\n %s\nwant\n %s", cs, got, want)
		}
	}
}
