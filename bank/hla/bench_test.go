package hla

import (
	"runtime"
	"testing"
)

// Benchmarks on the real IPD-IMGT/HLA 3.24.0 files; skipped without them.
//
//	go test -run '^$' -bench . -benchmem ./bank/hla

func BenchmarkLoadIMGT(b *testing.B) {
	dir := imgtDir(b)
	var r *Reference
	for b.Loop() {
		var err error
		if r, err = LoadDir(dir); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// Live heap with one Reference held.
	r = nil
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	r, _ = LoadDir(dir)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
	runtime.KeepAlive(r)
}

func BenchmarkReduceAllele(b *testing.B) {
	r := imgt324(b)
	for _, name := range []string{"A*02:01:01:01", "DRB1*15:01"} {
		n, err := r.ParseName(name)
		if err != nil {
			b.Fatal(err)
		}
		for _, lv := range Levels {
			b.Run(name+"/"+lv.String(), func(b *testing.B) {
				buf := make([]Name, 0, 64)
				for b.Loop() {
					if _, err := r.ReduceName(n, lv, buf[:0]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// A realistic high-resolution patient typing at 8 loci (A, B, C, DRB1,
// DRB3/4/5, DQB1, DPB1), with one ambiguity.
const patient8 = "HLA-A*01:01:01:01+HLA-A*02:01:01:01^HLA-B*07:02:01+HLA-B*08:01:01^HLA-C*07:01:01:01+HLA-C*07:02:01:01" +
	"^HLA-DRB1*15:01:01:01+HLA-DRB1*03:01:01:01^HLA-DRB3*01:01:02:01^HLA-DRB5*01:01:01" +
	"^HLA-DQB1*06:02:01+HLA-DQB1*02:01:01^HLA-DPB1*04:01:01:01/HLA-DPB1*126:01+HLA-DPB1*02:01:02"

func BenchmarkReduceGL8Locus(b *testing.B) {
	r := imgt324(b)
	g, err := r.ParseGL(patient8)
	if err != nil {
		b.Fatal(err)
	}
	for _, lv := range []Level{LevelG, LevelLGX, LevelSerology} {
		b.Run(lv.String(), func(b *testing.B) {
			for b.Loop() {
				if _, err := r.Reduce(g, lv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseGL8Locus(b *testing.B) {
	for b.Loop() {
		if _, err := ParseGL(patient8); err != nil {
			b.Fatal(err)
		}
	}
}
