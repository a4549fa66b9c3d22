package credential

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank/access"
)

// Token is an API credential. The secret itself is never stored: only its
// SHA-256 (Hash). A token bound to a client certificate (CertCN != "")
// has no secret; its Hash is CertHash(CertCN).
type Token struct {
	// ID names the token (tokens/{ID}); not secret.
	ID string
	// Principal is the name the audit trail records for calls made with it.
	Principal string
	Role      access.Role
	Org       string
	// CertCN is the client certificate Common Name the record maps, ""
	// for a bearer token.
	CertCN string
	// Hash is the hex SHA-256 of the secret (or of CertHash's input).
	Hash       string
	CreateTime time.Time
	// ExpireTime is when the token stops working; zero means never.
	ExpireTime time.Time
	// RevokeTime is when an administrator revoked it; zero while valid.
	RevokeTime time.Time
	// LastUseTime is updated at most once a minute (TokenTouchEvery).
	LastUseTime time.Time
	// CreatedBy is the principal that created the token.
	CreatedBy string
}

// Name returns the token's resource name.
func (t *Token) Name() string { return "tokens/" + t.ID }

// PrincipalOf returns the principal a token authenticates.
func (t *Token) PrincipalOf() access.Principal {
	return access.Principal{Name: t.Principal, Role: t.Role, Org: t.Org}
}

// Active reports whether the token authenticates at now.
func (t *Token) Active(now time.Time) bool {
	return t.RevokeTime.IsZero() && (t.ExpireTime.IsZero() || now.Before(t.ExpireTime))
}

// TokenTouchEvery is how stale a token's LastUseTime may get:
// authentication writes it at most this often per token, so it costs one
// read per call, not a write.
const TokenTouchEvery = time.Minute

// TouchDue reports whether a call authenticated at now should record
// itself as the token's last use (TokenTouchEvery).
func (t *Token) TouchDue(now time.Time) bool { return now.Sub(t.LastUseTime) >= TokenTouchEvery }

// Bank returns the bank a token belongs to, for the audit trail: its Org,
// except for a coordinator's, which is a transplant centre ("").
func (t *Token) Bank() string {
	if t.Role == access.RoleCoordinator {
		return ""
	}
	return t.Org
}

// Audited is what the audit trail records of a token: never the hash.
func (t *Token) Audited() any {
	return struct {
		ID         string      `json:"id"`
		Principal  string      `json:"principal"`
		Role       access.Role `json:"role"`
		Org        string      `json:"org,omitempty"`
		CertCN     string      `json:"cert_cn,omitempty"`
		ExpireTime time.Time   `json:"expire_time,omitzero"`
	}{t.ID, t.Principal, t.Role, t.Org, t.CertCN, t.ExpireTime}
}

// TokenPrefix starts every secret, so leaked secrets are recognisable
// (secret scanners) and never confused with other credentials.
const TokenPrefix = "cbk_"

// maxSecret bounds what is hashed of a presented secret: generated ones
// are 47 bytes.
const maxSecret = 256

// WellFormed reports whether secret can be one NewSecret made: it starts
// with TokenPrefix and is not absurdly long. Anything else is refused
// without hashing or a store read.
func WellFormed(secret string) bool {
	return strings.HasPrefix(secret, TokenPrefix) && len(secret) <= maxSecret
}

// HashSecret returns the stored form of a bearer secret.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// CertHash returns the stored form of a certificate binding: the hash of a
// string no bearer secret can equal (secrets start with TokenPrefix).
func CertHash(cn string) string { return HashSecret("x509-cn:" + cn) }

// NewID returns a new token id: 8 random bytes, hex.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// NewSecret returns TokenPrefix + 32 random bytes, base64url.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// ValidPrincipalName accepts short printable names without spaces: a
// principal's name and a certificate's Common Name.
func ValidPrincipalName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' })
}
