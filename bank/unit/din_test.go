package unit

import (
	"strings"
	"testing"
)

func TestDINCheckCharacterPublishedExample(t *testing.T) {
	// domain.md §1.2: G123498654321 -> checksum 17, eye-readable H, flag 77.
	d := DIN("G123498654321")
	if got := checksum(string(d)); got != 17 {
		t.Fatalf("checksum = %d, want 17", got)
	}
	if got := d.CheckChar(); got != 'H' {
		t.Fatalf("check char = %c, want H", got)
	}
	if got := d.Formatted(); got != "G1234 98 654321 [H]" {
		t.Fatalf("Formatted = %q", got)
	}
}

// weightedChecksum is the published positional form (powers of two from the
// right); the implementation uses the streaming form. They must agree.
func weightedChecksum(s string) int {
	sum, w := 0, 2
	for i := len(s) - 1; i >= 0; i-- {
		sum += mod37Value(s[i]) * w
		w *= 2
	}
	return (38 - sum%37) % 37
}

func TestChecksumFormsAgree(t *testing.T) {
	for _, s := range []string{"G123498654321", "A999926000001", "W000012345678", "Z999999999999", "1000000000000", "B123420000007"} {
		if a, b := checksum(s), weightedChecksum(s); a != b {
			t.Errorf("%s: streaming %d, weighted %d", s, a, b)
		}
	}
}

func TestParseDIN(t *testing.T) {
	tests := []struct {
		in      string
		want    DIN
		wantErr string
	}{
		{in: "G123498654321", want: "G123498654321"},
		{in: "G1234 98 654321", want: "G123498654321"},
		{in: "g1234 98 654321 h", want: "G123498654321"},
		{in: "G1234 98 654321 [H]", want: "G123498654321"},
		{in: "=G12349865432100", want: "G123498654321"},
		{in: "G12349865432177", want: "G123498654321"},  // type 3 flag = 60+17
		{in: "G12349865432100H", want: "G123498654321"}, // flags + check
		{in: "G1234-98-654321", want: "G123498654321"},
		{in: "G123498654321J", wantErr: "does not match"},
		{in: "G12349865432178", wantErr: "type 3 flag"},
		{in: "G12349865432100X", wantErr: "does not match"},
		{in: "O123498654321", wantErr: "must start with"},
		{in: "0123498654321", wantErr: "must start with"},
		{in: "GA23498654321", wantErr: "characters 2-5"},
		{in: "G1234986543A1", wantErr: "characters 6-13"},
		{in: "G12349865432", wantErr: "too short"},
		{in: "", wantErr: "too short"},
		{in: "G1234986543210000", wantErr: "at most 2 flag"},
		{in: "G123498654321AB", wantErr: "two digits"},
		{in: "G12349865432é", wantErr: "unexpected character"},
	}
	for _, tt := range tests {
		got, err := ParseDIN(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseDIN(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDIN(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseDINCheckCharStar(t *testing.T) {
	// Find a DIN whose check value is 36 and make sure '*' is accepted.
	for n := 0; n < 100000; n++ {
		s := "A9999" + "26" + strings.Repeat("0", 6-len(itoa(n))) + itoa(n)
		if checksum(s) == 36 {
			if _, err := ParseDIN(s + "*"); err != nil {
				t.Fatalf("ParseDIN(%s*): %v", s, err)
			}
			if _, err := ParseDIN(s + "A"); err == nil {
				t.Fatalf("ParseDIN(%sA) accepted a wrong check character", s)
			}
			return
		}
	}
	t.Fatal("no DIN with check value 36 found")
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func FuzzParseDIN(f *testing.F) {
	for _, s := range []string{"G123498654321", "G1234 98 654321 [H]", "=G12349865432177", "A999926000001*", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ParseDIN(in)
		if err != nil {
			return
		}
		if len(d) != 13 {
			t.Fatalf("ParseDIN(%q) = %q: not 13 characters", in, d)
		}
		// A normalized DIN, with or without its own check character, parses
		// back to itself.
		for _, again := range []string{string(d), string(d) + string(d.CheckChar()), d.Formatted()} {
			d2, err := ParseDIN(again)
			if err != nil || d2 != d {
				t.Fatalf("round trip of %q via %q = %q, %v", d, again, d2, err)
			}
		}
	})
}
