package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/spreadsheet"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// exportChunkBytes is the size of one HttpBody message of an export.
const exportChunkBytes = 1 << 20

// exportPageSize is how many units one ListUnits page of an export
// holds: its largest page.
const exportPageSize = 1000

var reportFormats = []pb.SpreadsheetFormat{pb.SpreadsheetFormat_SPREADSHEET_FORMAT_CSV,
	pb.SpreadsheetFormat_SPREADSHEET_FORMAT_XLSX, pb.SpreadsheetFormat_SPREADSHEET_FORMAT_JSON}

// chunkWriter sends what is written to it as HttpBody messages of
// exportChunkBytes (the first carries the content type).
type chunkWriter struct {
	send        func(*httpbody.HttpBody) error
	contentType string
	buf         []byte
	sent        bool
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	c.buf = append(c.buf, p...)
	for len(c.buf) >= exportChunkBytes {
		if err := c.flush(c.buf[:exportChunkBytes]); err != nil {
			return 0, err
		}
		c.buf = append(c.buf[:0], c.buf[exportChunkBytes:]...)
	}
	return len(p), nil
}

func (c *chunkWriter) flush(data []byte) error {
	m := &httpbody.HttpBody{Data: data}
	if !c.sent {
		m.ContentType = c.contentType
	}
	c.sent = true
	return c.send(m)
}

// Close sends the rest (and an empty first message for an empty file).
func (c *chunkWriter) Close() error {
	if len(c.buf) > 0 || !c.sent {
		return c.flush(c.buf)
	}
	return nil
}

// ExportUnits pages through ListUnits as the caller and writes each page
// as it comes; the first page is read before anything is sent, so a
// refused or invalid request gets a plain error.
func (x *interchange) ExportUnits(req *pb.ExportUnitsRequest, stream pb.InterchangeService_ExportUnitsServer) error {
	ctx := stream.Context()
	var v bank.Violations
	lr := listUnitsRequest(&v, &pb.ListUnitsRequest{Parent: req.GetParent(), Status: req.GetStatus(), UnitType: req.GetUnitType(),
		Abo: req.GetAbo(), CollectionDateFrom: req.GetCollectionDateFrom(), CollectionDateTo: req.GetCollectionDateTo()})
	format := fileFormat(&v, req.GetFormat(), reportFormats...)
	if err := v.Err("invalid export request"); err != nil {
		return err
	}
	lr.PageSize = exportPageSize
	page, next, err := x.svc.ListUnits(ctx, lr)
	if err != nil {
		return err
	}
	w := &chunkWriter{send: stream.Send, contentType: format.ContentType()}
	var write func(u *pb.Unit) error
	closeFile := func() error { return nil }
	if format == spreadsheet.JSON {
		n := 0
		write = func(u *pb.Unit) error {
			b, err := protojson.Marshal(u)
			if err != nil {
				return err
			}
			sep := ",\n"
			if n == 0 {
				sep = "[\n"
			}
			n++
			_, err = w.Write(append([]byte(sep), b...))
			return err
		}
		closeFile = func() error {
			end := "\n]\n"
			if n == 0 {
				end = "[]\n"
			}
			_, err := io.WriteString(w, end)
			return err
		}
	} else {
		tw, err := spreadsheet.NewTableWriter(format, w, spreadsheet.Header())
		if err != nil {
			return err
		}
		write = func(u *pb.Unit) error {
			row, err := spreadsheet.Row(u)
			if err != nil {
				return invalid("parent", err)
			}
			return tw.Write(row)
		}
		closeFile = tw.Close
	}
	// The next page is read while this one is written: the store's read
	// and the file's formatting run on both cores.
	type result struct {
		page []*bank.Unit
		next string
		err  error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan result, 1)
	go func() {
		defer close(pages)
		for next != "" {
			lr.PageToken = next
			var r result
			r.page, r.next, r.err = x.svc.ListUnits(ctx, lr)
			select {
			case pages <- r:
			case <-ctx.Done():
				return
			}
			if r.err != nil {
				return
			}
			next = r.next
		}
	}()
	for {
		for _, u := range page {
			if err := write(unitToProto(u)); err != nil {
				return err
			}
		}
		r, ok := <-pages
		if !ok {
			break
		}
		if r.err != nil {
			return r.err
		}
		page = r.page
	}
	if err := closeFile(); err != nil {
		return err
	}
	return w.Close()
}

// report is a table a report method answers.
type report struct {
	header []string
	rows   [][]any
}

