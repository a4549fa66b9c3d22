// Package bank is cordbank's domain core: banks, cord blood units, their
// identity (ISBT 128 DIN), validation rules, and the use cases (Service) that
// register and read them through a Store.
//
// Every use case checks the caller (access.PrincipalFrom) against the
// access policy (bank/access) inside its own transaction and reads only
// what the caller may see, scoped in the store query before paging and
// counting.
//
// It imports only the standard library and its own subpackages (bank/hla,
// bank/access, bank/jsonenc); TestDomainImportsOnlyStandardLibrary checks.
// It must never import gRPC, protobuf, a SQL driver or net/http: the server
// converts wire types to these domain types, and storage adapters
// (internal/store/...) implement Store in terms of them. Errors returned from
// this package are *Error values carrying a Kind, a stable Reason and field
// violations, so every transport can report them faithfully.
package bank
