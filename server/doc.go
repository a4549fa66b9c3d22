// Package server exposes cordbank over gRPC and a REST/JSON gateway.
//
// Handlers are thin: they parse resource names, convert wire messages
// (proto/cordbank/v1) to domain types (bank), call bank.Service, and convert
// back. Errors from the domain become gRPC statuses carrying one
// google.rpc.ErrorInfo and, for invalid fields, one google.rpc.BadRequest;
// internal errors are logged with the request id and masked.
//
// Every call passes, outer to inner: request id, logging, the decode check
// (codec.go: a request that does not decode, such as a string that is not
// UTF-8, becomes INVALID_ARGUMENT naming its fields instead of grpc's
// INTERNAL), authentication and authorization (auth.go: bearer tokens or
// client certificates, a per-principal rate limit; the principal goes into
// the context for the domain, and authz.go maps the full method name to its
// domain action and target field and refuses what the policy of
// bank/access refuses), error mapping, recovery. A method without a
// mapping is refused. What a caller may see is decided by the domain's use
// cases; the server never filters a response.
//
// In front of the REST gateway (gateway.go, limits.go, routes.go), the
// HTTP layer gives every request an X-Request-Id, logs one access line per
// request and gzips responses for clients that accept it (httplog.go),
// answers URLs and headers
// over the limits (414, 431), paths and queries that are not UTF-8 (400),
// paths no binding takes (404, or 405 with an Allow header computed from
// the google.api.http bindings), foreign content types (415) and bodies
// over MaxMessageBytes (413), all in the API's error shape. It is strict
// where the gateway is lenient (strict.go): a query parameter that sets no
// field, or an enum value the field lacks, is INVALID_ARGUMENT naming it
// and what the route takes; field violations name fields in JSON names
// over REST and in proto names over gRPC, and list enum values as the
// wire spells them (ABO_O), all read from the descriptors.
//
// The package never imports a SQL driver or internal/store: it is given a
// *bank.Service and the search index. The REST gateway dials the gRPC
// listener so that every interceptor applies to REST calls too.
package server
