package server_test

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/match"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/client"
	"github.com/cordbank/cordbank/internal/synth"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server"
	"github.com/cordbank/cordbank/server/servertest"
)

// release takes units out of quarantine (the lifecycle method).
func release(t *testing.T, srv *servertest.Server, bankID string, dins ...string) {
	t.Helper()
	for _, d := range dins {
		if _, err := srv.Service.Transition(context.Background(), bank.TransitionRequest{Bank: bankID, DIN: unit.DIN(d), Action: lifecycle.ActionRelease}); err != nil {
			t.Fatal(err)
		}
	}
}

func searchUnit(din, a, b, c, drb1 string, tnc float64) *pb.Unit {
	u := validUnit(din)
	u.Cells.PostProcessingTnc = tnc
	u.Cells.PreProcessingTnc = nil
	u.Hla = []*pb.LocusTyping{{Locus: "A", Typing: a}, {Locus: "B", Typing: b}, {Locus: "C", Typing: c}, {Locus: "DRB1", Typing: drb1}}
	return u
}

var patient = &pb.PatientTyping{Hla: []*pb.LocusTyping{
	{Locus: "A", Typing: "A*02:01+A*24:02"}, {Locus: "B", Typing: "B*07:02+B*44:02"},
	{Locus: "C", Typing: "C*05:01+C*07:02"}, {Locus: "DRB1", Typing: "DRB1*04:01+DRB1*15:01"},
}, Abo: pb.ABO_ABO_O}

