package server

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/spreadsheet"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// interchange implements pb.InterchangeServiceServer: spreadsheets in
// through the registry's import path, units and reports out through the
// domain's read use cases (so they see what the caller may see).
type interchange struct {
	pb.UnimplementedInterchangeServiceServer
	reg *registry
	svc *bank.Service
	log *slog.Logger
}

// maxWorkbookBytes bounds an XLSX import, which excelize reads whole (a
// CSV is read as it arrives): about 400,000 units.
const maxWorkbookBytes = 128 << 20

// fileFormat reads a request's format; allowed are the formats it may be.
func fileFormat(v *bank.Violations, f pb.SpreadsheetFormat, allowed ...pb.SpreadsheetFormat) spreadsheet.Format {
	if f == pb.SpreadsheetFormat_SPREADSHEET_FORMAT_UNSPECIFIED {
		f = allowed[0]
	}
	if !slices.Contains(allowed, f) {
		names := make([]string, len(allowed))
		for i, a := range allowed {
			names[i] = a.String()
		}
		v.Add("format", "%s is not one of %s", f, strings.Join(names, ", "))
		return 0
	}
	return map[pb.SpreadsheetFormat]spreadsheet.Format{pb.SpreadsheetFormat_SPREADSHEET_FORMAT_CSV: spreadsheet.CSV,
		pb.SpreadsheetFormat_SPREADSHEET_FORMAT_XLSX: spreadsheet.XLSX, pb.SpreadsheetFormat_SPREADSHEET_FORMAT_JSON: spreadsheet.JSON}[f]
}

// fileProblems turns a mapping's or a file's *spreadsheet.Error into
// INVALID_ARGUMENT naming each problem (field "mapping" for a mapping's
// lines, "content" for the file's).
func fileProblems(err error, msg string) error {
	var se *spreadsheet.Error
	if !errors.As(err, &se) {
		return err
	}
	var v bank.Violations
	for _, p := range se.Problems {
		field := "content"
		if p.Line > 0 {
			field = "mapping"
		}
		v.Add(field, "%s", p.String())
	}
	return v.Err(msg)
}

// ImportSpreadsheet reads the file as it arrives, turns each row into an
// ImportUnitsRequest and runs them through registry.importUnits, then
// puts the per-unit results back in the rows' terms.
func (x *interchange) ImportSpreadsheet(stream pb.InterchangeService_ImportSpreadsheetServer) error {
	ctx := stream.Context()
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return invalid("parent", errors.New("required: the first message names the bank"))
	}
	if err != nil {
		return err
	}
	var v bank.Violations
	parent := first.GetParent()
	if _, err := parseBankName(parent); err != nil {
		v.Add("parent", "%v", err)
	}
	if first.GetFormat() == pb.SpreadsheetFormat_SPREADSHEET_FORMAT_UNSPECIFIED {
		v.Add("format", "required: SPREADSHEET_FORMAT_CSV or SPREADSHEET_FORMAT_XLSX")
	}
	format := fileFormat(&v, first.GetFormat(), pb.SpreadsheetFormat_SPREADSHEET_FORMAT_CSV, pb.SpreadsheetFormat_SPREADSHEET_FORMAT_XLSX)
	mapping, err := spreadsheet.ParseMapping(first.GetMapping())
	if err != nil {
		var se *spreadsheet.Error
		errors.As(err, &se)
		for _, p := range se.Problems {
			v.Add("mapping", "%s", p.String())
		}
	}
	if err := v.Err("invalid spreadsheet import"); err != nil {
		return err
	}
	content := &contentReader{recv: stream.Recv, buf: first.GetContent(), parent: parent}
	var rows spreadsheet.RowReader
	if format == spreadsheet.XLSX {
		data, err := io.ReadAll(io.LimitReader(content, maxWorkbookBytes+1))
		if err != nil {
			return err
		}
		if len(data) > maxWorkbookBytes {
			return status.Errorf(codes.ResourceExhausted, "an XLSX import is at most %d bytes: split the workbook, or send it as CSV (read as it arrives, without a limit)", maxWorkbookBytes)
		}
		rows, err = spreadsheet.NewXLSXReader(data, first.GetSheet())
		if err != nil {
			return fileProblems(err, "the workbook cannot be imported")
		}
	} else if rows, err = spreadsheet.NewCSVReader(content); err != nil {
		return fileProblems(err, "the file cannot be imported")
	}
	b, err := spreadsheet.Bind(mapping, rows.Header(), format == spreadsheet.XLSX)
	if err != nil {
		return fileProblems(err, "the file's columns do not fit the mapping")
	}
	imp := &sheetImport{x: x, b: b, parent: parent, seen: map[unit.DIN]int{}}
	resp, err := x.reg.importUnits(ctx, func() (*pb.ImportUnitsRequest, error) { return imp.next(rows) }, first.GetDryRun())
	if err != nil {
		return err
	}
	return stream.SendAndClose(imp.response(resp, first.GetDryRun()))
}

