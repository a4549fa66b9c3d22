package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/hml"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// typing implements pb.TypingServiceServer: it reads an HML report
// (internal/hml) and hands the samples to the domain's ApplyTypingReport.
type typing struct {
	pb.UnimplementedTypingServiceServer
	svc *bank.Service
}

var typingOutcomes = map[bank.TypingOutcome]pb.TypingReportOutcome{
	bank.TypingConfirmed:  pb.TypingReportOutcome_TYPING_REPORT_OUTCOME_CONFIRMED,
	bank.TypingExtended:   pb.TypingReportOutcome_TYPING_REPORT_OUTCOME_EXTENDED,
	bank.TypingUnchanged:  pb.TypingReportOutcome_TYPING_REPORT_OUTCOME_UNCHANGED,
	bank.TypingDiscrepant: pb.TypingReportOutcome_TYPING_REPORT_OUTCOME_DISCREPANT,
}

func (t *typing) ImportTypingReport(ctx context.Context, req *pb.ImportTypingReportRequest) (*pb.ImportTypingReportResponse, error) {
	var v bank.Violations
	bankID, err := parseBankName(req.GetParent())
	if err != nil {
		v.Add("parent", "%v", err)
	}
	if len(req.GetHml()) == 0 {
		v.Add("hml", "required: the HML document")
	}
	if v.Len() > 0 {
		return nil, v.Err("invalid typing report")
	}
	rep, err := hml.Parse(req.GetHml())
	var se *hml.SchemaError
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			v.Add("hml", "%s", p)
		}
		return nil, v.Err("the report fails the HML 1.0 schema")
	} else if err != nil {
		return nil, err
	}
	r := bank.TypingReport{Bank: bankID, Source: reportSource(rep), Field: "hml"}
	for _, s := range rep.Samples {
		calls, probs := hml.HLACalls(s)
		for _, p := range probs {
			v.Add("hml", "%s", p)
		}
		smp := bank.ReportedSample{ID: s.ID, Where: "line " + strconv.Itoa(s.Line)}
		for _, c := range calls {
			smp.Typings = append(smp.Typings, bank.ReportedTyping{Locus: c.Locus, Text: c.Text, Where: "line " + strconv.Itoa(c.Line),
				AlleleDB: c.AlleleDB, Release: c.Release, NamedWhere: "line " + strconv.Itoa(c.AssignmentLine), TypingDate: c.TypingDate, Methods: c.Methods})
		}
		r.Samples = append(r.Samples, smp)
	}
	if v.Len() > 0 {
		return nil, v.Err("invalid typing report")
	}
	results, err := t.svc.ApplyTypingReport(ctx, r)
	if err != nil {
		return nil, err
	}
	out := &pb.ImportTypingReportResponse{ReportId: rep.ID, ReportingCenter: rep.ReportingCenter}
	for _, res := range results {
		sr := &pb.TypingReportSampleResult{SampleId: res.SampleID, Unit: res.Unit.Name(), Outcome: typingOutcomes[res.Outcome],
			AddedLoci: res.Added, UpdatedLoci: res.Updated, KeptLoci: res.Kept, DiscrepantLoci: res.Discrepant,
			Reservation: res.Reservation, AlleleReleases: res.Releases}
		sr.Etag = bank.Etag(res.Unit.Version)
		out.Samples = append(out.Samples, sr)
	}
	return out, nil
}

// reportSource names a report in audit events.
func reportSource(rep *hml.Report) string {
	s := "HML " + rep.Version + " report"
	if rep.ID != "" {
		s += " " + rep.ID
	}
	if rep.ReportingCenter != "" {
		s += " from reporting centre " + rep.ReportingCenter
	}
	return s
}

// maxHMLBodyBytes bounds an HML file sent as the body: the gRPC message
// limit, less room for the rest of the request, so a file the REST layer
// takes is never refused one hop later.
const maxHMLBodyBytes = MaxMessageBytes - 1<<10

// typingReportPattern is the REST binding of ImportTypingReport.
const typingReportPattern = "/v1/{parent=banks/*}/units:importTypingReport"

// restTypingReport takes an HML file as the request body (Content-Type
// application/xml or text/xml) for ImportTypingReport, so a laboratory's
// file is sent as it is; a JSON body (hml in base64) goes on to json.
func (s *Server) restTypingReport(conn *grpc.ClientConn, gw *runtime.ServeMux, m runtime.Marshaler, json http.Handler) http.Handler {
	client := pb.NewTypingServiceClient(conn)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/xml" && mt != "text/xml" {
			json.ServeHTTP(w, r)
			return
		}
		r, ok := s.guardBody(w, r, maxHMLBodyBytes)
		if !ok {
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			if over := bodyOverLimit(r.Context()); over != nil {
				err = over
			}
			writeHTTPError(w, r, s, 0, err)
			return
		}
		ctx, err := runtime.AnnotateContext(r.Context(), gw, r, pb.TypingService_ImportTypingReport_FullMethodName, runtime.WithHTTPPathPattern(typingReportPattern))
		if err != nil {
			runtime.HTTPError(ctx, gw, m, w, r, err)
			return
		}
		resp, err := client.ImportTypingReport(ctx, &pb.ImportTypingReportRequest{Parent: bankName(r.PathValue("bank")), Hml: body})
		if err != nil {
			runtime.HTTPError(ctx, gw, m, w, r, err)
			return
		}
		out, err := m.Marshal(resp)
		if err != nil {
			runtime.HTTPError(ctx, gw, m, w, r, fmt.Errorf("marshal the answer: %w", err))
			return
		}
		w.Header().Set("Content-Type", m.ContentType(resp))
		_, _ = w.Write(out)
	})
}
