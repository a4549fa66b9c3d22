package bank

import "github.com/cordbank/cordbank/bank/hla"

// CheckHLAWith returns the HLAChecker of a reference release: typings must
// parse, name only alleles of their locus and, when ref is not nil, name
// alleles that exist in the release. A nil ref checks syntax only.
func CheckHLAWith(ref *hla.Reference) HLAChecker {
	return func(locus, text string) (string, error) {
		g, err := ref.ParseLocusTyping(locus, text)
		if err != nil {
			return "", err
		}
		if ref != nil {
			if probs := ref.Check(g); len(probs) > 0 {
				return "", &probs[0]
			}
		}
		return ref.NormalizeLocus(locus), nil
	}
}
