package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// violation returns the description of the violation of field, failing
// the test when there is none.
func (e restError) violation(t *testing.T, field string) string {
	t.Helper()
	for _, v := range e.bad.GetFieldViolations() {
		if v.GetField() == field {
			return v.GetDescription()
		}
	}
	t.Errorf("no violation of %s; got %v", field, e.fields())
	return ""
}

func wantAll(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s %q lacks %q", what, got, w)
		}
	}
}

// A misspelt query parameter used to be dropped, so a filtered list came
// back unfiltered.
func TestRESTUnknownQueryParameterRefused(t *testing.T) {
	srv, c := start(t)
	if _, err := c.CreateUnit(context.Background(), &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit("G123498654321")}); err != nil {
		t.Fatal(err)
	}
	hc := srv.HTTPClient()
	e := wantRESTError(t, hc, "GET", srv.HTTPURL+"/v1/banks/nybc/units?stauts=UNIT_STATUS_DISCARDED", nil, nil, http.StatusBadRequest, "INVALID_ARGUMENT")
	wantAll(t, "description", e.violation(t, "stauts"), "unknown query parameter", "status", "pageSize", "abo", "collectionDateFrom")
	if strings.Contains(e.violation(t, "stauts"), "parent") {
		t.Errorf("the path's parameter is listed as a query parameter: %s", e.violation(t, "stauts"))
	}

	// Parameters the path or the body set are not query parameters.
	e = wantRESTError(t, hc, "GET", srv.HTTPURL+"/v1/banks/nybc/units?parent=banks/other", nil, nil, http.StatusBadRequest, "INVALID_ARGUMENT")
	e.violation(t, "parent")
	unitJSON, _ := protojson.Marshal(validUnit("G123498654322"))
	e = wantRESTError(t, hc, "POST", srv.HTTPURL+"/v1/banks/nybc/units?unit.din=G123498654322&requestIdd=x", http.Header{"Content-Type": {"application/json"}}, strings.NewReader(string(unitJSON)), http.StatusBadRequest, "INVALID_ARGUMENT")
	if got := e.fields(); len(got) != 2 || got[0] != "requestIdd" || got[1] != "unit.din" {
		t.Errorf("violations %v, want requestIdd and unit.din", got)
	}
	wantAll(t, "description", e.violation(t, "requestIdd"), "requestId")

	// Known ones, in JSON or proto names, work.
	for _, q := range []string{"abo=ABO_O&pageSize=10", "abo=ABO_O&page_size=10&unit_type=1"} {
		resp, body := rest(t, hc, "GET", srv.HTTPURL+"/v1/banks/nybc/units?"+q, nil, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "G123498654321") {
			t.Errorf("?%s: HTTP %d %s", q, resp.StatusCode, body)
		}
	}
}

