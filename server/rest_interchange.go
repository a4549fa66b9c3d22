package server

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/cordbank/cordbank/internal/spreadsheet"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// importPieceBytes is the size of the content pieces a REST spreadsheet
// import sends to the gRPC stream.
const importPieceBytes = 1 << 20

// restImportSpreadsheet serves POST /v1/units:importSpreadsheet in place
// of the generated handler, which takes only JSON: the body is the file
// itself (text/csv or the XLSX media type; `format` otherwise) or a
// multipart/form-data body with the parts `file` and optionally
// `mapping`. The other fields are query parameters. It streams the file
// to the gRPC ImportSpreadsheet in pieces.
func (s *Server) restImportSpreadsheet(conn *grpc.ClientConn, gw *runtime.ServeMux, m runtime.Marshaler) http.Handler {
	client := pb.NewInterchangeServiceClient(conn)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		ctx, err := runtime.AnnotateContext(ctx, gw, r, pb.InterchangeService_ImportSpreadsheet_FullMethodName, runtime.WithHTTPPathPattern("/v1/units:importSpreadsheet"))
		if err != nil {
			runtime.HTTPError(ctx, gw, m, w, r, err)
			return
		}
		first := &pb.ImportSpreadsheetRequest{}
		if err := runtime.PopulateQueryParameters(first, r.URL.Query(), utilities.NewDoubleArray(nil)); err != nil {
			runtime.HTTPError(ctx, gw, m, w, r, status.Error(codes.InvalidArgument, err.Error()))
			return
		}
		file, err := s.spreadsheetBody(r, first)
		if err != nil {
			runtime.HTTPError(ctx, gw, m, w, r, err)
			return
		}
		if c, ok := file.(io.Closer); ok && file != r.Body {
			defer c.Close()
		}
		stream, err := client.ImportSpreadsheet(ctx)
		if err != nil {
			runtime.HTTPError(ctx, gw, m, w, r, err)
			return
		}
		buf := make([]byte, importPieceBytes)
		msg := first
		for {
			n, rerr := io.ReadFull(file, buf)
			if n > 0 || msg != nil {
				if msg == nil {
					msg = &pb.ImportSpreadsheetRequest{}
				}
				msg.Content = buf[:n]
				if serr := stream.Send(msg); serr != nil {
					break // the server ended the stream: CloseAndRecv has its answer
				}
				msg = nil
			}
			if rerr != nil {
				if !errors.Is(rerr, io.EOF) && !errors.Is(rerr, io.ErrUnexpectedEOF) {
					cancel()
					if tooBig := bodyOverLimit(r.Context()); tooBig != nil {
						rerr = tooBig
					}
					writeHTTPError(w, r, s, 0, status.Error(codes.InvalidArgument, "reading the request body: "+rerr.Error()))
					return
				}
				break
			}
		}
		resp, err := stream.CloseAndRecv()
		if err != nil {
			runtime.HTTPError(ctx, gw, m, w, r, err)
			return
		}
		// Violations name fields as a REST caller does (JSON names).
		md := (&pb.ImportUnitsRequest{}).ProtoReflect().Descriptor()
		for _, row := range resp.GetRows() {
			for _, e := range row.GetErrors() {
				if e.GetField() != "" {
					e.Field, _ = resolveFieldPath(md, e.GetField())
				}
			}
		}
		body, err := m.Marshal(resp)
		if err != nil {
			runtime.HTTPError(ctx, gw, m, w, r, err)
			return
		}
		w.Header().Set("Content-Type", m.ContentType(resp))
		_, _ = w.Write(body)
	})
}

