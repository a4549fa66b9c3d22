package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/cordbank/cordbank/bank/banktest"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// reportSamples is how many samples (units) one benchmarked report types.
const reportSamples = 1000

// BenchmarkImportTypingReport: one HML report of 1,000 samples (each
// agreeing at A, B and DRB1 and adding DQB1) imported in one call, against
// the baseline of the same typing changes made by hand through the API,
// 1,000 UpdateUnit calls of `hla` from one client; both over gRPC to a
// real SQLite file, every change with its audit event. Each round types
// fresh units, registered before the clock starts. Compare the two
// ms/report figures of one run: make bench BENCH=ImportTypingReport BENCHTIME=3x.
func BenchmarkImportTypingReport(b *testing.B) {
	srv, reg := benchServer(b)
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	typing := pb.NewTypingServiceClient(conn)
	ctx := context.Background()
	round := 0
	fresh := func(b *testing.B) []string {
		b.Helper()
		round++
		dins := make([]string, reportSamples)
		for i := range dins {
			dins[i] = string(banktest.DIN("W9999", 24, round*reportSamples+i))
			u := validUnit(dins[i])
			u.Hla = u.Hla[:3] // A, B, DRB1
			if _, err := reg.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/bench", Unit: u}); err != nil {
				b.Fatal(err)
			}
		}
		return dins
	}
	newHLA := []*pb.LocusTyping{{Locus: "A", Typing: "A*02:01+A*24:02"}, {Locus: "B", Typing: "B*07:02+B*44:02"},
		{Locus: "DRB1", Typing: "DRB1*15:01+DRB1*04:01"}, {Locus: "DQB1", Typing: "DQB1*06:02+DQB1*03:02"}}
	b.Run("report", func(b *testing.B) {
		var took time.Duration
		for range b.N {
			b.StopTimer()
			doc := benchReport(fresh(b))
			b.StartTimer()
			start := time.Now()
			resp, err := typing.ImportTypingReport(ctx, &pb.ImportTypingReportRequest{Parent: "banks/bench", Hml: doc})
			took += time.Since(start)
			if err != nil || len(resp.GetSamples()) != reportSamples || resp.GetSamples()[0].GetOutcome() != pb.TypingReportOutcome_TYPING_REPORT_OUTCOME_EXTENDED {
				b.Fatalf("import: %v", err)
			}
		}
		b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "ms/report")
	})
	b.Run("baseline=update-unit", func(b *testing.B) {
		var took time.Duration
		for range b.N {
			b.StopTimer()
			dins := fresh(b)
			b.StartTimer()
			start := time.Now()
			for _, din := range dins {
				if _, err := reg.UpdateUnit(ctx, &pb.UpdateUnitRequest{Unit: &pb.Unit{Name: "banks/bench/units/" + din, Hla: newHLA},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"hla"}}}); err != nil {
					b.Fatal(err)
				}
			}
			took += time.Since(start)
		}
		b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "ms/report")
	})
}

// benchReport is an HML report typing each DIN at A, B, DRB1 and DQB1.
func benchReport(dins []string) []byte {
	var s strings.Builder
	s.WriteString(`<hml xmlns="http://schemas.nmdp.org/spec/hml/1.0.1" version="1.0.1"><hmlid root="1.2.3" extension="bench"/>`)
	for _, din := range dins {
		fmt.Fprintf(&s, `<sample id="%s"><typing gene-family="HLA" date="2026-10-20">`+
			`<allele-assignment date="2026-10-21" allele-db="IMGT/HLA" allele-version="3.24.0">`+
			`<glstring>HLA-A*02:01+HLA-A*24:02^HLA-B*07:02+HLA-B*44:02^HLA-DRB1*15:01+HLA-DRB1*04:01^HLA-DQB1*06:02+HLA-DQB1*03:02</glstring>`+
			`</allele-assignment><typing-method><sbt-ngs/></typing-method></typing></sample>`, din)
	}
	s.WriteString(`</hml>`)
	return []byte(s.String())
}
