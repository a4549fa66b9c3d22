package server_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cordbank/cordbank/bank/hla/freq"
	"github.com/cordbank/cordbank/bank/match"
	"github.com/cordbank/cordbank/internal/shareddata"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

// startWithSets starts a server graded against IPD-IMGT/HLA 3.24.0 with
// the four HEGL 2007 frequency sets loaded (HEGL_CAU the default).
func startWithSets(t *testing.T) (*servertest.Server, pb.RegistryServiceClient) {
	t.Helper()
	srv, c := startServerWithHLA(t, shareddata.Dir(t, "imgt-3.24.0"))
	sets, err := freq.LoadDir(shareddata.Dir(t, "frequencies", "hegl-2007"))
	if err != nil {
		t.Fatal(err)
	}
	ps, _, err := match.PredictorsFromSets(srv.Index.Grader(), sets, "CAU", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Index.SetPredictors(ps)
	return srv, c
}

// A search over gRPC and REST carries, per result, the probabilities and
// the set that made them; a fully typed 8/8 unit has P(8/8) 1, a 6/6 cord
// typed at the first field (C untyped) less. (IPD-IMGT/HLA 3.24.0, HEGL 2007.)
func TestSearchCarriesMatchProbabilities(t *testing.T) {
	srv, c := startWithSets(t)
	ctx := context.Background()
	pat := &pb.PatientTyping{GlString: "A*01:01+A*02:01^B*08:01+B*07:02^C*07:01+C*07:02^DRB1*03:01+DRB1*15:01", Population: "CAU"}
	full := searchUnit("G123426000001", "A*01:01+A*02:01", "B*08:01+B*07:02", "C*07:01+C*07:02", "DRB1*03:01+DRB1*15:01", 2e9)
	cord := searchUnit("G123426000002", "A*01:XX+A*02:XX", "B*08:XX+B*07:XX", "", "DRB1*03:01+DRB1*15:01", 3e9)
	cord.Hla = append(cord.Hla[:2], cord.Hla[3])
	for _, u := range []*pb.Unit{full, cord} {
		if _, err := c.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: u}); err != nil {
			t.Fatal(err)
		}
	}
	release(t, srv, "nybc", "G123426000001", "G123426000002")
	sc := pb.NewSearchServiceClient(grpcConn(t, srv))
	req := &pb.SearchUnitsRequest{Patient: pat, WeightKg: 20, Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT}
	resp, err := sc.SearchUnits(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetFrequencySet() != "HEGL_CAU" || len(resp.GetMatches()) != 2 {
		t.Fatalf("response %v", resp)
	}
	a, b := resp.GetMatches()[0], resp.GetMatches()[1]
	if a.GetUnit() != "banks/nybc/units/G123426000001" || a.GetProbability().GetP8Of8() != 1 || a.GetProbability().GetUnitGenotypes() != 1 {
		t.Errorf("first %v", a)
	}
	pb2 := b.GetProbability()
	t.Logf("6/6 cord: %v; %s", pb2, b.GetExplanation())
	if pb2.GetFrequencySet() != "HEGL_CAU" || pb2.GetNomenclatureVersion() != "2.16.0" || pb2.GetPopulation() != "CAU" ||
		!(pb2.GetP8Of8() > 0.5 && pb2.GetP8Of8() < 1) || pb2.GetUnitGenotypes() < 2 || pb2.GetLocusMatch()["C"] >= 1 ||
		b.GetDecidedBy() != "match_probability" {
		t.Errorf("second %v", b)
	}
	if s := pb2.GetP8Of8() + pb2.GetP7Of8() + pb2.GetP6OrFewerOf8(); s < 1-1e-9 || s > 1+1e-9 {
		t.Errorf("probabilities sum to %v", s)
	}
	// REST: the same fields in the JSON.
	raw := postSearch(t, srv, req)
	for _, want := range []string{`"frequencySet":"HEGL_CAU"`, `"p8of8":1`, `"p6of6"`, `"locusMatch"`} {
		if !strings.Contains(strings.ReplaceAll(string(raw), " ", ""), want) {
			t.Errorf("REST body lacks %s: %s", want, raw)
		}
	}
	// Probabilities off: none, and today's order.
	off := false
	req.MatchProbabilities = &off
	resp, err = sc.SearchUnits(ctx, req)
	if err != nil || resp.GetFrequencySet() != "" || resp.GetMatches()[0].GetProbability() != nil {
		t.Fatalf("probabilities off: %v %v", resp, err)
	}
	// An unknown population is named in the caller's field name.
	req.MatchProbabilities = nil
	req.Patient = &pb.PatientTyping{GlString: pat.GetGlString(), Population: "XYZ"}
	_, err = sc.SearchUnits(ctx, req)
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("unknown population: %v", err)
	}
	if _, br := errorInfo(t, err); len(br.GetFieldViolations()) != 1 || br.GetFieldViolations()[0].GetField() != "patient.population" {
		t.Errorf("violations %v", br.GetFieldViolations())
	}
}

