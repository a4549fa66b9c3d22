package bank_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// invalidFields returns the violated fields of err, failing t unless err is
// an invalid-argument *bank.Error. A nil want means err must be errReached
// (the request passed validation).
func invalidFields(t *testing.T, err error) []string {
	t.Helper()
	if errors.Is(err, errReached) {
		return nil
	}
	var be *bank.Error
	if !errors.As(err, &be) || be.Kind != bank.KindInvalid || be.Reason != bank.ReasonInvalidArgument {
		t.Fatalf("err = %v, want an invalid-argument error or success", err)
	}
	return fields(be.Violations)
}

func TestCreateBankRules(t *testing.T) {
	svc := newService()
	for _, tc := range []struct {
		name   string
		mutate func(b *bank.Bank, reqID *string)
		fields []string
	}{
		{"valid", func(*bank.Bank, *string) {}, nil},
		{"id too short", func(b *bank.Bank, _ *string) { b.ID = "ab" }, []string{"bank_id"}},
		{"id upper case", func(b *bank.Bank, _ *string) { b.ID = "Bank-A" }, []string{"bank_id"}},
		{"id starts with digit", func(b *bank.Bank, _ *string) { b.ID = "1bank" }, []string{"bank_id"}},
		{"id ends with hyphen", func(b *bank.Bank, _ *string) { b.ID = "bank-" }, []string{"bank_id"}},
		{"id 64 characters", func(b *bank.Bank, _ *string) { b.ID = "b" + strings.Repeat("a", 63) }, []string{"bank_id"}},
		{"id 63 characters", func(b *bank.Bank, _ *string) { b.ID = "b" + strings.Repeat("a", 62) }, nil},
		{"display name missing", func(b *bank.Bank, _ *string) { b.DisplayName = "" }, []string{"bank.display_name"}},
		{"display name too long", func(b *bank.Bank, _ *string) { b.DisplayName = strings.Repeat("n", 201) }, []string{"bank.display_name"}},
		{"fin missing", func(b *bank.Bank, _ *string) { b.FIN = "" }, []string{"bank.fin"}},
		{"fin starts with O", func(b *bank.Bank, _ *string) { b.FIN = "O1234" }, []string{"bank.fin"}},
		{"fin starts with 0", func(b *bank.Bank, _ *string) { b.FIN = "01234" }, []string{"bank.fin"}},
		{"fin too long", func(b *bank.Bank, _ *string) { b.FIN = "A12345" }, []string{"bank.fin"}},
		{"fin lower case", func(b *bank.Bank, _ *string) { b.FIN = "a1234" }, []string{"bank.fin"}},
		{"fin digit first", func(b *bank.Bank, _ *string) { b.FIN = "91234" }, nil},
		{"country lower case", func(b *bank.Bank, _ *string) { b.Country = "de" }, []string{"bank.country"}},
		{"country alpha-3", func(b *bank.Bank, _ *string) { b.Country = "DEU" }, []string{"bank.country"}},
		{"country missing", func(b *bank.Bank, _ *string) { b.Country = "" }, []string{"bank.country"}},
		{"accreditation unknown", func(b *bank.Bank, _ *string) { b.Accreditations = []bank.Accreditation{"ISO_9001"} }, []string{"bank.accreditations"}},
		{"accreditation twice", func(b *bank.Bank, _ *string) {
			b.Accreditations = []bank.Accreditation{bank.AccreditationAABB, bank.AccreditationJACIE, bank.AccreditationAABB}
		}, []string{"bank.accreditations"}},
		{"no accreditations", func(b *bank.Bank, _ *string) { b.Accreditations = nil }, nil},
		{"request id too long", func(_ *bank.Bank, r *string) { *r = strings.Repeat("r", 129) }, []string{"request_id"}},
		{"request id 128", func(_ *bank.Bank, r *string) { *r = strings.Repeat("r", 128) }, nil},
		{"request id with space", func(_ *bank.Bank, r *string) { *r = "a b" }, []string{"request_id"}},
		{"request id not ascii", func(_ *bank.Bank, r *string) { *r = "réq" }, []string{"request_id"}},
		{"everything wrong", func(b *bank.Bank, r *string) {
			*b = bank.Bank{ID: "X", FIN: "?", Accreditations: []bank.Accreditation{"?"}}
			*r = "\x01"
		}, []string{"bank.accreditations", "bank.country", "bank.display_name", "bank.fin", "bank_id", "request_id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, reqID := banktest.ValidBank("bank-a"), "req-1"
			tc.mutate(b, &reqID)
			_, err := svc.CreateBank(t.Context(), b, reqID)
			if got := invalidFields(t, err); !slices.Equal(got, tc.fields) {
				t.Errorf("violations %v, want %v (err %v)", got, tc.fields, err)
			}
		})
	}
}

