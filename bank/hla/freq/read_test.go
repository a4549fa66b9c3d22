package freq

import (
	"bytes"
	"strings"
	"testing"
)

func TestReadForms(t *testing.T) {
	g, err := ReadGRIM(bytes.NewReader(gz(grimSample)), "CAU")
	if err != nil || len(g.Haplotypes) != 2 || g.Population != "CAU" || g.Haplotypes[1].Freq != 0.02 {
		t.Fatalf("GRIM: %+v, %v", g, err)
	}
	a, err := ReadATLAS([]byte(`{"nomenclatureVersion":3330,"ethn":["UK"],"populationId":7,"frequencies":[
		{"a":"01:01:01G","b":"08:01:01G","c":"07:01:01G","dqb1":"02:01:01G","drb1":"03:01:01G","frequency":0.1}]}`), "atlas")
	if err != nil || a.Nomenclature != "3.33.0" || a.Population != "UK" || a.Name != "atlas#7" ||
		strings.Join(a.Haplotypes[0].Alleles, "~") != "A*01:01:01G~B*08:01:01G~C*07:01:01G~DQB1*02:01:01G~DRB1*03:01:01G" {
		t.Fatalf("ATLAS: %+v, %v", a, err)
	}
	h, err := ReadHFX([]byte(`{"metadata":{"frequencyLocation":"inline","nomenclatureUsed":{"version":"3.24.0"}},
		"frequencyData":[{"haplotype":"HLA-A*01:01~HLA-B*08:01","frequency":0.3}]}`), "inline", nil)
	if err != nil || h.Nomenclature != "3.24.0" || strings.Join(h.Loci, "~") != "A~B" || h.Haplotypes[0].Alleles[0] != "A*01:01" {
		t.Fatalf("HFX inline: %+v, %v", h, err)
	}
	for _, bad := range []string{
		"A*01:01~B*08:01,0.5\nA*01:01~C*07:01,0.1\n", // loci change
		"A*01:01~B*08:01,1.5\n",                      // frequency above 1
		"A*01:01~B*08:01,-0.1\n",
		"A*01:01~B*08:01,0.6\nA*02:01~B*08:01,0.6\n", // sum 1.2
		"A*01:01~A*02:01,0.1\n",                      // locus twice
		"Haplo,Count,Freq\n",                         // empty
		"A*01:01~B*08:01,abc\n",
	} {
		if _, err := ReadGRIM(strings.NewReader(bad), "bad"); err == nil {
			t.Errorf("ReadGRIM(%q) accepted", bad)
		}
	}
	if _, err := ReadHFX([]byte(`{"metadata":{"frequencyLocation":"file://../x.csv"}}`), "m", func(string) ([]byte, error) { return nil, nil }); err == nil {
		t.Error("HFX frequencyLocation outside the folder accepted")
	}
}
