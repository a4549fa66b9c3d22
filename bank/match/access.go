package match

import (
	"context"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/access"
)

// authorize checks the caller of ctx (access.PrincipalFrom) against the
// access policy: every role may search public units; only the bank's own
// principals (and administrators) may include its private units
// (IncludePrivateOfBank). The scope itself is applied by the scan: units
// outside it are neither returned nor counted.
func authorize(ctx context.Context, opts []SearchOption) error {
	var o searchOpts
	for _, f := range opts {
		f(&o)
	}
	p := access.PrincipalFrom(ctx)
	if o.privateBank != "" {
		return bank.CheckAccess(p, access.SearchBankUnits, o.privateBank, false)
	}
	return bank.CheckAccess(p, access.SearchUnits, "", false)
}
