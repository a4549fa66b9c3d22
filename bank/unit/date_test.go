package unit

import (
	"fmt"
	"testing"
	"time"
)

func TestDateStringMatchesFmt(t *testing.T) {
	for _, d := range []Date{
		{2024, time.March, 7}, {1, time.January, 1}, {9999, time.December, 31}, {987, time.October, 10},
		{10000, time.January, 1}, {-1, time.January, 1}, {2024, 13, 1}, {2024, 1, 100}, {2024, 0, 5},
	} {
		if got, want := d.String(), fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day); got != want {
			t.Errorf("%#v: %q, want %q", d, got, want)
		}
	}
	if got := (Date{}).String(); got != "" {
		t.Errorf("zero date: %q", got)
	}
}

func FuzzDateRoundTrip(f *testing.F) {
	f.Add("2024-03-17")
	f.Add("0001-01-01")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if got := d.String(); got != s {
			t.Fatalf("ParseDate(%q).String() = %q", s, got)
		}
	})
}
