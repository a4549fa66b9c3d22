// Package openapi embeds the descriptions of the cordbank REST API that
// `make generate` builds from the protos: the Swagger 2.0 document of
// protoc-gen-openapiv2 with the REST edge's error responses added, its
// OpenAPI 3 conversion, and a reference page built from that by Redocly
// with its scripts inlined, so it works offline. The server serves them at
// /openapi.json, /openapi.v3.json and /docs. `make check-generated`
// checks that they are up to date.
package openapi

import _ "embed"

// Spec is the Swagger 2.0 (OpenAPI 2) document, JSON.
//
//go:embed cordbank.swagger.json
var Spec []byte

// SpecV3 is the OpenAPI 3 document, JSON.
//
//go:embed cordbank.openapi.json
var SpecV3 []byte

// ReferencePage is the HTML reference of the API, self-contained.
//
//go:embed reference.html
var ReferencePage []byte
