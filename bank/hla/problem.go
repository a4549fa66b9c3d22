package hla

// Problem describes one thing wrong with a typing: the offending token and
// why. It is the error type of every parse function (use errors.As) and the
// element of Reference.Check results.
type Problem struct {
	// Token is the offending text as the user wrote it (or its canonical
	// form when the problem was found after parsing).
	Token string
	// Reason says what is wrong, in lower case, e.g. "unknown locus "X"".
	Reason string
	// Current is the current name of a deleted or renamed allele, when
	// IPD-IMGT/HLA records one; empty otherwise.
	Current string
}

func (p *Problem) Error() string {
	if p.Token == "" {
		return "hla: " + p.Reason
	}
	return "hla: " + quote(p.Token) + ": " + p.Reason
}
