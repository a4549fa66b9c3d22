// Package server exposes cordbank over gRPC and a REST/JSON gateway.
//
// Handlers are thin: they parse resource names, convert wire messages
// (proto/cordbank/v1) to domain types (bank), call bank.Service, and convert
// back. Errors from the domain become gRPC statuses carrying one
// google.rpc.ErrorInfo and, for invalid fields, one google.rpc.BadRequest;
// internal errors are logged with the request id and masked.
//
// The package never imports a SQL driver or internal/store: it is given a
// *bank.Service. The REST gateway dials the gRPC listener so that every
// interceptor (request id, logging, recovery, error mapping, and later auth)
// applies to REST calls too.
package server
