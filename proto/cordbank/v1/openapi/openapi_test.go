package openapi_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/proto/cordbank/v1/openapi"
)

// The checks here stand in for the AIP rules of Google's api-linter that
// the OpenAPI documents depend on (api-linter is not installable on our
// build machines); Redocly lints the documents themselves (`make lint`).

// methods returns every RPC of the cordbank.v1 package.
func methods(t *testing.T) []protoreflect.MethodDescriptor {
	t.Helper()
	var out []protoreflect.MethodDescriptor
	protoregistry.GlobalFiles.RangeFilesByPackage(pb.File_cordbank_v1_registry_service_proto.Package(), func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			ms := f.Services().Get(i).Methods()
			for j := range ms.Len() {
				out = append(out, ms.Get(j))
			}
		}
		return true
	})
	if len(out) < 40 {
		t.Fatalf("found %d methods", len(out))
	}
	return out
}

// AIP-203 (api-linter core::0203::field-behavior-required): every field of
// a request message, and of the messages a request holds, says whether it
// is required, optional, output only or the resource's identifier, so the
// OpenAPI documents can say what to send.
func TestEveryRequestFieldHasFieldBehavior(t *testing.T) {
	seen := map[protoreflect.FullName]bool{}
	var visit func(md protoreflect.MessageDescriptor)
	visit = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] || md.ParentFile().Package() != "cordbank.v1" {
			return
		}
		seen[md.FullName()] = true
		for i := range md.Fields().Len() {
			fd := md.Fields().Get(i)
			fb, _ := proto.GetExtension(fd.Options(), annotations.E_FieldBehavior).([]annotations.FieldBehavior)
			switch {
			case len(fb) == 0:
				t.Errorf("%s has no google.api.field_behavior", fd.FullName())
			case slices.Contains(fb, annotations.FieldBehavior_REQUIRED) && slices.Contains(fb, annotations.FieldBehavior_OPTIONAL),
				slices.Contains(fb, annotations.FieldBehavior_OUTPUT_ONLY) && len(fb) > 1:
				t.Errorf("%s: contradictory field_behavior %v", fd.FullName(), fb)
			}
			if m := fd.Message(); m != nil {
				if fd.IsMap() {
					m = fd.MapValue().Message()
				}
				if m != nil {
					visit(m)
				}
			}
		}
	}
	for _, m := range methods(t) {
		visit(m.Input())
	}
}

// AIP-158 (api-linter core::0158): every List method pages.
func TestListMethodsPage(t *testing.T) {
	for _, m := range methods(t) {
		if !strings.HasPrefix(string(m.Name()), "List") {
			continue
		}
		in, out := m.Input().Fields(), m.Output().Fields()
		if in.ByName("page_size") == nil || in.ByName("page_token") == nil || out.ByName("next_page_token") == nil {
			t.Errorf("%s does not page (page_size, page_token, next_page_token)", m.FullName())
		}
	}
}

type document struct {
	Swagger  string                                `json:"swagger"`
	OpenAPI  string                                `json:"openapi"`
	Paths    map[string]map[string]json.RawMessage `json:"paths"`
	Security []map[string][]string                 `json:"security"`
	// Swagger 2.0 and OpenAPI 3 keep the schemes in different places.
	SecurityDefinitions map[string]struct {
		Type string `json:"type"`
		In   string `json:"in"`
		Name string `json:"name"`
	} `json:"securityDefinitions"`
	Components struct {
		SecuritySchemes map[string]struct {
			Type   string `json:"type"`
			Scheme string `json:"scheme"`
		} `json:"securitySchemes"`
	} `json:"components"`
}

func readDoc(t *testing.T, b []byte) document {
	t.Helper()
	var d document
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

type operation struct {
	OperationID string                     `json:"operationId"`
	Responses   map[string]json.RawMessage `json:"responses"`
}

var httpMethods = []string{"get", "put", "post", "delete", "patch"}

func TestDocuments(t *testing.T) {
	v2, v3 := readDoc(t, openapi.Spec), readDoc(t, openapi.SpecV3)
	if v2.Swagger != "2.0" || !strings.HasPrefix(v3.OpenAPI, "3.") {
		t.Fatalf("versions: swagger %q, openapi %q", v2.Swagger, v3.OpenAPI)
	}
	if s := v2.SecurityDefinitions["bearer"]; s.Type != "apiKey" || s.In != "header" || s.Name != "Authorization" {
		t.Errorf("Swagger 2.0 bearer scheme: %+v", s)
	}
	if s := v3.Components.SecuritySchemes["bearer"]; s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("OpenAPI 3 bearer scheme: %+v", s)
	}
	bindings := 0
	for _, m := range methods(t) {
		if rule, _ := proto.GetExtension(m.Options(), annotations.E_Http).(*annotations.HttpRule); rule != nil {
			bindings += 1 + len(rule.GetAdditionalBindings())
		}
	}
	for name, d := range map[string]document{"v2": v2, "v3": v3} {
		if len(d.Security) != 1 || d.Security[0]["bearer"] == nil {
			t.Errorf("%s: security %v, want bearer", name, d.Security)
		}
		// Distinct path templates: none differs from another only by its
		// parameters' names.
		shapes := map[string]string{}
		ops := 0
		for path, item := range d.Paths {
			shape := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "{}")
			if other, dup := shapes[shape]; dup {
				t.Errorf("%s: paths %s and %s differ only by parameter names", name, path, other)
			}
			shapes[shape] = path
			for _, method := range httpMethods {
				raw, ok := item[method]
				if !ok {
					continue
				}
				ops++
				var op operation
				if err := json.Unmarshal(raw, &op); err != nil {
					t.Fatal(err)
				}
				for _, code := range []string{"400", "401", "403", "404", "429"} {
					if !strings.Contains(string(op.Responses[code]), "rpcStatus") {
						t.Errorf("%s: %s %s (%s) has no %s response with the google.rpc.Status schema", name, method, path, op.OperationID, code)
					}
				}
				if method != "get" && op.Responses["409"] == nil {
					t.Errorf("%s: %s %s (%s) has no 409 response", name, method, path, op.OperationID)
				}
			}
		}
		if ops != bindings {
			t.Errorf("%s: %d operations, the protos have %d HTTP bindings", name, ops, bindings)
		}
	}
}

// The reference page works offline: it loads no script, style or font from
// elsewhere, and it describes the current OpenAPI 3 document (every
// operation in it). `make check-generated` compares it byte for byte.
func TestReferencePage(t *testing.T) {
	page := string(openapi.ReferencePage)
	for _, re := range []string{`<script[^>]+src=["']?(https?:)?//`, `<link[^>]+href=["']?(https?:)?//`, `@import\s+url\(["']?(https?:)?//`, `url\(["']?https?://`} {
		if m := regexp.MustCompile(re).FindString(page); m != "" {
			t.Errorf("the reference page loads from elsewhere: %s", m)
		}
	}
	v3 := readDoc(t, openapi.SpecV3)
	for path, item := range v3.Paths {
		for _, method := range httpMethods {
			if raw, ok := item[method]; ok {
				var op operation
				_ = json.Unmarshal(raw, &op)
				if !strings.Contains(page, `"`+op.OperationID+`"`) {
					t.Errorf("the reference page lacks %s %s (%s): run make generate", method, path, op.OperationID)
				}
			}
		}
	}
}
