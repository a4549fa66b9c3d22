package server_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// BenchmarkRESTListPage reads a page of 1,000 units over REST with and
// without gzip: the bytes on the wire, and the time a call takes (the
// server's compression against the bytes it saves; on loopback, where
// bytes are cheap, gzip can only cost).
func BenchmarkRESTListPage(b *testing.B) {
	srv, c := benchServer(b)
	stream, err := c.ImportUnits(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for i, u := range wireUnits(1000, 7) {
		req := &pb.ImportUnitsRequest{Unit: u}
		if i == 0 {
			req.Parent = "banks/bench"
		}
		if err := stream.Send(req); err != nil {
			b.Fatal(err)
		}
	}
	if resp, err := stream.CloseAndRecv(); err != nil || resp.GetCreatedCount() != 1000 {
		b.Fatalf("import: %v, created %d", err, resp.GetCreatedCount())
	}
	hc := rawClient(srv)
	for _, enc := range []string{"identity", "gzip"} {
		b.Run("encoding="+enc, func(b *testing.B) {
			var wire int64
			for range b.N {
				req, _ := http.NewRequest("GET", srv.HTTPURL+"/v1/banks/bench/units?pageSize=1000", nil)
				req.Header.Set("Accept-Encoding", enc)
				resp, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || (enc == "gzip") != (resp.Header.Get("Content-Encoding") == "gzip") {
					b.Fatalf("HTTP %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
				}
				wire = n
			}
			b.ReportMetric(float64(wire), "wire-bytes")
		})
	}
}
