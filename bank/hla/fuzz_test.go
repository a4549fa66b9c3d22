package hla

import "testing"

var fuzzSeeds = []string{
	"A*02:01:01:131", "HLA-B*15:220", "A*01:01:01:02N", "A*01:01:38L", "A*01:01:01G", "A*01:01P",
	"DRB1*13:XX", "A*01:AB", "B*08:ASXJP", "A*NEW", "A2", "Cw3", "C3", "DR15", "DQ7", "DR52",
	"DPw1", "Bw4", "B3901", "A2403", "MICA*001", "DPB1*104:01", "A*0105N", "hla-a*01:01",
	"A*01:06/07", "A*01:01/02+A*03:01", "A*02:69+A*23:30|A*02:302+A*23:26/A*23:39",
	"HLA-A*02:01:44+HLA-A*24:20^HLA-B*15:29+HLA-B*82:02^HLA-DRB1*12:06~HLA-DRB4*01:03:01:01+HLA-DRB1*10:01:01~HLA-DRB3*02:02:03",
	"", "*", "A*", "A*01:", "A*:01", "/", "A*01:01//A*01:02", "A*01:01/", "NEW", "A*01:01~~B*07:02",
}

func FuzzParseName(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName(s)
		if err != nil {
			return
		}
		back, err := ParseName(n.String())
		if err != nil {
			t.Fatalf("ParseName(%q) = %v, but its String %q does not parse: %v", s, n, n.String(), err)
		}
		if back != n {
			t.Fatalf("round trip of %q: %#v != %#v", s, back, n)
		}
		var buf [4]Name
		_, _ = (*Reference)(nil).ReduceName(n, LevelG, buf[:0])
	})
}

func FuzzParseSerology(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSerology(s)
		if err != nil {
			return
		}
		if n.Kind != KindSerology {
			t.Fatalf("ParseSerology(%q) gave kind %s", s, n.Kind)
		}
		back, err := ParseSerology(n.String())
		if err != nil || back != n {
			t.Fatalf("round trip of %q: %v, %v", s, back, err)
		}
	})
}

func FuzzParseGL(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	ref, err := LoadDir("testdata/imgt-mini")
	if err != nil {
		f.Fatal(err)
	}
	macs, err := LoadMACFile("testdata/mac-mini.txt")
	if err != nil {
		f.Fatal(err)
	}
	ref = ref.WithMACs(macs)
	f.Fuzz(func(t *testing.T, s string) {
		if lt, err := ParseLocusTyping("A", s); err == nil {
			back, err := ParseLocusTyping("A", lt.String())
			if err != nil || !back.Equal(lt) {
				t.Fatalf("locus typing %q gave %q, which does not round-trip: %v", s, lt, err)
			}
		}
		g, err := ParseGL(s)
		if err != nil {
			return
		}
		text := g.String()
		back, err := ParseGL(text)
		if err != nil {
			t.Fatalf("ParseGL(%q) gave %q, which does not parse: %v", s, text, err)
		}
		if !back.Equal(g) {
			t.Fatalf("round trip of %q: %q != %q", s, back, text)
		}
		ref.Flags(g)
		ref.Check(g)
		for _, lv := range Levels {
			for _, r := range []*Reference{nil, ref} {
				out, err := r.Reduce(g, lv)
				if err != nil {
					continue
				}
				again, err := ParseGL(out.String())
				if err != nil || !again.Equal(out) {
					t.Fatalf("reduction %q of %q does not round-trip: %v", out, s, err)
				}
			}
		}
	})
}
