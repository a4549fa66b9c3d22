package server

import (
	"strings"
	"testing"
)

func TestParseUnitName(t *testing.T) {
	tests := []struct {
		in, bank, din, err string
	}{
		{in: "banks/nybc/units/G123498654321", bank: "nybc", din: "G123498654321"},
		{in: "banks/nybc/units/G1234 98 654321 H", bank: "nybc", din: "G123498654321"},
		{in: "banks/nybc/units/G1234%2098%20654321", bank: "nybc", din: "G123498654321"},
		{in: "banks/nybc/units/G123498654321J", err: "does not match"},
		{in: "banks/NYBC/units/G123498654321", err: "not a valid bank id"},
		{in: "banks/nybc/units", err: "not a unit name"},
		{in: "banks/nybc/donors/G123498654321", err: "not a unit name"},
		{in: "", err: "not a unit name"},
	}
	for _, tt := range tests {
		b, d, err := parseUnitName(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseUnitName(%q) = %q, %q, %v; want error %q", tt.in, b, d, err, tt.err)
			}
			continue
		}
		if err != nil || b != tt.bank || string(d) != tt.din {
			t.Errorf("parseUnitName(%q) = %q, %q, %v", tt.in, b, d, err)
		}
	}
}

func FuzzParseNames(f *testing.F) {
	for _, s := range []string{"banks/nybc", "banks/nybc/units/G123498654321", "banks//units/x", "banks/a-b/units/%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if id, err := parseBankName(name); err == nil && bankName(id) != name {
			t.Fatalf("bank name %q parsed to %q", name, id)
		}
		if id, din, err := parseUnitName(name); err == nil {
			again := bankName(id) + "/units/" + string(din)
			if id2, din2, err := parseUnitName(again); err != nil || id2 != id || din2 != din {
				t.Fatalf("unit name %q: formatted %q does not parse back", name, again)
			}
		}
	})
}
