package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// maxImportLineBytes bounds one NDJSON line of a REST import, and so the
// memory one import request holds at a time: the limit of one gRPC
// message (a unit is a few kilobytes).
const maxImportLineBytes = MaxMessageBytes

// restImport serves POST /v1/units:import in place of the generated
// gateway handler, which cannot say what an import stored when the body
// goes wrong midway: it reads the body line by line (one
// ImportUnitsRequest per line, blank lines skipped), streams each to the
// gRPC ImportUnits, and at a malformed or overlong line stops sending,
// lets the server finish the lines before it, and answers 400 (413 for
// an overlong line) with the line number, an ImportProgress and the
// results of the lines before it. Whatever the server answers itself
// (including its own ImportProgress on a failed stream) passes through.
func (s *Server) restImport(conn *grpc.ClientConn, gw *runtime.ServeMux, m runtime.Marshaler) http.Handler {
	client := pb.NewRegistryServiceClient(conn)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		ctx, err := runtime.AnnotateContext(ctx, gw, r, pb.RegistryService_ImportUnits_FullMethodName, runtime.WithHTTPPathPattern("/v1/units:import"))
		if err != nil {
			runtime.HTTPError(ctx, gw, m, w, r, err)
			return
		}
		stream, err := client.ImportUnits(ctx)
		if err != nil {
			runtime.HTTPError(ctx, gw, m, w, r, err)
			return
		}
		bad := sendImportLines(stream, r.Body)
		resp, err := stream.CloseAndRecv()
		jsonImportPaths(resp)
		switch {
		case err != nil:
			// The server's own answer (a refused message, its progress)
			// says more than the line that was being read.
			runtime.HTTPError(ctx, gw, m, w, r, err)
		case bad != nil:
			httpStatus := http.StatusBadRequest
			if bad.tooLarge {
				httpStatus = http.StatusRequestEntityTooLarge
			}
			writeHTTPError(w, r, s, httpStatus, bad.status(resp))
		default:
			w.Header().Set("Content-Type", m.ContentType(resp))
			body, err := m.Marshal(resp)
			if err != nil {
				runtime.HTTPError(ctx, gw, m, w, r, err)
				return
			}
			_, _ = w.Write(body)
		}
	})
}

// jsonImportPaths rewrites the field paths of resp's per-unit violations
// (proto names, unit.cells.post_processing_tnc) to the JSON names a REST
// caller sent (unit.cells.postProcessingTnc), as the gateway does for
// error details.
func jsonImportPaths(resp *pb.ImportUnitsResponse) {
	md := (&pb.ImportUnitsRequest{}).ProtoReflect().Descriptor()
	for _, r := range resp.GetResults() {
		for _, v := range r.GetError().GetViolations() {
			v.Field, _ = resolveFieldPath(md, v.GetField())
		}
	}
}

// badLine is why a REST import stopped reading its body.
type badLine struct {
	line     int // 1-based
	tooLarge bool
	msg      string
}

// sendImportLines streams body's lines to stream until the body ends, a
// line is bad (returned), or the server stops the stream.
func sendImportLines(stream pb.RegistryService_ImportUnitsClient, body io.Reader) *badLine {
	rd := bufio.NewReaderSize(body, 64<<10)
	var line []byte
	unmarshal := protojson.UnmarshalOptions{DiscardUnknown: false}
	for n := 1; ; n++ {
		var tooLong bool
		var err error
		line, tooLong, err = readLine(rd, line[:0], maxImportLineBytes)
		if tooLong {
			return &badLine{line: n, tooLarge: true, msg: fmt.Sprintf("line %d is longer than %d bytes: send one unit per line", n, maxImportLineBytes)}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return &badLine{line: n, tooLarge: true, msg: fmt.Sprintf("the import body is larger than %d bytes: split it into several imports", mbe.Limit)}
			}
			return &badLine{line: n, msg: "reading the request body: " + err.Error()}
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			var req pb.ImportUnitsRequest
			if uerr := unmarshal.Unmarshal(trimmed, &req); uerr != nil {
				msg := fmt.Sprintf("line %d is not an ImportUnitsRequest: %v", n, uerr)
				// protojson names an enum's field, not its path or values.
				for _, v := range bodyEnumViolations(trimmed, req.ProtoReflect().Descriptor(), "").List() {
					msg += "; " + v.Field + ": " + v.Description
				}
				return &badLine{line: n, msg: msg}
			}
			if serr := stream.Send(&req); serr != nil {
				return nil // the server ended the stream: CloseAndRecv has its answer
			}
		}
		if err != nil { // io.EOF
			return nil
		}
	}
}

// readLine appends the next line of rd (without its newline) to buf. A
// line longer than limit is not kept: tooLong is set once it is passed.
func readLine(rd *bufio.Reader, buf []byte, limit int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := rd.ReadSlice('\n')
		if len(buf)+len(chunk) > limit+1 { // +1: the newline
			return buf, true, nil
		}
		buf = append(buf, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimSuffix(buf, []byte("\n")), false, err
	}
}

// status is the answer to an import stopped at a bad line: what the line
// was, what the lines before it did (resp, the server's answer to them),
// and the progress in the same terms as a failed gRPC stream.
func (b *badLine) status(resp *pb.ImportUnitsResponse) error {
	committed := len(resp.GetResults())
	reason := "MALFORMED_REQUEST"
	if b.tooLarge {
		reason = reasonTooLarge
	}
	units := "units"
	if committed == 1 {
		units = "unit"
	}
	msg := fmt.Sprintf("%s; the %d %s before it were processed (%d created, %d already present, %d refused) and nothing after it was stored",
		b.msg, committed, units, resp.GetCreatedCount(), resp.GetAlreadyPresentCount(), resp.GetFailedCount())
	st := status.New(codes.InvalidArgument, msg)
	withDetails, err := st.WithDetails(
		&errdetails.ErrorInfo{Reason: reason, Domain: ErrorDomain, Metadata: map[string]string{
			"line": strconv.Itoa(b.line), "units_committed": strconv.Itoa(committed)}},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "line " + strconv.Itoa(b.line), Description: b.msg}}},
		&pb.ImportProgress{UnitsReceived: int32(committed), UnitsCommitted: int32(committed),
			CreatedCount: resp.GetCreatedCount(), AlreadyPresentCount: resp.GetAlreadyPresentCount(), FailedCount: resp.GetFailedCount()},
		resp,
	)
	if err != nil {
		return st.Err()
	}
	return withDetails.Err()
}
