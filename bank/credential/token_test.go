package credential_test

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/credential"
)

// The stored hashes are pinned: changing them would lock every existing
// token out.
func TestHashesAreStable(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{credential.HashSecret(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{credential.HashSecret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{credential.CertHash("abc"), credential.HashSecret("x509-cn:abc")},
	} {
		if tc.got != tc.want {
			t.Errorf("hash %s, want %s", tc.got, tc.want)
		}
	}
	if credential.CertHash("cbk_x") == credential.HashSecret("cbk_x") {
		t.Error("a certificate binding hashes like the secret of the same text")
	}
}

func TestNewSecretsAndIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s, id := credential.NewSecret(), credential.NewID()
		if !credential.WellFormed(s) || len(s) != len(credential.TokenPrefix)+43 {
			t.Fatalf("NewSecret() = %q: not well formed", s)
		}
		if b, err := hex.DecodeString(id); err != nil || len(b) != 8 {
			t.Fatalf("NewID() = %q: not 8 bytes of hex", id)
		}
		if seen[s] || seen[id] {
			t.Fatalf("a secret or id repeated: %q %q", s, id)
		}
		seen[s], seen[id] = true, true
	}
	for _, s := range []string{"", "cbk", "CBK_abc", "Bearer cbk_abc", "cbk_" + strings.Repeat("a", 253)} {
		if credential.WellFormed(s) {
			t.Errorf("WellFormed(%.20q…) = true", s)
		}
	}
	if !credential.WellFormed("cbk_" + strings.Repeat("a", 252)) {
		t.Error("a 256-byte secret is refused")
	}
}

func TestActive(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		what string
		tok  credential.Token
		want bool
	}{
		{"never expires", credential.Token{}, true},
		{"expires later", credential.Token{ExpireTime: now.Add(time.Nanosecond)}, true},
		{"expires now", credential.Token{ExpireTime: now}, false},
		{"expired", credential.Token{ExpireTime: now.Add(-time.Hour)}, false},
		{"revoked", credential.Token{RevokeTime: now.Add(-time.Hour)}, false},
		{"revoked later", credential.Token{RevokeTime: now.Add(time.Hour)}, false},
	} {
		if got := tc.tok.Active(now); got != tc.want {
			t.Errorf("%s: Active = %v, want %v", tc.what, got, tc.want)
		}
	}
	tok := credential.Token{LastUseTime: now.Add(-credential.TokenTouchEvery)}
	if !tok.TouchDue(now) || tok.TouchDue(now.Add(-time.Nanosecond)) {
		t.Errorf("TouchDue is not due exactly TokenTouchEvery after the last use")
	}
}

func TestValidPrincipalName(t *testing.T) {
	for s, want := range map[string]bool{
		"alice": true, "svc:import@nybc": true, strings.Repeat("a", 128): true,
		"": false, "two words": false, "tab\t": false, "é": false, strings.Repeat("a", 129): false,
	} {
		if got := credential.ValidPrincipalName(s); got != want {
			t.Errorf("ValidPrincipalName(%.20q) = %v, want %v", s, got, want)
		}
	}
}

func TestTokenBankAndAudit(t *testing.T) {
	tok := &credential.Token{ID: "t1", Principal: "alice", Role: access.RoleManager, Org: "nybc", Hash: "secret-hash"}
	if got := tok.Bank(); got != "nybc" {
		t.Errorf("a manager's token: Bank() = %q, want nybc", got)
	}
	if p := tok.PrincipalOf(); p != (access.Principal{Name: "alice", Role: access.RoleManager, Org: "nybc"}) {
		t.Errorf("PrincipalOf() = %+v", p)
	}
	b, err := json.Marshal(tok.Audited())
	if err != nil || strings.Contains(string(b), "secret-hash") || !strings.Contains(string(b), `"principal":"alice"`) {
		t.Errorf("Audited() as JSON = %s, %v: want the principal and never the hash", b, err)
	}
	coord := &credential.Token{Role: access.RoleCoordinator, Org: "tc-1"}
	if got := coord.Bank(); got != "" {
		t.Errorf("a coordinator's token: Bank() = %q, want \"\" (its org is a transplant centre)", got)
	}
	if got := tok.Name(); got != "tokens/t1" {
		t.Errorf("Name() = %q", got)
	}
}