// Without a frequency set, asking for probabilities is an error naming the field.
func TestMatchProbabilitiesNeedASet(t *testing.T) {
	srv, _ := start(t)
	on := true
	_, err := pb.NewSearchServiceClient(grpcConn(t, srv)).SearchUnits(context.Background(), &pb.SearchUnitsRequest{
		Patient: patient, WeightKg: 20, Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT, MatchProbabilities: &on})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("err = %v", err)
	}
	if _, br := errorInfo(t, err); len(br.GetFieldViolations()) != 1 || br.GetFieldViolations()[0].GetField() != "match_probabilities" {
		t.Errorf("violations %v", br.GetFieldViolations())
	}
}

// Issue 13: a serological GL String is a patient typing like any other
// (it was refused with `unknown locus "DR"`).
func TestSerologicalPatientGLString(t *testing.T) {
	srv, c := start(t)
	ctx := context.Background()
	u := searchUnit("G123426000001", "A*02:01+A*24:02", "B*07:02+B*44:02", "C*05:01+C*07:02", "DRB1*15:01+DRB1*04:01", 2e9)
	if _, err := c.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: u}); err != nil {
		t.Fatal(err)
	}
	release(t, srv, "nybc", "G123426000001")
	sc := pb.NewSearchServiceClient(grpcConn(t, srv))
	for _, gl := range []string{"A2+A24^B7+B44^DR15+DR4", "A2+A24^B*07:02+B44^DR15+DRB1*04:01", "hla#3.24.0#HLA-A2+HLA-A24^HLA-B7+HLA-B44^HLA-DR15+HLA-DR4"} {
		resp, err := sc.SearchUnits(ctx, &pb.SearchUnitsRequest{Patient: &pb.PatientTyping{GlString: gl}, WeightKg: 20,
			Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT, Criterion: pb.MatchCriterion_MATCH_CRITERION_SIX_OF_SIX})
		if err != nil {
			t.Fatalf("%s: %v", gl, err)
		}
		if len(resp.GetMatches()) != 1 || resp.GetMatches()[0].GetGrade().GetTotal() != 6 {
			t.Errorf("%s: %v", gl, resp.GetMatches())
		}
	}
	// Loci that do not belong together are still refused.
	_, err := sc.SearchUnits(ctx, &pb.SearchUnitsRequest{Patient: &pb.PatientTyping{GlString: "A2+B7^DR15+DR4"}, WeightKg: 20,
		Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT, Criterion: pb.MatchCriterion_MATCH_CRITERION_SIX_OF_SIX})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("mixed loci: %v", err)
	}
}

// postSearch posts req to the REST search and returns the body.
func postSearch(t *testing.T, srv *servertest.Server, req *pb.SearchUnitsRequest) []byte {
	t.Helper()
	body, _ := protojson.Marshal(req)
	resp, err := srv.HTTPClient().Post(srv.HTTPURL+"/v1/units:search", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