// contentReader reads the file from the stream's content pieces.
type contentReader struct {
	recv   func() (*pb.ImportSpreadsheetRequest, error)
	buf    []byte
	parent string
	err    error
}

func (c *contentReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		m, err := c.recv()
		switch {
		case err != nil:
			c.err = err
		case m.GetParent() != "" && m.GetParent() != c.parent:
			c.err = invalid("parent", errors.New("every message of an import must name the same bank as the first"))
		default:
			c.buf = m.GetContent()
		}
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

// sheetImport is one spreadsheet import's rows on their way through the
// import path.
type sheetImport struct {
	x      *interchange
	b      *spreadsheet.Binding
	parent string
	// sent are the rows sent as units, by stream index: the row number
	// and its cells (one string, cells joined by \x1f, to keep 100,000
	// rows small until their results come back).
	sent []sentRow
	// decided are the rows refused before the import path saw them.
	decided []*pb.SpreadsheetRowResult
	seen    map[unit.DIN]int // DIN -> first row
}

type sentRow struct {
	row   int
	cells string
}

const cellSep = "\x1f"

// next returns the next row that can be sent as a unit, deciding the
// others itself: rows with unreadable cells and repeated DINs.
func (s *sheetImport) next(rows spreadsheet.RowReader) (*pb.ImportUnitsRequest, error) {
	for {
		row, cells, err := rows.Next()
		if err != nil {
			return nil, fileProblems(err, "the file cannot be read past this point; the rows before it were processed")
		}
		u, cerrs := s.b.Unit(cells)
		din := s.b.DIN(cells)
		if d, err := unit.ParseDIN(din); err == nil {
			if firstRow, dup := s.seen[d]; dup {
				e := s.b.Explain(cells, "unit.din", fmt.Sprintf("%s is on row %d too: a file lists each unit once", din, firstRow))
				cerrs = append(cerrs, e)
			} else {
				s.seen[d] = row
			}
		}
		if len(cerrs) == 0 {
			s.sent = append(s.sent, sentRow{row: row, cells: strings.Join(cells, cellSep)})
			return &pb.ImportUnitsRequest{Parent: s.parent, Unit: u}, nil
		}
		// Refused here; the domain's findings of the other fields are
		// added, so the row's result names every problem at once.
		res := &pb.SpreadsheetRowResult{Row: int32(row), Din: din, Outcome: pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_FAILED,
			Reason: pb.ErrorReason_INVALID_ARGUMENT}
		covered := map[string]bool{}
		for _, e := range cerrs {
			res.Errors = append(res.Errors, cellError(row, e))
			covered[e.Field] = true
		}
		if _, err := s.x.reg.unitRequest(s.parent, u); err != nil {
			for _, fv := range importError(err).GetViolations() {
				if !covered[fv.GetField()] {
					res.Errors = append(res.Errors, cellError(row, s.b.Explain(cells, fv.GetField(), fv.GetDescription())))
				}
			}
		}
		s.decided = append(s.decided, res)
	}
}

func cellError(row int, e spreadsheet.CellError) *pb.SpreadsheetCellError {
	return &pb.SpreadsheetCellError{Column: e.Column, Value: e.Value, Field: e.Field, Description: e.Description, Message: e.Message(row)}
}

// response puts the import's per-unit results back in rows.
func (s *sheetImport) response(resp *pb.ImportUnitsResponse, dryRun bool) *pb.ImportSpreadsheetResponse {
	out := &pb.ImportSpreadsheetResponse{DryRun: dryRun, IgnoredColumns: s.b.Ignored, Rows: s.decided}
	for _, r := range resp.GetResults() {
		sr := s.sent[r.GetIndex()]
		res := &pb.SpreadsheetRowResult{Row: int32(sr.row), Din: r.GetDin(), Name: r.GetName()}
		switch {
		case r.GetError() != nil:
			res.Outcome, res.Reason = pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_FAILED, r.GetError().GetReason()
			cells := strings.Split(sr.cells, cellSep)
			for _, fv := range r.GetError().GetViolations() {
				res.Errors = append(res.Errors, cellError(sr.row, s.b.Explain(cells, fv.GetField(), fv.GetDescription())))
			}
			if len(res.Errors) == 0 {
				res.Errors = append(res.Errors, cellError(sr.row, spreadsheet.CellError{Description: r.GetError().GetMessage()}))
			}
		case r.GetAlreadyPresent():
			res.Outcome = pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_ALREADY_PRESENT
		default:
			res.Outcome = pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_CREATED
		}
		out.Rows = append(out.Rows, res)
	}
	slices.SortFunc(out.Rows, func(a, b *pb.SpreadsheetRowResult) int { return cmp.Compare(a.GetRow(), b.GetRow()) })
	for _, r := range out.Rows {
		switch r.GetOutcome() {
		case pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_CREATED:
			out.CreatedCount++
		case pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_ALREADY_PRESENT:
			out.AlreadyPresentCount++
		default:
			out.FailedCount++
		}
	}
	return out
}