func TestSearchUnits(t *testing.T) {
	srv, c := start(t)
	ctx := context.Background()
	units := []*pb.Unit{
		searchUnit("G123426000001", "A*02:01+A*24:02", "B*07:02+B*44:02", "C*05:01+C*07:02", "DRB1*04:01+DRB1*15:01", 1.2e9), // 8/8
		searchUnit("G123426000002", "A*02:01+A*24:02", "B*07:02+B*44:02", "C*05:01+C*07:02", "DRB1*04:01+DRB1*15:01", 2.4e9), // 8/8, more cells
		searchUnit("G123426000003", "A*02:01+A*02:01", "B*07:02+B*44:02", "C*05:01+C*07:02", "DRB1*04:01+DRB1*15:01", 3.0e9), // 7/8 GvH-only
		searchUnit("G123426000004", "A*01:01+A*03:01", "B*08:01+B*35:01", "C*04:01+C*07:01", "DRB1*03:01+DRB1*13:01", 3.0e9), // 0/8
		searchUnit("G123426000005", "A*02:01+A*24:02", "B*07:02+B*44:02", "C*05:01+C*07:02", "DRB1*04:01+DRB1*15:01", 1.2e9), // stays in quarantine
	}
	for _, u := range units {
		if _, err := c.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: u}); err != nil {
			t.Fatal(err)
		}
	}
	release(t, srv, "nybc", "G123426000001", "G123426000002", "G123426000003", "G123426000004")

	req := &pb.SearchUnitsRequest{Patient: patient, WeightKg: 20, Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT}
	resp, err := pb.NewSearchServiceClient(grpcConn(t, srv)).SearchUnits(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range resp.GetMatches() {
		got = append(got, fmt.Sprintf("%s %d/%d", m.GetUnit()[len("banks/nybc/units/"):], m.GetGrade().GetTotal(), m.GetGrade().GetOutOf()))
	}
	want := []string{"G123426000002 8/8", "G123426000001 8/8", "G123426000003 7/8"}
	if !slices.Equal(got, want) {
		t.Fatalf("ranking = %v, want %v", got, want)
	}
	first, second, third := resp.GetMatches()[0], resp.GetMatches()[1], resp.GetMatches()[2]
	if first.GetTncPerKg() != 2.4e9/20 || !first.GetDoseAdequate() || first.GetDecidedBy() != "" || first.GetRank() != 1 {
		t.Errorf("first = %v", first)
	}
	if second.GetDecidedBy() != "tnc_dose" || third.GetDecidedBy() != "match_count" {
		t.Errorf("decided by: %q, %q", second.GetDecidedBy(), third.GetDecidedBy())
	}
	if third.GetGrade().GetDirection() != pb.MismatchDirection_MISMATCH_DIRECTION_GVH_ONLY || third.GetExplanation() == "" {
		t.Errorf("third = %v", third)
	}
	if resp.GetExcluded()["match_grade"] != 1 {
		t.Errorf("excluded = %v", resp.GetExcluded())
	}

	// The same search over REST gives the same ranking.
	body, _ := protojson.Marshal(req)
	hresp, err := srv.HTTPClient().Post(srv.HTTPURL+"/v1/units:search", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(hresp.Body)
	hresp.Body.Close()
	var rest pb.SearchUnitsResponse
	if err := protojson.Unmarshal(raw, &rest); err != nil || len(rest.GetMatches()) != 3 || rest.GetMatches()[0].GetUnit() != first.GetUnit() {
		t.Fatalf("REST search: %v %s", err, raw)
	}

	// And through the SDK, with a GL String patient.
	sdk, err := client.New(srv.GRPCAddr, client.WithToken(srv.AdminToken()))
	if err != nil {
		t.Fatal(err)
	}
	defer sdk.Close()
	gl := &pb.SearchUnitsRequest{Patient: &pb.PatientTyping{GlString: "A*02:01+A*24:02^B*07:02+B*44:02^C*05:01+C*07:02^DRB1*04:01+DRB1*15:01"},
		WeightKg: 20, Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT, MaxMismatches: ptr32(0)}
	sres, err := sdk.SearchUnits(ctx, gl)
	if err != nil || len(sres.GetMatches()) != 2 {
		t.Fatalf("SDK 8/8-only search = %v, %v", sres, err)
	}

	// A write is visible to the next search: unit 2 retyped at A drops to 7/8.
	u2, _ := c.GetUnit(ctx, &pb.GetUnitRequest{Name: "banks/nybc/units/G123426000002"})
	_, err = c.UpdateUnit(ctx, &pb.UpdateUnitRequest{Unit: &pb.Unit{Name: u2.GetName(), Etag: u2.GetEtag(),
		Hla: append([]*pb.LocusTyping{{Locus: "A", Typing: "A*02:01+A*01:01"}}, u2.GetHla()[1:]...)}})
	if err != nil {
		t.Fatal(err)
	}
	sres, err = sdk.SearchUnits(ctx, gl)
	if err != nil || len(sres.GetMatches()) != 1 || sres.GetMatches()[0].GetUnit() != "banks/nybc/units/G123426000001" {
		t.Fatalf("after update: %v, %v", sres, err)
	}
}

func ptr32(n int32) *int32 { return &n }

func TestSearchBadInput(t *testing.T) {
	srv, _ := start(t)
	sc := pb.NewSearchServiceClient(grpcConn(t, srv))
	noC := &pb.PatientTyping{Hla: patient.GetHla()[:2]} // A and B only
	for _, tc := range []struct {
		name   string
		req    *pb.SearchUnitsRequest
		fields []string
	}{
		{"missing loci and weight", &pb.SearchUnitsRequest{Patient: noC, Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT},
			[]string{"patient.hla.c", "patient.hla.drb1", "weight_kg"}},
		{"implausible weight, no disease", &pb.SearchUnitsRequest{Patient: patient, WeightKg: 900}, []string{"weight_kg", "disease"}},
		{"unknown antibody", &pb.SearchUnitsRequest{Patient: patient, WeightKg: 20, Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT,
			Antibodies: []*pb.Antibody{{Specificity: "A2", Mfi: 3000}, {Specificity: "Q99", Mfi: 3000}}}, []string{"antibodies[1].specificity"}},
		{"contradictory overrides", &pb.SearchUnitsRequest{Patient: patient, WeightKg: 20, Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT,
			MaxMismatches: ptr32(1), Policy: &pb.SearchPolicy{MinMatches: ptr32(8)}}, []string{"max_mismatches"}},
		{"both typings", &pb.SearchUnitsRequest{Patient: &pb.PatientTyping{Hla: patient.GetHla(), GlString: "A*01:01"}, WeightKg: 20,
			Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT}, []string{"patient.gl_string"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sc.SearchUnits(context.Background(), tc.req)
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("err = %v", err)
			}
			_, br := errorInfo(t, err)
			var got []string
			for _, v := range br.GetFieldViolations() {
				got = append(got, v.GetField())
			}
			for _, f := range tc.fields {
				if !slices.Contains(got, f) {
					t.Errorf("violations %v lack %s", got, f)
				}
			}
		})
	}
}