// body encodes r in format f.
func (r *report) body(f spreadsheet.Format) (*httpbody.HttpBody, error) {
	var buf bytes.Buffer
	tw, err := spreadsheet.NewTableWriter(f, &buf, r.header)
	if err != nil {
		return nil, err
	}
	for _, row := range r.rows {
		if err := tw.Write(row); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return &httpbody.HttpBody{ContentType: f.ContentType(), Data: buf.Bytes()}, nil
}

// reportRequest checks a report request's parent and format.
func reportRequest(v *bank.Violations, parent string, f pb.SpreadsheetFormat) (string, spreadsheet.Format) {
	id, err := parseBankName(parent)
	if err != nil {
		v.Add("parent", "%v", err)
	}
	return id, fileFormat(v, f, reportFormats...)
}

// between32 reads an optional bounded int field: 0 gives def.
func between32(v *bank.Violations, field string, x, def, hi int32) int {
	switch {
	case x == 0:
		return int(def)
	case x < 0 || x > hi:
		v.Add(field, "%d is outside 1..%d", x, hi)
	}
	return int(x)
}

func (x *interchange) ReportInventory(ctx context.Context, req *pb.ReportInventoryRequest) (*httpbody.HttpBody, error) {
	var v bank.Violations
	id, format := reportRequest(&v, req.GetParent(), req.GetFormat())
	if err := v.Err("invalid report request"); err != nil {
		return nil, err
	}
	sum, err := x.svc.SummarizeUnits(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &report{header: []string{"dimension", "value", "units"}}
	add := func(dim string, counts map[string]int) {
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			r.rows = append(r.rows, []any{dim, k, int64(counts[k])})
		}
	}
	r.rows = append(r.rows, []any{"total", "", int64(sum.Total)})
	add("status", prefixed(sum.ByStatus, pfxUnitStatus))
	add("unitType", prefixed(sum.ByType, pfxUnitType))
	add("abo", prefixed(sum.ByABO, pfxABO))
	years := map[string]int{}
	for y, n := range sum.ByCollectionYear {
		years[fmt.Sprint(y)] = n
	}
	add("collectionYear", years)
	return r.body(format)
}

func prefixed[K ~string](m map[K]int, pfx string) map[string]int {
	out := make(map[string]int, len(m))
	for k, n := range m {
		out[pfx+string(k)] = n
	}
	return out
}

// finalStatuses are those of units that left the inventory: they age out
// of nothing.
var finalStatuses = map[lifecycle.Status]bool{lifecycle.StatusShipped: true, lifecycle.StatusInfused: true,
	lifecycle.StatusDiscarded: true, lifecycle.StatusExpired: true, lifecycle.StatusWithdrawn: true}

func (x *interchange) ReportAgeingUnits(ctx context.Context, req *pb.ReportAgeingUnitsRequest) (*httpbody.HttpBody, error) {
	var v bank.Violations
	id, format := reportRequest(&v, req.GetParent(), req.GetFormat())
	within := between32(&v, "within_days", req.GetWithinDays(), 180, 3650)
	maxAge := between32(&v, "max_age_years", req.GetMaxAgeYears(), 10, 40)
	if err := v.Err("invalid report request"); err != nil {
		return nil, err
	}
	today := x.svc.Now().UTC()
	// A unit collected on or before this date reaches the age limit
	// within the window (or has reached it).
	cutoff := unit.DateOf(today.AddDate(-maxAge, 0, within))
	lr := bank.ListUnitsRequest{Bank: id, CollectedTo: cutoff, PageSize: exportPageSize}
	listed, err := allPages(func(token string) ([]*bank.Unit, string, error) {
		lr.PageToken = token
		return x.svc.ListUnits(ctx, lr)
	})
	if err != nil {
		return nil, err
	}
	units := slices.DeleteFunc(listed, func(u *bank.Unit) bool { return finalStatuses[u.Status] })
	slices.SortStableFunc(units, func(a, b *bank.Unit) int {
		return strings.Compare(a.CollectionDate.String(), b.CollectionDate.String())
	})
	r := &report{header: []string{"unit", "din", "unitType", "status", "collectionDate", "leavesSearchWindow", "daysLeft"}}
	midnight := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	for _, u := range units {
		c, _ := time.Parse("2006-01-02", u.CollectionDate.String())
		leaves := c.AddDate(maxAge, 0, 0)
		days := int64(math.Round(leaves.Sub(midnight).Hours() / 24))
		pu := unitToProto(u)
		r.rows = append(r.rows, []any{pu.GetName(), pu.GetDin(), pu.GetUnitType().String(), pu.GetStatus().String(),
			pu.GetCollectionDate(), leaves.Format("2006-01-02"), days})
	}
	return r.body(format)
}

func (x *interchange) ReportReservations(ctx context.Context, req *pb.ReportReservationsRequest) (*httpbody.HttpBody, error) {
	var v bank.Violations
	id, format := reportRequest(&v, req.GetParent(), req.GetFormat())
	hours := between32(&v, "lapsing_within_hours", req.GetLapsingWithinHours(), 72, 8760)
	if err := v.Err("invalid report request"); err != nil {
		return nil, err
	}
	lr := bank.ListReservationsRequest{Bank: id, OpenOnly: true, PageSize: exportPageSize}
	all, err := allPages(func(token string) ([]*bank.Reservation, string, error) {
		lr.PageToken = token
		return x.svc.ListReservationsPage(ctx, lr)
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(all, func(a, b *bank.Reservation) int { return a.ExpireTime.Compare(b.ExpireTime) })
	now := x.svc.Now()
	r := &report{header: []string{"reservation", "unit", "transplantCenter", "patientId", "status", "expireTime", "hoursLeft", "lapsingSoon"}}
	for _, res := range all {
		p := reservationToProto(res)
		left := res.ExpireTime.Sub(now).Hours()
		lapsing := "no"
		if left <= float64(hours) {
			lapsing = "yes"
		}
		r.rows = append(r.rows, []any{p.GetName(), res.UnitName(), p.GetTransplantCenter(), p.GetPatientId(),
			p.GetStatus().String(), res.ExpireTime.UTC().Format(time.RFC3339), math.Round(left*10) / 10, lapsing})
	}
	return r.body(format)
}

func (x *interchange) ReportExcursions(ctx context.Context, req *pb.ReportExcursionsRequest) (*httpbody.HttpBody, error) {
	var v bank.Violations
	id, format := reportRequest(&v, req.GetParent(), req.GetFormat())
	if err := v.Err("invalid report request"); err != nil {
		return nil, err
	}
	er := bank.ListExcursionsRequest{Bank: id, PageSize: exportPageSize}
	excursions, err := allPages(func(token string) ([]*inventory.Excursion, string, error) {
		er.PageToken = token
		return x.svc.ListExcursions(ctx, er)
	})
	if err != nil {
		return nil, err
	}
	// The units each exposed: the TemperatureExcursion events recorded on
	// them when it opened.
	exposed := map[string][]string{}
	var evs []*bank.Event
	if len(excursions) > 0 {
		lr := bank.ListEventsRequest{Bank: id, Methods: []string{"TemperatureExcursion"}, PageSize: exportPageSize}
		if evs, err = allPages(func(token string) ([]*bank.Event, string, error) {
			lr.PageToken = token
			return x.svc.ListEvents(ctx, lr)
		}); err != nil {
			return nil, err
		}
	}
	for _, e := range evs {
		for _, c := range e.Changes {
			var exp struct {
				Excursion string `json:"excursion"`
			}
			if c.Field == "exposure" && json.Unmarshal([]byte(c.After), &exp) == nil {
				exposed[exp.Excursion] = append(exposed[exp.Excursion], e.Resource)
			}
		}
	}
	r := &report{header: []string{"excursion", "tank", "startTime", "endTime", "lowestCelsius", "highestCelsius", "readings", "unitsExposed", "unit"}}
	for _, e := range excursions {
		p := excursionToProto(e)
		end := ""
		if !e.EndTime.IsZero() {
			end = e.EndTime.UTC().Format(time.RFC3339)
		}
		row := []any{p.GetName(), p.GetContainer(), e.StartTime.UTC().Format(time.RFC3339), end, e.LowestCelsius, e.HighestCelsius,
			int64(e.Readings), int64(e.UnitsExposed)}
		units := exposed[e.Name()]
		if len(units) == 0 {
			r.rows = append(r.rows, append(row, ""))
		}
		for _, u := range units {
			r.rows = append(r.rows, append(slices.Clone(row), u))
		}
	}
	return r.body(format)
}

// allPages reads every page of a list use case (fetch takes the page
// token and returns a page and the next token).
func allPages[T any](fetch func(token string) ([]T, string, error)) ([]T, error) {
	var out []T
	token := ""
	for {
		page, next, err := fetch(token)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		token = next
	}
}
