// Package credential is the rules of cordbank's API credentials: tokens
// (bearer secrets and client-certificate bindings), the format of a
// secret, how secrets and certificate names are hashed for storage, when
// a token is active, and the cache that spares authentication a store
// read per call.
//
// Who a credential authenticates is an access.Principal, and what that
// principal may do is package access's policy. The use cases (CreateToken,
// RevokeToken, ListTokens, Authenticate, AuthenticateCert) are
// bank.Service's, in bank/credential_service.go, over bank.TokenReader and
// bank.TokenWriter.
//
// # Secrets
//
// A secret is TokenPrefix followed by 32 random bytes (base64url); only its
// SHA-256 is stored (HashSecret), and a certificate binding is stored as
// the hash of a string no secret can equal (CertHash), so one lookup by
// hash serves both.
//
// # Dependencies
//
// It imports only the standard library and bank/access, never package
// bank (which imports it): bank/purity_test.go checks.
package credential