// spreadsheetBody returns the file of a REST import and fills first's
// format and mapping from the body's content type and parts.
func (s *Server) spreadsheetBody(r *http.Request, first *pb.ImportSpreadsheetRequest) (io.Reader, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil && r.Header.Get("Content-Type") != "" {
		return nil, status.Error(codes.InvalidArgument, "unreadable Content-Type: "+err.Error())
	}
	formatOf := func(mt string) {
		if first.Format != pb.SpreadsheetFormat_SPREADSHEET_FORMAT_UNSPECIFIED {
			return
		}
		switch mt {
		case "text/csv":
			first.Format = pb.SpreadsheetFormat_SPREADSHEET_FORMAT_CSV
		case spreadsheet.XLSX.ContentType():
			first.Format = pb.SpreadsheetFormat_SPREADSHEET_FORMAT_XLSX
		}
	}
	if mt != "multipart/form-data" {
		formatOf(mt)
		return r.Body, nil
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var spooled *os.File // the file part, when parts follow it
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) && spooled != nil {
			if _, err := spooled.Seek(0, io.SeekStart); err != nil {
				return nil, err
			}
			return spooled, nil
		}
		if err != nil {
			if spooled != nil {
				spooled.Close()
			}
			return nil, status.Error(codes.InvalidArgument, "the multipart body has no part named file (the spreadsheet): "+err.Error())
		}
		switch part.FormName() {
		case "mapping":
			b, err := io.ReadAll(io.LimitReader(part, 64<<10+1))
			if err != nil {
				return nil, status.Error(codes.InvalidArgument, "reading the mapping part: "+err.Error())
			}
			first.Mapping = string(b)
		case "file":
			pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
			formatOf(pt)
			if first.Format == pb.SpreadsheetFormat_SPREADSHEET_FORMAT_UNSPECIFIED {
				switch name := strings.ToLower(part.FileName()); {
				case strings.HasSuffix(name, ".csv"):
					first.Format = pb.SpreadsheetFormat_SPREADSHEET_FORMAT_CSV
				case strings.HasSuffix(name, ".xlsx"):
					first.Format = pb.SpreadsheetFormat_SPREADSHEET_FORMAT_XLSX
				}
			}
			if first.Mapping != "" {
				return part, nil // nothing else to wait for: stream it
			}
			// A mapping part may follow the file (curl sends parts in
			// the order given): keep the file on disk meanwhile. The
			// caller closes it, and it is removed at once (unlinked).
			f, err := os.CreateTemp("", "cordbank-import-*")
			if err != nil {
				return nil, err
			}
			_ = os.Remove(f.Name())
			if _, err := io.Copy(f, part); err != nil {
				f.Close()
				if tooBig := bodyOverLimit(r.Context()); tooBig != nil {
					return nil, tooBig
				}
				return nil, status.Error(codes.InvalidArgument, "reading the file part: "+err.Error())
			}
			spooled = f
		}
	}
}

// restExportUnits serves GET /v1/banks/{bank}/units:export in place of
// the generated handler, which would write a newline after every piece
// of the file: the body is the file, as the gRPC stream's pieces arrive.
// An error before the first piece is an ordinary error answer; one after
// it aborts the response, so a client never takes a cut file for a
// whole one.
func (s *Server) restExportUnits(conn *grpc.ClientConn, gw *runtime.ServeMux, m runtime.Marshaler) http.Handler {
	client := pb.NewInterchangeServiceClient(conn)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		ctx, err := runtime.AnnotateContext(ctx, gw, r, pb.InterchangeService_ExportUnits_FullMethodName, runtime.WithHTTPPathPattern("/v1/{parent=banks/*}/units:export"))
		if err != nil {
			runtime.HTTPError(ctx, gw, m, w, r, err)
			return
		}
		req := &pb.ExportUnitsRequest{}
		if err := runtime.PopulateQueryParameters(req, r.URL.Query(), utilities.NewDoubleArray(nil)); err != nil {
			runtime.HTTPError(ctx, gw, m, w, r, status.Error(codes.InvalidArgument, err.Error()))
			return
		}
		req.Parent = bankName(r.PathValue("bank"))
		stream, err := client.ExportUnits(ctx, req)
		if err != nil {
			runtime.HTTPError(ctx, gw, m, w, r, err)
			return
		}
		wrote := false
		for {
			piece, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if !wrote {
					runtime.HTTPError(ctx, gw, m, w, r, err)
					return
				}
				panic(http.ErrAbortHandler)
			}
			if !wrote {
				setDownloadHeaders(w, piece, "units")
				wrote = true
			}
			if _, err := w.Write(piece.GetData()); err != nil {
				return
			}
		}
	})
}

// setDownloadHeaders names a file answer for browsers and clients that
// save it.
func setDownloadHeaders(w http.ResponseWriter, b *httpbody.HttpBody, name string) {
	w.Header().Set("Content-Type", b.GetContentType())
	ext := "csv"
	for _, f := range []spreadsheet.Format{spreadsheet.XLSX, spreadsheet.JSON} {
		if b.GetContentType() == f.ContentType() {
			ext = f.Extension()
		}
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+"."+ext+`"`)
}

// reportDownload is a forward-response option of the gateway: a report
// (an HttpBody answer) is a file to save.
func reportDownload(_ context.Context, w http.ResponseWriter, resp proto.Message) error {
	if b, ok := resp.(*httpbody.HttpBody); ok {
		setDownloadHeaders(w, b, "report")
	}
	return nil
}

// spreadsheetBodyLimit caps a REST spreadsheet import's body as a REST
// NDJSON import's is capped.
func (s *Server) spreadsheetBodyLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, ok := s.guardBody(w, r, maxImportBodyBytes)
		if !ok {
			return
		}
		next.ServeHTTP(w, r)
	})
}