func TestListRequestRules(t *testing.T) {
	svc := newService()
	for _, tc := range []struct {
		name   string
		req    bank.ListUnitsRequest
		fields []string
	}{
		{"valid", bank.ListUnitsRequest{Bank: "bank-a", PageSize: 10}, nil},
		{"page size above max is capped", bank.ListUnitsRequest{Bank: "bank-a", PageSize: 5000}, nil},
		{"negative page size", bank.ListUnitsRequest{Bank: "bank-a", PageSize: -1}, []string{"page_size"}},
		{"unknown status", bank.ListUnitsRequest{Bank: "bank-a", Statuses: []lifecycle.Status{lifecycle.StatusAvailable, "GONE"}}, []string{"status"}},
		{"unknown type", bank.ListUnitsRequest{Bank: "bank-a", Types: []bank.UnitType{"PRIVATE"}}, []string{"unit_type"}},
		{"unknown abo", bank.ListUnitsRequest{Bank: "bank-a", ABOs: []bank.ABO{"0"}}, []string{"abo"}},
		{"reversed date range", bank.ListUnitsRequest{Bank: "bank-a",
			CollectedFrom: unit.Date{Year: 2024, Month: 2, Day: 1}, CollectedTo: unit.Date{Year: 2024, Month: 1, Day: 31}}, []string{"collected_before"}},
		{"one-day range", bank.ListUnitsRequest{Bank: "bank-a",
			CollectedFrom: unit.Date{Year: 2024, Month: 2, Day: 1}, CollectedTo: unit.Date{Year: 2024, Month: 2, Day: 1}}, nil},
		{"garbage token", bank.ListUnitsRequest{Bank: "bank-a", PageToken: "%%%"}, []string{"page_token"}},
		{"all wrong", bank.ListUnitsRequest{Bank: "bank-a", PageSize: -5, Statuses: []lifecycle.Status{"?"}, Types: []bank.UnitType{"?"},
			ABOs: []bank.ABO{"?"}, PageToken: "x"}, []string{"abo", "page_size", "page_token", "status", "unit_type"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := svc.ListUnits(t.Context(), tc.req)
			if got := invalidFields(t, err); !slices.Equal(got, tc.fields) {
				t.Errorf("violations %v, want %v (err %v)", got, tc.fields, err)
			}
		})
	}
	_, _, err := svc.ListBanks(t.Context(), -1, "nope")
	if got := invalidFields(t, err); !slices.Equal(got, []string{"page_size", "page_token"}) {
		t.Errorf("ListBanks violations %v, want page_size and page_token", got)
	}
}

// TestUpdateMaskRules: a mask naming an immutable, unknown or no field is
// refused before the store is touched; every mutable path is accepted.
func TestUpdateMaskRules(t *testing.T) {
	svc := newService()
	u := banktest.ValidUnit("bank-a", banktest.DIN("B1234", 24, 1))
	for _, tc := range []struct {
		mask []string
		bad  int // number of update_mask violations
	}{
		{nil, 1},
		{[]string{}, 1},
		{[]string{"", "  "}, 1},
		{[]string{"din"}, 1},
		{[]string{"name"}, 1},
		{[]string{"unit_type"}, 1},
		{[]string{"status"}, 1},
		{[]string{"create_time"}, 1},
		{[]string{"update_time"}, 1},
		{[]string{"etag"}, 1},
		{[]string{"emdis_status"}, 1},
		{[]string{"emdis_reason"}, 1},
		{[]string{"no_such_field"}, 1},
		{[]string{"cells.no_such_count"}, 1},
		{[]string{"Local_ID"}, 1},
		{[]string{"local_id", "status", "bogus"}, 2},
		{[]string{"*", "din"}, 1},
	} {
		_, err := svc.UpdateUnit(t.Context(), u, tc.mask, "")
		var be *bank.Error
		if !errors.As(err, &be) || be.Kind != bank.KindInvalid {
			t.Errorf("mask %q: err = %v, want invalid", tc.mask, err)
			continue
		}
		n := 0
		for _, v := range be.Violations {
			if v.Field == "update_mask" {
				n++
			}
		}
		if n != tc.bad || len(be.Violations) != n {
			t.Errorf("mask %q: violations %v, want %d of update_mask only", tc.mask, be.Violations, tc.bad)
		}
	}
	for _, mask := range [][]string{
		{"*"}, {" local_id "}, {"cells"}, {"cells.viability_percent", "hla"}, {"private.notes", "private"},
		{"local_id", "collection_date", "processing_date", "freeze_date", "processing_method", "reduction",
			"infant_birth_date", "infant_sex", "abo", "rh", "ethnicity", "collection_volume_ml", "frozen_volume_ml",
			"cells.pre_processing_tnc", "cells.post_processing_tnc", "cells.pre_processing_cd34", "cells.post_processing_cd34",
			"cells.cfu", "cells.nucleated_rbc", "bags", "compartments_per_bag", "attached_segments", "idm", "idm_test_date",
			"private.maternal_id", "private.maternal_hla", "private.family_id", "private.directed_recipient"},
	} {
		if _, err := svc.UpdateUnit(t.Context(), u, mask, ""); !errors.Is(err, errReached) {
			t.Errorf("mask %q: err = %v, want it accepted", mask, err)
		}
	}

	b := banktest.ValidBank("bank-a")
	for _, mask := range [][]string{nil, {"id"}, {"create_time"}, {"bogus"}, {"display_name", "version"}} {
		_, err := svc.UpdateBank(t.Context(), b, mask, "")
		if got := invalidFields(t, err); !slices.Equal(got, []string{"update_mask"}) {
			t.Errorf("bank mask %q: violations %v, want update_mask", mask, got)
		}
	}
	for _, mask := range [][]string{{"*"}, {"display_name", "fin", "country", "accreditations"}} {
		if _, err := svc.UpdateBank(t.Context(), b, mask, ""); !errors.Is(err, errReached) {
			t.Errorf("bank mask %q: err = %v, want it accepted", mask, err)
		}
	}
}

func TestEtagDistinguishesVersions(t *testing.T) {
	if bank.Etag(1) == bank.Etag(2) || bank.Etag(7) != bank.Etag(7) || bank.Etag(1) == "" {
		t.Errorf("Etag(1) = %q, Etag(2) = %q: want stable, non-empty, distinct", bank.Etag(1), bank.Etag(2))
	}
}
