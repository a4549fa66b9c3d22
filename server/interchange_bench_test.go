package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cordbank/cordbank/internal/benchsize"
	"github.com/cordbank/cordbank/internal/spreadsheet"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// spreadsheetBenchUnits is the size of the README's spreadsheet figures
// (CORDBANK_SHEET_BENCH_UNITS overrides it for a quick run).
func spreadsheetBenchUnits(b *testing.B) int {
	if s := os.Getenv("CORDBANK_SHEET_BENCH_UNITS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return benchsize.Of(100_000, 1_000)
}

// postImport POSTs an import body to url with hc and returns how many
// units the answer says were created.
func postImport(b *testing.B, hc *http.Client, url, contentType string, body []byte) (created int) {
	b.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var counts struct {
		CreatedCount int `json:"createdCount"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(out, &counts) != nil {
		b.Fatalf("HTTP %d: %.500s", resp.StatusCode, out)
	}
	return counts.CreatedCount
}

// BenchmarkSpreadsheetImport: 100,000 units imported over REST as CSV
// (POST /v1/units:importSpreadsheet, the file as the body) and, in the
// same run on a server of its own, as the API's NDJSON import (POST
// /v1/units:import) of the same units; both bodies are encoded before
// the clock starts. `ratio` is the CSV import's time over the NDJSON
// import's (goal: at most 1.5). Then the 100,000 units are exported
// (GET .../units:export) as CSV and XLSX.
func BenchmarkSpreadsheetImport(b *testing.B) {
	n := spreadsheetBenchUnits(b)
	for i := range b.N {
		b.StopTimer()
		units := wireUnits(n, uint64(300+i))
		var ndjson bytes.Buffer
		for j, u := range units {
			req := &pb.ImportUnitsRequest{Unit: u}
			if j == 0 {
				req.Parent = "banks/bench"
			}
			line, err := protojson.Marshal(req)
			if err != nil {
				b.Fatal(err)
			}
			ndjson.Write(line)
			ndjson.WriteByte('\n')
		}
		var csvFile bytes.Buffer
		tw, err := spreadsheet.NewTableWriter(spreadsheet.CSV, &csvFile, spreadsheet.Header())
		if err != nil {
			b.Fatal(err)
		}
		for _, u := range units {
			row, err := spreadsheet.Row(u)
			if err != nil {
				b.Fatal(err)
			}
			if err := tw.Write(row); err != nil {
				b.Fatal(err)
			}
		}
		if err := tw.Close(); err != nil {
			b.Fatal(err)
		}
		units = nil
		ndSrv, _ := benchServer(b)
		csvSrv, _ := benchServer(b)
		b.StartTimer()

		start, cpu0 := time.Now(), cpuTime()
		if got := postImport(b, ndSrv.HTTPClient(), ndSrv.HTTPURL+"/v1/units:import", "application/x-ndjson", ndjson.Bytes()); got != n {
			b.Fatalf("NDJSON import created %d of %d", got, n)
		}
		ndTime, ndCPU := time.Since(start), cpuTime()-cpu0
		start, cpu0 = time.Now(), cpuTime()
		if got := postImport(b, csvSrv.HTTPClient(), csvSrv.HTTPURL+"/v1/units:importSpreadsheet?parent=banks/bench", "text/csv", csvFile.Bytes()); got != n {
			b.Fatalf("CSV import created %d of %d", got, n)
		}
		csvTime, csvCPU := time.Since(start), cpuTime()-cpu0
		b.ReportMetric(ndCPU.Seconds(), "ndjson-cpu-s")
		b.ReportMetric(csvCPU.Seconds(), "csv-cpu-s")
		b.ReportMetric(float64(n)/ndTime.Seconds(), "ndjson-units/s")
		b.ReportMetric(float64(n)/csvTime.Seconds(), "csv-units/s")
		b.ReportMetric(csvTime.Seconds()/ndTime.Seconds(), "ratio")

		// The baseline of the export: the same units paged through
		// ListUnits over REST (pages of 1,000, JSON).
		start, cpu := time.Now(), cpuTime()
		token, listed := "", 0
		for {
			resp, err := csvSrv.HTTPClient().Get(csvSrv.HTTPURL + "/v1/banks/bench/units?pageSize=1000&pageToken=" + token)
			if err != nil {
				b.Fatal(err)
			}
			var page struct {
				Units         []json.RawMessage `json:"units"`
				NextPageToken string            `json:"nextPageToken"`
			}
			err = json.NewDecoder(resp.Body).Decode(&page)
			resp.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
			listed += len(page.Units)
			if token = page.NextPageToken; token == "" {
				break
			}
		}
		if listed != n {
			b.Fatalf("listed %d of %d", listed, n)
		}
		listTime := time.Since(start)
		b.ReportMetric(listTime.Seconds(), "list-JSON-s")
		b.ReportMetric((cpuTime() - cpu).Seconds(), "list-JSON-cpu-s")
		for _, f := range []string{"CSV", "XLSX"} {
			start, cpu = time.Now(), cpuTime()
			resp, err := csvSrv.HTTPClient().Get(csvSrv.HTTPURL + "/v1/banks/bench/units:export?format=SPREADSHEET_FORMAT_" + f)
			if err != nil {
				b.Fatal(err)
			}
			size, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				b.Fatalf("export %s: HTTP %d, %v", f, resp.StatusCode, err)
			}
			b.ReportMetric(time.Since(start).Seconds(), fmt.Sprintf("export-%s-s", f))
			b.ReportMetric((cpuTime() - cpu).Seconds(), fmt.Sprintf("export-%s-cpu-s", f))
			b.ReportMetric(time.Since(start).Seconds()/listTime.Seconds(), fmt.Sprintf("export-%s/list", f))
			b.ReportMetric(float64(size)/1e6, fmt.Sprintf("export-%s-MB", f))
		}
		// The CLI's way: the SDK over gRPC, no HTTP or gzip.
		start, cpu = time.Now(), cpuTime()
		sdkClient := sdk(b, csvSrv, csvSrv.AdminToken())
		if _, err := sdkClient.ExportUnits(b.Context(), &pb.ExportUnitsRequest{Parent: "banks/bench"}, io.Discard); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "export-CSV-grpc-s")
		b.ReportMetric((cpuTime() - cpu).Seconds(), "export-CSV-grpc-cpu-s")
		b.ReportMetric(float64(csvFile.Len())/1e6, "csv-MB")
	}
}

// cpuTime is the user and system CPU time of this process so far: on a
// shared machine steadier than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
