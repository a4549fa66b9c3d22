package isbt128_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/isbt128"
	"github.com/cordbank/cordbank/bank/unit"
)

// The published examples: ST-001 v6.2.2 figures 3 (product code), 5
// (container), 6 (donor identification number), 7 (consignment), 8 and 9
// (processing facility, PPIC), ST-012 §6.2 (expiration date and time), and
// the JPAC Red Book worked DIN G123498654321 (check H, Type 3 flag 77).
func TestParsePublishedExamples(t *testing.T) {
	for _, tc := range []struct {
		scan    string
		number  int
		id      string
		content string
	}{
		{"=G12349865432100", 1, "=", "G12349865432100"},
		{"=G12349865432177", 1, "=", "G12349865432177"},
		{"=<S12954A0", 3, "=<", "S12954A0"},
		{"=%5100", 2, "=%", "5100"},
		{"&>0183652359", 5, "&>", "0183652359"},
		{"=)2XX00AB123", 17, "=)", "2XX00AB123"},
		{"=;A99990000222244445555", 19, "=;", "A99990000222244445555"},
		{"=$A999917123450102", 28, "=$", "A999917123450102"},
		{"&+A9999AB3456", 33, "&+", "A9999AB3456"},
		{"=/A9997AB3456T0123", 34, "=/", "A9997AB3456T0123"},
		{"&,10000000000005434RZ", 35, "&,1", "0000000000005434RZ"},
		{"&/CHA99992412345A", 40, "&/", "CHA99992412345A"},
	} {
		s, err := isbt128.Parse(tc.scan)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.scan, err)
			continue
		}
		if len(s.Structures) != 1 {
			t.Errorf("Parse(%q): %d structures, want 1", tc.scan, len(s.Structures))
			continue
		}
		st := s.Structures[0]
		if st.Number != tc.number || st.Identifier != tc.id || st.Content != tc.content || st.Offset != 0 {
			t.Errorf("Parse(%q) = %d %q %q at %d, want %d %q %q at 0", tc.scan, st.Number, st.Identifier, st.Content, st.Offset, tc.number, tc.id, tc.content)
		}
	}
}

func TestParseDecodesTheFieldsOfABagLabel(t *testing.T) {
	// A bag's linear codes read one after another (concatenated, no
	// separator), then the same structures as a compound message.
	linear := "=G12349865432177" + "=<S12954A0" + "=%5100" + "&>0183652359" + "=*024032" + "&*0240321430"
	compound := "=+06000" + linear
	for _, scan := range []string{linear, compound, "]C0" + linear, "]d2" + compound, strings.ReplaceAll(linear, "=<", "\r\n=<")} {
		s, err := isbt128.Parse(scan)
		if err != nil {
			t.Fatalf("Parse(%q): %v", scan, err)
		}
		d := s.Donation()
		if d == nil {
			t.Fatalf("Parse(%q): no DIN", scan)
		}
		if got, want := *d, (isbt128.Donation{DIN: "G123498654321", Flags: "77", CheckChar: 'H'}); got != want {
			t.Errorf("DIN = %+v, want %+v", got, want)
		}
		if got := s.Find(isbt128.ProductCodeStructure).Product; *got != (isbt128.Product{PDC: "S1295", Family: "cellular therapy", CollectionType: '4', Division: "A0"}) {
			t.Errorf("product = %+v", got)
		}
		bg := s.Find(isbt128.BloodGroups).BloodGroup
		if bg.ABO != bank.ABOO || bg.Rh != bank.RhPositive || bg.Use != isbt128.UseNotSpecified {
			t.Errorf("blood group = %+v, want O RhD positive", bg)
		}
		if got, want := s.Find(isbt128.ExpirationDateTime).Time, time.Date(2018, 12, 31, 23, 59, 0, 0, time.UTC); !got.Equal(want) {
			t.Errorf("expiration = %v, want %v", got, want)
		}
		if got, want := s.Find(isbt128.CollectionDate).Time, time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
			t.Errorf("collection date = %v, want %v", got, want)
		}
		if got, want := s.Find(isbt128.CollectionDateTime).Time, time.Date(2024, 2, 1, 14, 30, 0, 0, time.UTC); !got.Equal(want) {
			t.Errorf("collection date and time = %v, want %v", got, want)
		}
	}
}

