package lifecycle_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cordbank/cordbank/bank/lifecycle"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestReservationOpenAndDue(t *testing.T) {
	open := map[lifecycle.ReservationStatus]bool{lifecycle.ReservationActive: true, lifecycle.ReservationShipmentRequested: true,
		lifecycle.ReservationReleased: false, lifecycle.ReservationExpired: false, lifecycle.ReservationCancelled: false,
		lifecycle.ReservationFulfilled: false}
	for st, want := range open {
		if st.Open() != want {
			t.Errorf("%s.Open() = %v", st, st.Open())
		}
		// Only an ACTIVE hold lapses by itself, at its expiry or later.
		for _, expire := range []time.Time{now.Add(-time.Second), now, now.Add(time.Second)} {
			want := st == lifecycle.ReservationActive && !expire.After(now)
			if got := lifecycle.Due(st, expire, now); got != want {
				t.Errorf("Due(%s, now%+v) = %v", st, expire.Sub(now), got)
			}
		}
	}
}

func TestCheckExpiry(t *testing.T) {
	for _, tc := range []struct {
		what   string
		expire time.Time
		bad    bool
	}{
		{"a week ahead", now.Add(7 * 24 * time.Hour), false},
		{"the longest hold", now.Add(lifecycle.MaxHold), false},
		{"longer than the longest hold", now.Add(lifecycle.MaxHold + time.Second), true},
		{"now", now, true},
		{"past", now.Add(-time.Hour), true},
		{"none", time.Time{}, true},
	} {
		var v violations
		lifecycle.CheckExpiry(&v, "expire_time", tc.expire, now)
		if (len(v.fields) > 0) != tc.bad || (tc.bad && v.fields[0] != "expire_time") {
			t.Errorf("%s: violations %v %v", tc.what, v.fields, v.texts)
		}
	}
	var v violations
	lifecycle.CheckExtension(&v, "expire_time", now, now)
	lifecycle.CheckExtension(&v, "expire_time", now.Add(time.Second), now)
	if len(v.fields) != 1 {
		t.Errorf("an extension to the same expiry and one later: violations %v", v.texts)
	}
}

func TestCheckReservable(t *testing.T) {
	public := lifecycle.Candidate{Status: lifecycle.StatusAvailable}
	for _, tc := range []struct {
		what    string
		c       lifecycle.Candidate
		patient string
		ok      bool
	}{
		{"available public unit", public, "P1", true},
		{"reserved public unit", lifecycle.Candidate{Status: lifecycle.StatusReserved}, "P1", false},
		{"quarantined public unit", lifecycle.Candidate{Status: lifecycle.StatusQuarantine}, "P1", false},
		{"autologous unit", lifecycle.Candidate{Status: lifecycle.StatusAvailable, Autologous: true}, "P1", false},
		{"directed unit, its recipient", lifecycle.Candidate{Status: lifecycle.StatusAvailable, Directed: true, DirectedRecipient: "P1"}, "P1", true},
		{"directed unit, another patient", lifecycle.Candidate{Status: lifecycle.StatusAvailable, Directed: true, DirectedRecipient: "P1"}, "P2", false},
	} {
		err := tc.c.CheckReservable(tc.patient)
		if tc.ok {
			if err != nil {
				t.Errorf("%s: refused: %v", tc.what, err)
			}
			continue
		}
		r := refused(t, err, lifecycle.RuleNotReservable)
		if diff := cmp.Diff([]string{"status", string(tc.c.Status)}, r.Metadata); diff != "" {
			t.Errorf("%s: metadata (-want +got):\n%s", tc.what, diff)
		}
	}
}

// TestCheckChange: which change an open hold allows, by its status and
// confirmatory typing; a closed one allows none.
func TestCheckChange(t *testing.T) {
	actions := []lifecycle.ReservationAction{lifecycle.ReservationExtend, lifecycle.ReservationRelease,
		lifecycle.ReservationRequestTyping, lifecycle.ReservationRecordTyping, lifecycle.ReservationRequestShipment}
	allowed := func(a lifecycle.ReservationAction, st lifecycle.ReservationStatus, ct lifecycle.CTStatus) bool {
		switch {
		case !st.Open():
			return false
		case a == lifecycle.ReservationRequestTyping:
			return st == lifecycle.ReservationActive && (ct == lifecycle.CTNotRequested || ct == lifecycle.CTDiscrepant)
		case a == lifecycle.ReservationRecordTyping:
			return ct == lifecycle.CTRequested
		case a == lifecycle.ReservationRequestShipment:
			return st == lifecycle.ReservationActive
		}
		return true
	}
	statuses := []lifecycle.ReservationStatus{lifecycle.ReservationActive, lifecycle.ReservationShipmentRequested,
		lifecycle.ReservationReleased, lifecycle.ReservationExpired, lifecycle.ReservationCancelled, lifecycle.ReservationFulfilled}
	cts := []lifecycle.CTStatus{lifecycle.CTNotRequested, lifecycle.CTRequested, lifecycle.CTComplete, lifecycle.CTDiscrepant}
	methods := map[string]bool{}
	for _, a := range actions {
		m, ok := a.Method()
		if !ok || m == "" || methods[m] {
			t.Errorf("%s.Method() = %q, %v", a, m, ok)
		}
		methods[m] = true
		for _, st := range statuses {
			for _, ct := range cts {
				err := lifecycle.CheckChange(a, st, ct)
				if allowed(a, st, ct) {
					if err != nil {
						t.Errorf("%s of %s (CT %q) refused: %v", a, st, ct, err)
					}
					continue
				}
				r := refused(t, err, lifecycle.RuleIllegalReservationChange)
				if diff := cmp.Diff([]string{"status", string(st), "action", string(a)}, r.Metadata); diff != "" {
					t.Errorf("%s of %s: metadata (-want +got):\n%s", a, st, diff)
				}
			}
		}
	}
	if _, ok := lifecycle.ReservationAction("cancel").Method(); ok {
		t.Error("an unknown reservation action has a method")
	}
}

// TestClosing: a unit leaving a hold fulfils it by shipping and cancels it
// by any other disposition; a unit that was not held, or kept its status,
// closes nothing.
func TestClosing(t *testing.T) {
	for _, before := range lifecycle.Statuses() {
		for _, after := range lifecycle.Statuses() {
			st, why, ok := lifecycle.Closing(before, after)
			wantOK := before.Held() && after != before
			if ok != wantOK {
				t.Errorf("Closing(%s, %s) closes = %v", before, after, ok)
				continue
			}
			switch {
			case !ok:
			case after == lifecycle.StatusShipped:
				if st != lifecycle.ReservationFulfilled || why != "the unit shipped" {
					t.Errorf("Closing(%s, SHIPPED) = %s %q", before, st, why)
				}
			case st != lifecycle.ReservationCancelled || why == "":
				t.Errorf("Closing(%s, %s) = %s %q", before, after, st, why)
			}
		}
	}
	if _, why, _ := lifecycle.Closing(lifecycle.StatusReserved, lifecycle.StatusDiscarded); why != "the unit was discarded" {
		t.Errorf("a discard's end reason %q", why)
	}
}

func TestNewReservationID(t *testing.T) {
	a, b := lifecycle.NewReservationID(), lifecycle.NewReservationID()
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(a) || a == b {
		t.Errorf("ids %q, %q", a, b)
	}
	if diff := cmp.Diff([]string{"A", "B", "DRB1"}, lifecycle.ConfirmatoryLoci()); diff != "" {
		t.Errorf("confirmatory loci (-want +got):\n%s", diff)
	}
}
