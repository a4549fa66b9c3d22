package freq

import (
	"bytes"
	"compress/gzip"
	"math"
	"strings"
	"testing"
)

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

const grimSample = "Haplo,Count,Freq\nA*01:01~C*07:01~B*08:01~DRB1*03:01~DQB1*02:01,100,0.05\nA*02:01~C*05:01~B*44:02~DRB1*04:01~DQB1*03:01,40,0.02\n"

// checkSet asserts what every successfully read set must satisfy.
func checkSet(t *testing.T, s *Set) {
	t.Helper()
	if len(s.Haplotypes) == 0 {
		t.Fatal("a set without haplotypes was accepted")
	}
	total := 0.0
	for _, h := range s.Haplotypes {
		if len(h.Alleles) != len(s.Loci) {
			t.Fatalf("haplotype %v has %d alleles for loci %v", h.Alleles, len(h.Alleles), s.Loci)
		}
		if !(h.Freq > 0 && h.Freq <= 1) || math.IsNaN(h.Freq) {
			t.Fatalf("frequency %v accepted", h.Freq)
		}
		total += h.Freq
	}
	if total > 1.05 {
		t.Fatalf("sum %v accepted", total)
	}
}

func FuzzReadGRIM(f *testing.F) {
	f.Add([]byte(grimSample))
	f.Add(gz(grimSample))
	f.Add([]byte("A*01:01~B*08:01,0.5\nA*01:01~B*08:01~C*07:01,0.1\n"))
	f.Add([]byte("A*01:01~A*02:01,1,0.1\n"))
	f.Add([]byte("\"A*01:01,x\",1,NaN\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadGRIM(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		checkSet(t, s)
	})
}

func FuzzReadHFX(f *testing.F) {
	f.Add([]byte(`{"metadata":{"nomenclatureUsed":{"version":"3.24.0"},"cohortDescription":{"population":[{"name":"X"}]},"frequencyLocation":"file://x.csv","frequencyFileHeader":{"haplotype":"Haplo","frequency":"Freq"},"checkSum":"00"}}`), []byte(grimSample))
	f.Add([]byte(`{"metadata":{"frequencyLocation":"inline"},"frequencyData":[{"haplotype":"A*01:01~B*08:01","frequency":0.3}]}`), []byte{})
	f.Add([]byte(`{"metadata":{"frequencyLocation":"file://../etc/passwd"}}`), []byte{})
	f.Fuzz(func(t *testing.T, meta, csv []byte) {
		opened := ""
		s, err := ReadHFX(meta, "fuzz", func(name string) ([]byte, error) {
			opened = name
			return csv, nil
		})
		if strings.ContainsAny(opened, `/\`) || strings.Contains(opened, "..") {
			t.Fatalf("opened %q outside the folder", opened)
		}
		if err != nil {
			return
		}
		checkSet(t, s)
	})
}

func FuzzReadATLAS(f *testing.F) {
	f.Add([]byte(`{"nomenclatureVersion":3330,"ethn":["UK"],"populationId":7,"frequencies":[{"a":"01:01:01G","b":"08:01:01G","c":"07:01:01G","dqb1":"02:01:01G","drb1":"03:01:01G","frequency":0.1}]}`))
	f.Add([]byte(`{"nomenclatureVersion":"3.33.0","frequencies":[{"a":"A*01:01","b":"B*08:01","c":"C*07:01","dqb1":"DQB1*02:01","drb1":"DRB1*03:01","frequency":2}]}`))
	f.Add([]byte(`{"frequencies":[{"a":"","frequency":0.1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadATLAS(data, "fuzz")
		if err != nil {
			return
		}
		checkSet(t, s)
	})
}
