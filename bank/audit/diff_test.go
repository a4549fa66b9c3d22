package audit_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cordbank/cordbank/bank/audit"
)

// day encodes itself as one JSON value, as unit.Date does.
type day struct{ Y, M, D int }

func (d day) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Date(d.Y, time.Month(d.M), d.D, 0, 0, 0, 0, time.UTC).Format(time.DateOnly) + `"`), nil
}

type inner struct {
	ViabilityPercent float64
	TNC              int64 `json:"tnc,omitempty"`
}

type record struct {
	DIN        string `json:"din"`
	HLARelease string
	Cells      inner
	Private    *inner
	Typing     []string
	Until      day
	When       time.Time
	Version    int64
	UpdateTime time.Time
	CreateTime time.Time `json:"create_time"`
	hidden     string
}

// TestDiff: leaves under their JSON or snake_case paths, structs walked
// into, dates and times and slices whole, nil pointers and zero values as
// "", bookkeeping and unexported fields left out, sorted by field.
func TestDiff(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	before := &record{DIN: "W1", HLARelease: "3.60.0", Cells: inner{ViabilityPercent: 90}, Typing: []string{"A*01:01"},
		Version: 1, UpdateTime: at, CreateTime: at, hidden: "x"}
	after := &record{DIN: "W1", HLARelease: "3.61.0", Cells: inner{ViabilityPercent: 90, TNC: 12}, Private: &inner{TNC: 3},
		Typing: []string{"A*01:01", "A*02:01"}, Until: day{2026, 4, 2}, When: at,
		Version: 2, UpdateTime: at.Add(time.Hour), CreateTime: at.Add(time.Hour), hidden: "y"}
	want := []audit.FieldChange{
		{Field: "cells.tnc", Before: "", After: "12"},
		{Field: "hla_release", Before: `"3.60.0"`, After: `"3.61.0"`},
		{Field: "private.tnc", Before: "", After: "3"},
		{Field: "typing", Before: `["A*01:01"]`, After: `["A*01:01","A*02:01"]`},
		{Field: "until", Before: "", After: `"2026-04-02"`},
		{Field: "when", Before: "", After: `"2026-03-01T12:00:00Z"`},
	}
	// A nil pointer is "" under its own path, which the struct it becomes
	// does not write: only its leaves are changes.
	got := audit.Diff(before, after)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
	if got := audit.Diff(before, before); len(got) != 0 {
		t.Errorf("a value differs from itself: %v", got)
	}
}

func TestFieldNamesAndLeaves(t *testing.T) {
	typ := reflect.TypeFor[record]()
	for field, want := range map[string]string{"DIN": "din", "HLARelease": "hla_release", "Cells": "cells",
		"UpdateTime": "update_time", "CreateTime": "create_time"} {
		f, _ := typ.FieldByName(field)
		if got := audit.FieldName(f); got != want {
			t.Errorf("FieldName(%s) = %q, want %q", field, got, want)
		}
	}
	f, _ := reflect.TypeFor[inner]().FieldByName("ViabilityPercent")
	if got := audit.FieldName(f); got != "viability_percent" {
		t.Errorf("FieldName(ViabilityPercent) = %q", got)
	}
	for _, tc := range []struct {
		t    reflect.Type
		leaf bool
	}{
		{reflect.TypeFor[time.Time](), true}, {reflect.TypeFor[day](), true}, {reflect.TypeFor[string](), true},
		{reflect.TypeFor[[]inner](), true}, {reflect.TypeFor[inner](), false}, {reflect.TypeFor[record](), false},
	} {
		if audit.Leaf(tc.t) != tc.leaf {
			t.Errorf("Leaf(%s) = %v", tc.t, !tc.leaf)
		}
	}
	for name, want := range map[string]bool{"version": true, "update_time": true, "create_time": true, "status_time": false} {
		if audit.Bookkeeping(name) != want {
			t.Errorf("Bookkeeping(%s) = %v", name, !want)
		}
	}
}
