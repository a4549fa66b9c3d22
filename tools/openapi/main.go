// Command openapi finishes the OpenAPI documents `make generate` writes:
// it adds to every operation of the Swagger 2.0 document that
// protoc-gen-openapiv2 made the error responses the REST edge can give
// (in the google.rpc.Status shape), rewrites it, and converts it to an
// OpenAPI 3 document with kin-openapi's converter, whose security scheme
// it states as HTTP bearer (Swagger 2.0 has no bearer type).
//
//	go run ./openapi DIR    (reads and rewrites DIR/cordbank.swagger.json, writes DIR/cordbank.openapi.json)
//
// The output depends only on the input: keys are sorted, so `make
// check-generated` can compare it with the committed files.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

// errorResponse is one error answer of the REST edge, and the HTTP methods
// that can get it ("" for all).
type errorResponse struct {
	status      string
	methods     []string
	description string
}

// errorResponses are the answers server/ gives besides the method's own
// (README "Errors"): the reasons are in ErrorInfo.reason. FAILED_PRECONDITION
// is 400, as grpc-gateway maps it. Writes can also meet a conflict, and
// requests with a body its limits.
var errorResponses = []errorResponse{
	{"400", nil, "INVALID_ARGUMENT (a BadRequest names every bad field, in JSON names), MALFORMED_REQUEST (a body, query parameter or enum value that does not decode), or FAILED_PRECONDITION (a state change the resource's state does not allow)."},
	{"401", nil, "UNAUTHENTICATED: no bearer token, or one that is unknown, revoked or expired."},
	{"403", nil, "PERMISSION_DENIED: the token's role or organisation may not make this call."},
	{"404", nil, "The resource (reason *_NOT_FOUND) or the route (NOT_FOUND) does not exist."},
	{"409", []string{"POST", "PATCH", "PUT", "DELETE"}, "ALREADY_EXISTS (the id is taken) or ABORTED (the etag sent is stale, or a concurrent change won): read again and retry."},
	{"413", []string{"POST", "PATCH", "PUT"}, "REQUEST_TOO_LARGE: the body is over the limit (16 MiB; an import line the same); ErrorInfo metadata has limit_bytes."},
	{"415", []string{"POST", "PATCH", "PUT"}, "The body is not JSON (application/json; application/x-ndjson for imports)."},
	{"429", nil, "RATE_LIMITED: over the principal's rate; wait for the Retry-After header (and the RetryInfo detail)."},
	{"503", nil, "The store is unavailable (STORE_UNAVAILABLE): retry with backoff."},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: openapi DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	v2Path := filepath.Join(dir, "cordbank.swagger.json")
	raw, err := os.ReadFile(v2Path)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: %w", v2Path, err)
	}
	if err := addErrorResponses(doc); err != nil {
		return err
	}
	refsWithoutSiblings(doc)
	stringsWithoutProperties(doc)
	v2, err := marshal(doc)
	if err != nil {
		return err
	}
	if err := os.WriteFile(v2Path, v2, 0o644); err != nil {
		return err
	}
	v3, err := toV3(v2)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "cordbank.openapi.json"), v3, 0o644)
}

// addErrorResponses adds the edge's error responses to every operation
// that does not state them itself.
func addErrorResponses(doc map[string]any) error {
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		return fmt.Errorf("no paths")
	}
	for _, item := range paths {
		ops, ok := item.(map[string]any)
		if !ok {
			continue
		}
		for method, op := range ops {
			o, ok := op.(map[string]any)
			if !ok {
				continue
			}
			responses, ok := o["responses"].(map[string]any)
			if !ok {
				return fmt.Errorf("%s operation %v has no responses", method, o["operationId"])
			}
			for _, e := range errorResponses {
				if _, set := responses[e.status]; set || (e.methods != nil && !slices.Contains(e.methods, strings.ToUpper(method))) {
					continue
				}
				responses[e.status] = map[string]any{
					"description": e.description,
					"schema":      map[string]any{"$ref": "#/definitions/rpcStatus"},
				}
			}
		}
	}
	return nil
}

// refsWithoutSiblings rewrites every schema that holds a $ref beside other
// keys (protoc-gen-openapiv2 puts a field's comment beside the $ref of its
// type) as an allOf of the $ref, since tools ignore a $ref's siblings: the
// field's description would be lost to them.
func refsWithoutSiblings(v any) {
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["$ref"]; ok && len(v) > 1 {
			delete(v, "$ref")
			v["allOf"] = []any{map[string]any{"$ref": ref}}
		}
		for _, e := range v {
			refsWithoutSiblings(e)
		}
	case []any:
		for _, e := range v {
			refsWithoutSiblings(e)
		}
	}
}

// stringsWithoutProperties drops the empty "properties" protoc-gen-openapiv2
// gives the binary string schema of a streamed google.api.HttpBody (an
// export's file): a string has no properties.
func stringsWithoutProperties(v any) {
	switch v := v.(type) {
	case map[string]any:
		if v["type"] == "string" {
			if p, ok := v["properties"].(map[string]any); ok && len(p) == 0 {
				delete(v, "properties")
			}
		}
		for _, e := range v {
			stringsWithoutProperties(e)
		}
	case []any:
		for _, e := range v {
			stringsWithoutProperties(e)
		}
	}
}

// toV3 converts the Swagger 2.0 document to OpenAPI 3 and states its
// bearer scheme as what it is.
func toV3(v2 []byte) ([]byte, error) {
	var doc2 openapi2.T
	if err := json.Unmarshal(v2, &doc2); err != nil {
		return nil, err
	}
	doc3, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, err
	}
	bearer, ok := doc3.Components.SecuritySchemes["bearer"]
	if !ok || bearer.Value == nil {
		return nil, fmt.Errorf("the Swagger document defines no bearer security scheme")
	}
	doc3.Components.SecuritySchemes["bearer"] = &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().
		WithType("http").WithScheme("bearer").WithDescription(bearer.Value.Description)}
	// The API is served where the document is (/openapi.json).
	doc3.Servers = openapi3.Servers{{URL: "/", Description: "The server that serves this document."}}
	out, err := json.Marshal(doc3)
	if err != nil {
		return nil, err
	}
	// The converter inlines the enums of query parameters, leaving their
	// schemas unused; drop every schema nothing refers to.
	for changed := true; changed; {
		changed = false
		for name := range doc3.Components.Schemas {
			if !bytes.Contains(out, []byte(`"#/components/schemas/`+name+`"`)) {
				delete(doc3.Components.Schemas, name)
				changed = true
			}
		}
		if out, err = json.Marshal(doc3); err != nil {
			return nil, err
		}
	}
	// Through a map, so the keys are sorted like the Swagger document's.
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, err
	}
	return marshal(m)
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