func TestSearchPrivateUnits(t *testing.T) {
	srv, c := start(t)
	ctx := context.Background()
	u := searchUnit("G123426000001", "A*02:01+A*24:02", "B*07:02+B*44:02", "C*05:01+C*07:02", "DRB1*04:01+DRB1*15:01", 1.2e9)
	u.UnitType = pb.UnitType_UNIT_TYPE_AUTOLOGOUS
	if _, err := c.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: u}); err != nil {
		t.Fatal(err)
	}
	release(t, srv, "nybc", "G123426000001")
	sc := pb.NewSearchServiceClient(grpcConn(t, srv))
	req := &pb.SearchUnitsRequest{Patient: patient, WeightKg: 20, Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT}
	pub, err := sc.SearchUnits(ctx, req)
	if err != nil || len(pub.GetMatches()) != 0 {
		t.Fatalf("public search found a private unit: %v %v", pub, err)
	}
	own, err := sc.SearchBankUnits(ctx, &pb.SearchBankUnitsRequest{Bank: "banks/nybc", Search: req})
	if err != nil || len(own.GetMatches()) != 1 {
		t.Fatalf("bank search = %v, %v", own, err)
	}
	_, err = sc.SearchBankUnits(ctx, &pb.SearchBankUnitsRequest{Bank: "banks/nybc", Search: &pb.SearchUnitsRequest{Patient: patient}})
	if _, br := errorInfo(t, err); status.Code(err) != codes.InvalidArgument || !strings.HasPrefix(br.GetFieldViolations()[0].GetField(), "search.") {
		t.Fatalf("wrapped violations: %v", err)
	}
}

// TestIndexStaysInSyncUnderConcurrentWrites: clients create and update
// units while others search; afterwards the live index answers exactly
// like an index rebuilt from the store.
func TestIndexStaysInSyncUnderConcurrentWrites(t *testing.T) {
	srv, c := start(t)
	ctx := context.Background()
	g := synth.New("nybc", "G1234", testNow, 5)
	var wg sync.WaitGroup
	units := g.Units(120)
	// The generator is not safe for concurrent use: draw the retypings now.
	retype := make([]string, len(units))
	for i := range retype {
		retype[i] = g.HLA("A")
	}
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(units); i += 4 {
				u := units[i]
				created, err := c.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: toWire(u)})
				if err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 { // retype one locus
					h := created.GetHla()
					h[0] = &pb.LocusTyping{Locus: "A", Typing: retype[i]}
					if _, err := c.UpdateUnit(ctx, &pb.UpdateUnitRequest{Unit: &pb.Unit{Name: created.GetName(), Etag: created.GetEtag(), Hla: h}}); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 30 {
				if _, err := srv.Index.Search(ctx, &match.Request{Patient: match.Patient{HLA: typingsOf(patient)}, WeightKg: 20, Disease: match.Malignant}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Release every unit, then compare with a fresh index built from the store.
	var dins []string
	for _, u := range units {
		dins = append(dins, string(u.DIN))
	}
	release(t, srv, "nybc", dins...)
	fresh := match.NewIndex(match.NewGrader(nil))
	if err := server.BuildIndex(ctx, srv.Service, fresh); err != nil {
		t.Fatal(err)
	}
	for _, crit := range []match.Criterion{match.Criterion6of6, match.Criterion8of8} {
		req := &match.Request{Patient: match.Patient{HLA: typingsOf(patient)}, WeightKg: 20, Disease: match.Malignant, Criterion: crit, PageSize: 1000,
			Policy: match.Overrides{MinMatches: new(0)}}
		live, err1 := srv.Index.Search(ctx, req)
		rebuilt, err2 := fresh.Search(ctx, req)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if a, b := summary(live), summary(rebuilt); a != b || live.TotalSize == 0 {
			t.Fatalf("%s: live index differs from the store (total %d):\n%s\nvs\n%s", crit, live.TotalSize, a, b)
		}
	}
}

func summary(r *match.Result) string {
	var b strings.Builder
	for _, m := range r.Matches {
		fmt.Fprintf(&b, "%s %s %.0f\n", m.DIN, m.Grade.String(), m.TNCPerKg)
	}
	return b.String()
}

func typingsOf(p *pb.PatientTyping) []bank.LocusTyping {
	var out []bank.LocusTyping
	for _, t := range p.GetHla() {
		out = append(out, bank.LocusTyping{Locus: t.GetLocus(), Text: t.GetTyping()})
	}
	return out
}

// grpcConn is a raw gRPC connection to srv, closed with the test.
func grpcConn(t *testing.T, srv *servertest.Server) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