func TestParseCompoundHeader(t *testing.T) {
	s, err := isbt128.Parse("=+02000=G12349865432100=%6200")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Structures[0].Compound; *got != (isbt128.Compound{Count: 2, Message: "000"}) {
		t.Errorf("compound = %+v", got)
	}
	if got := s.Structures[2].Offset; got != 23 {
		t.Errorf("blood group offset = %d, want 23", got)
	}
}

func TestParseOtherStructures(t *testing.T) {
	for _, tc := range []struct {
		scan   string
		number int
		time   time.Time
	}{
		{"=>024366", isbt128.ExpirationDate, time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"=}998200", isbt128.ProductionDate, time.Date(1998, 7, 19, 0, 0, 0, 0, time.UTC)},
		{"&}0240010000", isbt128.ProductionDateTime, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"=#0120240229", isbt128.PatientDateOfBirth, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"=]203012", isbt128.ExpirationMonthYear, time.Date(2030, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"=(1001202403150830", isbt128.FlexibleDateTime, time.Date(2024, 3, 15, 8, 30, 0, 0, time.UTC)},
		{"&#0108AB12CD34", 25, time.Time{}},
		{"&$0101000100250100", 29, time.Time{}},
		{"&%002" + "0040010101" + "0040020201", 30, time.Time{}},
		{"&:1234ABC4567890123" + "07", isbt128.GlobalRegistrationIdentifier, time.Time{}},
		{"&,4" + strings.Repeat("Ab1", 13) + "Z", 38, time.Time{}},
		{"=,AABBCC", isbt128.ProductDivisions, time.Time{}},
		{"={" + strings.Repeat("0", 18), 11, time.Time{}},
	} {
		s, err := isbt128.Parse(tc.scan)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.scan, err)
			continue
		}
		st := s.Structures[0]
		if st.Number != tc.number || !st.Time.Equal(tc.time) || len(s.Structures) != 1 {
			t.Errorf("Parse(%q) = structure %d at %v (%d structures), want %d at %v", tc.scan, st.Number, st.Time, len(s.Structures), tc.number, tc.time)
		}
		if (st.Number == 11) != st.Retired {
			t.Errorf("Parse(%q): retired = %v", tc.scan, st.Retired)
		}
	}
}

func TestParseNationalStructureRunsToSeparator(t *testing.T) {
	s, err := isbt128.Parse("=G12349865432100&aXYZ-123 =%5100")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Structures) != 3 || !s.Structures[1].National || s.Structures[1].Content != "XYZ-123" || s.Structures[2].Number != 2 {
		t.Errorf("structures = %+v", s.Structures)
	}
}

