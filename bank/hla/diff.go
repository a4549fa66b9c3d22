package hla

import "strings"

// Change is one difference between the readings of a typing under two
// releases.
type Change struct {
	Typing string // the typing as given
	// Aspect is "check" (validity) or a Level name ("g", "p", "lgx",
	// "1f", "serology").
	Aspect string
	Old    string // result under the old release, or the error text
	New    string // result under the new release, or the error text
}

// Diff re-reads typings (GL Strings) under the old and the new release and
// reports, in input order, every reduction and every validity verdict that
// differs. levels defaults to G, P, lgx and serology. Either reference may
// be nil (syntax-only).
func Diff(old, new *Reference, typings []string, levels ...Level) []Change {
	if len(levels) == 0 {
		levels = []Level{LevelG, LevelP, LevelLGX, LevelSerology}
	}
	var out []Change
	for _, t := range typings {
		o, n := reading(old, t, levels), reading(new, t, levels)
		for i := range o {
			if o[i] != n[i] {
				aspect := "check"
				if i > 0 {
					aspect = levels[i-1].String()
				}
				out = append(out, Change{Typing: t, Aspect: aspect, Old: o[i], New: n[i]})
			}
		}
	}
	return out
}

// reading is the validity verdict then one reduction per level, as text.
func reading(r *Reference, typing string, levels []Level) []string {
	out := make([]string, 1+len(levels))
	g, err := r.ParseGL(typing)
	if err != nil {
		for i := range out {
			out[i] = err.Error()
		}
		return out
	}
	out[0] = "ok"
	if ps := r.Check(g); len(ps) > 0 {
		out[0] = ""
		for i, p := range ps {
			if i > 0 {
				out[0] += "; "
			}
			out[0] += p.Error()
		}
	}
	for i, l := range levels {
		red, err := r.Reduce(g, l)
		if err != nil {
			out[i+1] = err.Error()
		} else {
			out[i+1] = red.String()
		}
	}
	// Errors name the release; drop it so that only real changes differ.
	if rel := r.Release(); rel != "" {
		for i := range out {
			out[i] = strings.ReplaceAll(out[i], " in IPD-IMGT/HLA "+rel, "")
		}
	}
	// Errors name the release; drop it so that only real changes differ.
	if rel := r.Release(); rel != "" {
		for i := range out {
			out[i] = strings.ReplaceAll(out[i], " in IPD-IMGT/HLA "+rel, "")
		}
	}
	return out
}