func TestRESTUnknownEnumValueRefused(t *testing.T) {
	srv, c := start(t)
	hc := srv.HTTPClient()
	e := wantRESTError(t, hc, "GET", srv.HTTPURL+"/v1/banks/nybc/units?status=DISCARDED&abo=ABO_O&abo=O", nil, nil, http.StatusBadRequest, "INVALID_ARGUMENT")
	wantAll(t, "description", e.violation(t, "status"), `"DISCARDED"`, "UNIT_STATUS_DISCARDED", "UNIT_STATUS_AVAILABLE")
	wantAll(t, "description", e.violation(t, "abo"), `"O"`, "ABO_A, ABO_B, ABO_AB, ABO_O")
	if strings.Contains(e.violation(t, "abo"), "UNSPECIFIED") {
		t.Errorf("the zero value is offered: %s", e.violation(t, "abo"))
	}

	// In a body: the path in JSON names, the valid values listed.
	var unit map[string]any
	unitJSON, _ := protojson.Marshal(validUnit("G123498654321"))
	if err := json.Unmarshal(unitJSON, &unit); err != nil {
		t.Fatal(err)
	}
	unit["abo"] = "O"
	unit["hla"] = []any{map[string]any{"locus": "A", "typing": "A*02:01+A*24:02"}}
	body, _ := json.Marshal(unit)
	e = wantRESTError(t, hc, "POST", srv.HTTPURL+"/v1/banks/nybc/units", http.Header{"Content-Type": {"application/json"}}, strings.NewReader(string(body)), http.StatusBadRequest, "INVALID_ARGUMENT")
	wantAll(t, "description", e.violation(t, "unit.abo"), `"O"`, "ABO_A, ABO_B, ABO_AB, ABO_O")

	// An import line says the same of its unit.
	line, _ := json.Marshal(map[string]any{"parent": "banks/nybc", "unit": unit})
	e = wantRESTError(t, hc, "POST", srv.HTTPURL+"/v1/units:import", http.Header{"Content-Type": {"application/x-ndjson"}}, strings.NewReader(string(line)+"\n"), http.StatusBadRequest, "MALFORMED_REQUEST")
	wantAll(t, "import message", e.st.GetMessage(), "line 1", `unit.abo: "O" is not a value of ABO`, "ABO_A, ABO_B, ABO_AB, ABO_O")

	// A repeated enum: the index is in the path.
	e = wantRESTError(t, hc, "POST", srv.HTTPURL+"/v1/banks?bankId=other", http.Header{"Content-Type": {"application/json"}},
		strings.NewReader(`{"displayName":"Other","fin":"G9999","country":"US","accreditations":["ACCREDITATION_FACT_NETCORD","FACT"]}`), http.StatusBadRequest, "INVALID_ARGUMENT")
	wantAll(t, "description", e.violation(t, "bank.accreditations[1]"), `"FACT"`, "ACCREDITATION_FACT_NETCORD")

	// A number no value has reaches the domain, whose list is in wire names
	// on both transports.
	unit["abo"] = 42
	body, _ = json.Marshal(unit)
	e = wantRESTError(t, hc, "POST", srv.HTTPURL+"/v1/banks/nybc/units", http.Header{"Content-Type": {"application/json"}}, strings.NewReader(string(body)), http.StatusBadRequest, "INVALID_ARGUMENT")
	wantAll(t, "description", e.violation(t, "unit.abo"), "one of ABO_A, ABO_B, ABO_AB, ABO_O")
	u := validUnit("G123498654321")
	u.Abo = pb.ABO(42)
	_, err := c.CreateUnit(context.Background(), &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: u})
	_, br := errorInfo(t, err)
	if status.Code(err) != codes.InvalidArgument || len(br.GetFieldViolations()) != 1 || br.GetFieldViolations()[0].GetField() != "unit.abo" {
		t.Fatalf("got %v", err)
	}
	wantAll(t, "gRPC description", br.GetFieldViolations()[0].GetDescription(), "one of ABO_A, ABO_B, ABO_AB, ABO_O")
}

// The domain names fields in proto names; REST callers read JSON names.
func TestRESTViolationsInJSONNames(t *testing.T) {
	srv, c := start(t)
	u := validUnit("G123498654321")
	u.Cells.PostProcessingTnc = 120
	u.InfantBirthDate = ""
	unitJSON, _ := protojson.Marshal(u)
	e := wantRESTError(t, srv.HTTPClient(), "POST", srv.HTTPURL+"/v1/banks/nybc/units", http.Header{"Content-Type": {"application/json"}}, strings.NewReader(string(unitJSON)), http.StatusBadRequest, "INVALID_ARGUMENT")
	if got := e.fields(); len(got) != 2 || got[0] != "unit.cells.postProcessingTnc" || got[1] != "unit.infantBirthDate" {
		t.Errorf("REST violations %v, want unit.cells.postProcessingTnc and unit.infantBirthDate", got)
	}
	_, err := c.CreateUnit(context.Background(), &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: u})
	_, br := errorInfo(t, err)
	var got []string
	for _, v := range br.GetFieldViolations() {
		got = append(got, v.GetField())
	}
	if len(got) != 2 || got[0] != "unit.cells.post_processing_tnc" || got[1] != "unit.infant_birth_date" {
		t.Errorf("gRPC violations %v, want unit.cells.post_processing_tnc and unit.infant_birth_date", got)
	}
}