func TestParseErrorsNameStructureAndOffset(t *testing.T) {
	for _, tc := range []struct {
		scan      string
		offset    int
		structure string
		problem   string
	}{
		{"", 0, "", "empty"},
		{"G12349865432100", 0, "", "expected a data identifier"},
		{"=G12349865432100=<S1295", 18, "Product Code [003]", "needs 8 characters"},
		{"=G12349865432100=<s12954A0", 18, "Product Code [003]", "character 1 must be an upper-case letter"},
		{"=G12349865432178", 14, "Donation Identification Number [001]", "type 3 flag 78"},
		{"=O12349865432100", 0, "", `unknown data identifier "=O"`},
		{"=G1234986543210A", 14, "Donation Identification Number [001]", "flags"},
		{"=G12349865432A00", 13, "Donation Identification Number [001]", "character 13 must be a digit"},
		{"=%5100=~12", 6, "", `unknown data identifier "=~"`},
		{"&,9123", 0, "", `unknown data identifier "&,9"`},
		{"&,", 0, "", "third character"},
		{"=", 0, "", "cut short"},
		{"=*024400", 2, "Collection Date [006]", "day of year 400"},
		{"=*124001", 2, "Collection Date [006]", "century digit"},
		{"&*0240012460", 2, "Collection Date and Time [007]", "time 2460"},
		{"=#0120230229", 4, "Patient Date of Birth [024]", "2023-02-29 is not a date"},
		{"=+00000", 2, "Compound Message [023]", "announces 0"},
		{"=+03000=G12349865432100=%5100", 0, "Compound Message [023]", "announces 3 data structures but 2 follow"},
		{"=+01000=G12349865432100=%5100", 0, "Compound Message [023]", "another follows directly at offset 23"},
		{"=+02000=G12349865432100 =%5100", 0, "Compound Message [023]", "but 1 follow"},
		{"=+02000=G12349865432100&a123", 23, "non-ICCBBA structure &a", "not allowed in a compound message"},
		{"=+02000=+01000=%5100", 7, "Compound Message [023]", "cannot hold another"},
		{"&#0100", 4, "Patient Identification Number [025]", "length ll is 00"},
		{"&#0105AB", 2, "Patient Identification Number [025]", "needs 9 characters"},
		{"&$02" + strings.Repeat("0", 14), 2, "Dimensions [029]", "needs 30 characters"},
		{"=G12349865432100\u00e9", 16, "", "non-ASCII"},
		{strings.Repeat("=%5100", 1000), 4096, "", "longer than any ISBT 128 scan"},
	} {
		_, err := isbt128.Parse(tc.scan)
		var e *isbt128.Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want an *isbt128.Error", tc.scan, err)
			continue
		}
		if e.Offset != tc.offset || e.Structure != tc.structure || !strings.Contains(e.Problem, tc.problem) {
			t.Errorf("Parse(%q) = %q (offset %d, structure %q), want offset %d, structure %q, problem with %q",
				tc.scan, e.Error(), e.Offset, e.Structure, tc.offset, tc.structure, tc.problem)
		}
	}
}

func TestEncodersParseBack(t *testing.T) {
	din := unit.DIN("G123498654321")
	bg, ok := isbt128.EncodeBloodGroup(bank.ABOAB, bank.RhNegative, isbt128.UseAutologousOnly)
	if !ok {
		t.Fatal("no code for AB negative, autologous")
	}
	pc, err := isbt128.EncodeProduct("S1234", isbt128.CollectionTypeOf(bank.UnitTypeAutologous), "00")
	if err != nil {
		t.Fatal(err)
	}
	old, err := isbt128.EncodeDate("=*", time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	scan := isbt128.EncodeCompound(isbt128.EncodeDIN(din, isbt128.Type3Flags(din)), bg, pc, old)
	s, err := isbt128.Parse(scan)
	if err != nil {
		t.Fatalf("Parse(%q): %v", scan, err)
	}
	got := []any{s.Donation().DIN, s.Donation().Flags, s.Find(2).BloodGroup.ABO, s.Find(2).BloodGroup.Rh, s.Find(2).BloodGroup.Use,
		s.Find(3).Product.Code(), s.Find(6).Time.Format(time.DateOnly)}
	want := []any{din, "77", bank.ABOAB, bank.RhNegative, isbt128.UseAutologousOnly, "S1234100", "1999-12-31"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for k, want := range map[int]string{1: "01", 4: "04", 5: "15", 9: "19", 0: "00", 10: "00"} {
		if got := isbt128.ContainerFlags(k); got != want {
			t.Errorf("ContainerFlags(%d) = %q, want %q", k, got, want)
		}
		if k >= 1 && k <= 9 && isbt128.FlagMeaning(want) != "container "+string(rune('0'+k))+" of a set" {
			t.Errorf("FlagMeaning(%q) = %q", want, isbt128.FlagMeaning(want))
		}
	}
	if _, err := isbt128.EncodeProduct("s1234", 'V', "00"); err == nil {
		t.Error("EncodeProduct accepted a lower-case PDC")
	}
}
