package match

import (
	"cmp"
	"fmt"
	"math"
	"strings"

	"github.com/cordbank/cordbank/bank/unit"
)

// Match is one ranked unit.
type Match struct {
	Unit  string // resource name banks/{bank}/units/{din}
	Bank  string
	DIN   unit.DIN
	Rank  int // 1-based position in the result
	Grade Grade
	// TNCPerKg and CD34PerKg are the cryopreserved (post-processing)
	// counts divided by the patient's weight; CD34PerKg is 0 when unknown.
	TNCPerKg, CD34PerKg float64
	CD34Known           bool
	// DoseAdequate: meets single-unit adequacy for the disease class.
	DoseAdequate   bool
	Accredited     bool
	ABOCompatible  bool
	RBCDepleted    bool
	CollectionDate unit.Date
	// DSA lists the patient antibodies (at or above the MFI threshold) that
	// target a unit antigen or allele the patient lacks; only non-empty when
	// the policy keeps such units (ExcludeDSA false).
	DSA []string
	// Explanation summarises the keys the unit was ranked by, e.g.
	// "8/8; adequate single-unit dose; TNC 4.1e7/kg; CD34+ 2.0e5/kg; below
	// previous by tnc_dose".
	Explanation string
	// Prediction holds the match probabilities under the frequency sets
	// (nil when none is loaded or the request asked for none).
	Prediction *Prediction
	// DecidedBy is the rule that placed this unit below the previous one
	// ("" for the first result; RankDIN when every rule tied).
	DecidedBy RankKey
}

// keys are the values the ordering compares, one field per RankKey.
type keys struct {
	total, definite int8
	adequate        bool
	cMismatch       bool
	direction       Direction
	tncKg, cd34Kg   float64 // cd34Kg < 0: unknown
	accredited      bool
	aboOK           bool
	rbc             bool
	coll            int32 // collection day (days since 1970-01-01)
	din             unit.DIN
	bank            string
}

func dayOf(d unit.Date) int32 { return int32(d.Time().Unix() / 86400) }

func boolCmp(a, b bool) int { // true first
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// compareKeys orders a before b (negative) when a ranks better, and names
// the rule that decided.
func compareKeys(order []RankKey, a, b *keys) (int, RankKey) {
	if c, k := compareRules(order, a, b); c != 0 {
		return c, k
	}
	if c := strings.Compare(string(a.din), string(b.din)); c != 0 {
		return c, RankDIN
	}
	return strings.Compare(a.bank, b.bank), RankDIN
}

// compareRules is compareKeys without the final DIN tie-break: 0 when every
// rule of order ties.
func compareRules(order []RankKey, a, b *keys) (int, RankKey) {
	for _, k := range order {
		c := 0
		switch k {
		case RankMatchCount:
			if c = cmp.Compare(b.total, a.total); c == 0 {
				c = cmp.Compare(b.definite, a.definite)
			}
		case RankDoseAdequacy:
			c = boolCmp(a.adequate, b.adequate)
		case RankCMismatch:
			c = boolCmp(!a.cMismatch, !b.cMismatch)
		case RankDirection:
			c = cmp.Compare(a.direction, b.direction)
		case RankTNCDose:
			c = cmp.Compare(b.tncKg, a.tncKg)
		case RankAccredited:
			c = boolCmp(a.accredited, b.accredited)
		case RankABOCompatible:
			c = boolCmp(a.aboOK, b.aboOK)
		case RankCD34Dose:
			c = cmp.Compare(b.cd34Kg, a.cd34Kg)
		case RankRBCDepleted:
			c = boolCmp(a.rbc, b.rbc)
		case RankRecency:
			c = cmp.Compare(b.coll, a.coll)
		}
		if c != 0 {
			return c, k
		}
	}
	return 0, ""
}

func keysOf(m *Match) keys {
	k := keys{total: int8(m.Grade.Total), definite: int8(m.Grade.Definite), adequate: m.DoseAdequate,
		cMismatch: m.Grade.CMismatch, direction: m.Grade.Direction, tncKg: m.TNCPerKg, cd34Kg: -1,
		accredited: m.Accredited, aboOK: m.ABOCompatible, rbc: m.RBCDepleted, coll: dayOf(m.CollectionDate),
		din: m.DIN, bank: m.Bank}
	if m.CD34Known {
		k.cd34Kg = m.CD34PerKg
	}
	return k
}

// Compare orders two matches under the policy's ranking: negative when a
// ranks before b. It is the order Search returns, total over distinct
// units (DIN, then bank, break the last ties).
func (p *Policy) Compare(a, b *Match) int {
	ka, kb := keysOf(a), keysOf(b)
	c, _ := compareKeys(p.Order, &ka, &kb)
	return c
}

// adequate applies the single-unit adequacy rule ("and/or": either figure).
func (d *DoseRule) adequate(tncKg, cd34Kg float64) bool {
	if d.AdequateTNCPerKg > 0 && tncKg >= d.AdequateTNCPerKg {
		return true
	}
	return d.AdequateCD34PerKg > 0 && cd34Kg >= 0 && cd34Kg >= d.AdequateCD34PerKg
}

// passesFloors applies F3: TNC/kg at or above the floor, and CD34+/kg at or
// above its floor when CD34+ is known.
func passesFloors(minTNC, minCD34, tncKg, cd34Kg float64) (tncOK, cd34OK bool) {
	return tncKg >= minTNC, cd34Kg < 0 || cd34Kg >= minCD34
}

// sci formats 4.1e7 the way clinicians write doses.
func sci(x float64) string {
	if x == 0 {
		return "0"
	}
	e := int(math.Floor(math.Log10(math.Abs(x))))
	m := x / math.Pow(10, float64(e))
	if math.Round(m*10) >= 100 {
		m /= 10
		e++
	}
	return fmt.Sprintf("%.1fe%d", m, e)
}

func explain(m *Match) string {
	parts := []string{m.Grade.String()}
	if m.DoseAdequate {
		parts = append(parts, "adequate single-unit dose")
	} else {
		parts = append(parts, "below single-unit adequacy")
	}
	if m.Grade.CMismatch {
		parts = append(parts, "HLA-C mismatch")
	}
	if m.Grade.Direction != DirectionNone {
		parts = append(parts, m.Grade.Direction.String()+" mismatch")
	}
	parts = append(parts, "TNC "+sci(m.TNCPerKg)+"/kg")
	if m.CD34Known {
		parts = append(parts, "CD34+ "+sci(m.CD34PerKg)+"/kg")
	} else {
		parts = append(parts, "CD34+ unknown")
	}
	if len(m.DSA) > 0 {
		parts = append(parts, "DSA "+strings.Join(m.DSA, ","))
	}
	if pr := m.Prediction; pr != nil {
		if pr.Unrepresented != "" {
			parts = append(parts, "no probability ("+pr.Unrepresented+" not represented by "+pr.Set+")")
		} else {
			parts = append(parts, "P(8/8) "+probText(pr.P8of8)+", P(6/6) "+probText(pr.P6of6)+" by "+pr.Set)
		}
	}
	if m.DecidedBy != "" {
		parts = append(parts, "below previous by "+string(m.DecidedBy))
	}
	return strings.Join(parts, "; ")
}

// probText writes a probability with three decimals, never rounding an
// uncertain one to a certain 0 or 1.
func probText(p float64) string {
	switch {
	case p >= 1-1e-9:
		return "1"
	case p <= 1e-9:
		return "0"
	case p > 0.999:
		return ">0.999"
	case p < 0.001:
		return "<0.001"
	}
	return fmt.Sprintf("%.3f", p)
}
