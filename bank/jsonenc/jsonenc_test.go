package jsonenc

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnew\nline\rret\bback\fform",
		"\x00\x01\x1f\x7f", "naïve café ☃ 𝄞", "\u2028 and \u2029", "bad \xff utf8 \xc3", "A*02:01+A*24:02",
	} {
		want, _ := json.Marshal(s)
		if got := String(nil, s); string(got) != string(want) {
			t.Errorf("String(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestFloatMatchesEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 96.5, 638000000, 2.51e6, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789e15, -3.4e-9, math.MaxFloat64, math.SmallestNonzeroFloat64, 0.1 + 0.2} {
		want, _ := json.Marshal(f)
		got, err := Float(nil, f)
		if err != nil || string(got) != string(want) {
			t.Errorf("Float(%v) = %s, %v; want %s", f, got, err, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := Float(nil, f); err == nil {
			t.Errorf("Float(%v): no error", f)
		}
	}
}

func TestTimeMatchesMarshalJSON(t *testing.T) {
	for _, tm := range []time.Time{
		{}, time.Date(2026, 11, 22, 1, 31, 50, 35782054, time.UTC), time.Date(2024, 3, 1, 0, 0, 0, 500000000, time.FixedZone("x", 3600)),
		time.Unix(0, 0).UTC(),
	} {
		want, err := tm.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Time(nil, tm); err != nil || string(got) != string(want) {
			t.Errorf("Time(%v) = %s, %v; want %s", tm, got, err, want)
		}
	}
	if _, err := Time(nil, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("year 10000: no error")
	}
}

func TestObject(t *testing.T) {
	o := Begin([]byte("x="))
	o.StringOmitEmpty("skipped", "")
	o.String("a", "1")
	o.IntOmitEmpty("n", -7)
	o.IntOmitEmpty("zero", 0)
	o.FloatOmitEmpty("zf", 0)
	o.OptionalFloat("nil", nil)
	half := 0.5
	o.OptionalFloat("half", &half)
	if got := string(o.End()); got != `x={"a":"1","n":-7,"half":0.5}` || o.Err() != nil {
		t.Errorf("got %s, %v", got, o.Err())
	}
	bad := Begin(nil)
	bad.FloatOmitEmpty("nan", math.NaN())
	bad.String("after", "x")
	if bad.Err() == nil {
		t.Error("NaN member: no error")
	}
	e := Begin(nil)
	if got := string(e.End()); got != `{}` {
		t.Errorf("empty object: %s", got)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\u2028", "\xff", "<>&", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := String(nil, s); string(got) != string(want) {
			t.Fatalf("String(%q) = %s, want %s", s, got, want)
		}
	})
}

func FuzzFloat(f *testing.F) {
	for _, x := range []float64{0, 1e-7, 1e21, 96.5} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		want, werr := json.Marshal(x)
		got, err := Float(nil, x)
		if (werr != nil) != (err != nil) || (err == nil && string(got) != string(want)) {
			t.Fatalf("Float(%v) = %s, %v; want %s, %v", x, got, err, want, werr)
		}
	})
}

func BenchmarkString(b *testing.B) {
	s := `{"bank":"demo","din":"W999925000001","hla":[{"locus":"A","text":"A*30:01+A*02:01"}],"cells":{"post_processing_tnc":638000000}}`
	var buf []byte
	for b.Loop() {
		buf = String(buf[:0], s)
	}
}
