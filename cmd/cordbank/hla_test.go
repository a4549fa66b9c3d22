package main

import (
	"bytes"
	"strings"
	"testing"
)

const hlaFixture = "../../bank/hla/testdata/imgt-mini"

func runHLAText(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	if stdin != "" {
		old := hlaStdin
		hlaStdin = strings.NewReader(stdin)
		defer func() { hlaStdin = old }()
	}
	var out, errOut bytes.Buffer
	code := runHLA(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHLACLI(t *testing.T) {
	t.Setenv("CORDBANK_HLA_DATA", "")
	tests := []struct {
		args     []string
		stdin    string
		code     int
		contains string
	}{
		{[]string{"reduce", "--to", "g", "--hla-data", hlaFixture, "A*01:01:01:01+A*02:01:02"}, "", 0, "A*01:01:01G+A*02:01:01G\n"},
		{[]string{"reduce", "--to", "lgx", "A*01:01:01:01"}, "", 0, "A*01:01\n"},
		{[]string{"reduce", "--to", "lgx", "--mac", hlaFixture + "/../mac-mini.txt", "--hla-data", hlaFixture, "A*01:AB"}, "", 0, "A*01:01/A*01:02\n"},
		{[]string{"reduce", "--to", "x", "A*01:01"}, "", 2, ""},
		{[]string{"reduce", "--to", "g"}, "", 2, ""},
		{[]string{"check", "--hla-data", hlaFixture, "A*01:01/02+A*0105N"}, "", 1, "current name A*01:04N"},
		{[]string{"check", "--hla-data", hlaFixture, "A*01:01+A*02:XX"}, "", 0, "flags: ambiguous,xx"},
		{[]string{"check", "A*01:01+Z*02:01"}, "", 1, "unknown locus"},
		{[]string{"release", "--hla-data", hlaFixture}, "", 0, "9.0.0\n"},
		{[]string{"release"}, "", 2, ""},
		{[]string{"diff", "--old", hlaFixture, "--new", hlaFixture + "/../imgt-mini-next"}, "A*02:55+A*24:03\n\nA*01:01\n", 0, "A*02:55+A*24:03\tg\tA*02:55+A*24:03\tA*02:01:01G+A*24:03\n"},
		{[]string{"bogus"}, "", 2, ""},
	}
	for _, tt := range tests {
		code, out, _ := runHLAText(t, tt.stdin, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.contains) {
			t.Errorf("cordbank hla %s: exit %d, output %q; want exit %d and %q", strings.Join(tt.args, " "), code, out, tt.code, tt.contains)
		}
	}
}
