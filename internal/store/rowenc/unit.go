package rowenc

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/jsonenc"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// UnitColumns lists the columns of units in the order UnitArgs writes them
// and UnitRow.dest reads them. Keep the three in step.
var UnitColumns = []string{
	"din", "bank_id", "unit_type", "status", "local_id",
	"collection_date", "processing_date", "freeze_date", "processing_method", "reduction",
	"infant_birth_date", "infant_sex", "abo", "rh", "ethnicity",
	"collection_volume_ml", "frozen_volume_ml",
	"pre_processing_tnc", "post_processing_tnc", "pre_processing_cd34", "post_processing_cd34",
	"viability_percent", "cfu", "nucleated_rbc",
	"bags", "compartments_per_bag", "attached_segments", "idm", "idm_test_date",
	"hla_a", "hla_b", "hla_c", "hla_drb1", "hla_drb3", "hla_drb4", "hla_drb5",
	"hla_dqa1", "hla_dqb1", "hla_dpa1", "hla_dpb1", "hla_other", "hla_release", "hla_reading",
	"private_maternal_id", "private_maternal_hla", "private_family_id",
	"private_directed_recipient", "private_notes",
	"create_time", "update_time", "version",
	"status_reason", "status_end_date", "status_note", "status_time", "distributing_bank_id",
}

// HLALoci are the loci with their own column (hla_<lower-case locus>), in
// the order a stored unit's HLA is returned: a typing of any other locus, or
// a second typing of the same locus, goes to hla_other after them.
var HLALoci = [...]string{"A", "B", "C", "DRB1", "DRB3", "DRB4", "DRB5", "DQA1", "DQB1", "DPA1", "DPB1"}

// UnitColumnList is UnitColumns joined for a SELECT or INSERT.
var UnitColumnList = strings.Join(UnitColumns, ", ")

func locusIndex(locus string) int {
	for i, l := range HLALoci {
		if l == locus {
			return i
		}
	}
	return -1
}

// jsonTyping is the stored JSON form of a bank.LocusTyping; its field names
// are part of the schema, independent of Go names.
type jsonTyping struct {
	Locus string `json:"locus"`
	Text  string `json:"text"`
}

// jsonReading is the stored JSON form of a bank.TypingReading.
type jsonReading struct {
	GL       string `json:"gl,omitempty"`
	P        string `json:"p,omitempty"`
	LGX      string `json:"lgx,omitempty"`
	Serology string `json:"serology,omitempty"`
	Flags    string `json:"flags,omitempty"`
}

// readingsJSON encodes the readings of the unit's typings keyed by locus,
// NULL when no typing was read. It is written by hand, not with
// encoding/json, because it runs for every imported unit; applyReadings
// reads it back with encoding/json. The canonical GL String is left out
// when it equals the submitted text (the common case) to keep rows small.
//
// It appends to buf (nil: a new buffer) and returns the grown buffer and a
// string that shares its bytes: the caller must not reuse buf until the
// string has been bound.
func readingsJSON(buf []byte, ts []bank.LocusTyping) ([]byte, any) {
	if buf == nil {
		buf = make([]byte, 0, 128*len(ts)) // about what a locus takes
	}
	start := len(buf)
	b := buf
	for _, t := range ts {
		r := &t.Reading
		if *r == (bank.TypingReading{}) {
			continue
		}
		if len(b) == start {
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		b = jsonenc.String(b, t.Locus)
		b = append(b, ':', '{')
		first := true
		for _, f := range [...]struct{ key, val string }{
			{"gl", r.GL}, {"p", r.P}, {"lgx", r.LGX}, {"serology", r.Serology}, {"flags", r.Flags},
		} {
			if f.val == "" || (f.key == "gl" && f.val == t.Text) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = jsonenc.String(append(append(append(b, '"'), f.key...), '"', ':'), f.val)
		}
		b = append(b, '}')
	}
	if len(b) == start {
		return b, nil
	}
	b = append(b, '}')
	return b, unsafe.String(&b[start], len(b)-start)
}

// applyReadings sets each typing's Reading from the stored JSON.
func applyReadings(s sql.NullString, ts []bank.LocusTyping) error {
	if !s.Valid {
		return nil
	}
	var m map[string]jsonReading
	if err := json.Unmarshal([]byte(s.String), &m); err != nil {
		return fmt.Errorf("hla reading json: %w", err)
	}
	for i := range ts {
		if r, ok := m[ts[i].Locus]; ok {
			if r.GL == "" {
				r.GL = ts[i].Text // left out when equal to the text
			}
			ts[i].Reading = bank.TypingReading(r)
		}
	}
	return nil
}

// TypingsJSON encodes typings as a JSON array of {"locus","text"}, NULL
// (nil) when there are none.
func TypingsJSON(ts []bank.LocusTyping) (any, error) {
	if len(ts) == 0 {
		return nil, nil
	}
	js := make([]jsonTyping, len(ts))
	for i, t := range ts {
		js[i] = jsonTyping{Locus: t.Locus, Text: t.Text}
	}
	b, err := json.Marshal(js)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// ParseTypings appends the typings of a TypingsJSON column to into.
func ParseTypings(s sql.NullString, into []bank.LocusTyping) ([]bank.LocusTyping, error) {
	if !s.Valid {
		return into, nil
	}
	var js []jsonTyping
	if err := json.Unmarshal([]byte(s.String), &js); err != nil {
		return nil, fmt.Errorf("hla json: %w", err)
	}
	for _, j := range js {
		into = append(into, bank.LocusTyping{Locus: j.Locus, Text: j.Text})
	}
	return into, nil
}

// UnitArgs appends u's column values, in UnitColumns order, to args.
func UnitArgs(args []any, u *bank.Unit) ([]any, error) {
	args, _, err := UnitArgsBuf(args, nil, u)
	return args, err
}

// UnitArgsBuf is UnitArgs writing the readings JSON into buf (see
// readingsJSON), so a caller that pools buffers allocates none per row.
func UnitArgsBuf(args []any, buf []byte, u *bank.Unit) ([]any, []byte, error) {
	var hla [len(HLALoci)]any
	var other []bank.LocusTyping
	for _, t := range u.HLA {
		if i := locusIndex(t.Locus); i >= 0 && hla[i] == nil {
			hla[i] = t.Text
		} else {
			other = append(other, t)
		}
	}
	otherJSON, err := TypingsJSON(other)
	if err != nil {
		return nil, buf, err
	}
	maternal, err := TypingsJSON(u.Private.MaternalHLA)
	if err != nil {
		return nil, buf, err
	}
	buf, readings := readingsJSON(buf, u.HLA)
	c := &u.Cells
	args = append(args,
		string(u.DIN), u.Bank, string(u.Type), string(u.Status), u.LocalID,
		u.CollectionDate.String(), u.ProcessingDate.String(), NullDate(u.FreezeDate), string(u.ProcessingMethod), string(u.Reduction),
		u.InfantBirthDate.String(), string(u.InfantSex), string(u.ABO), string(u.Rh), u.Ethnicity,
		u.CollectionVolumeML, NullZero(u.FrozenVolumeML),
		NullFloat(c.PreProcessingTNC), c.PostProcessingTNC, NullFloat(c.PreProcessingCD34), NullFloat(c.PostProcessingCD34),
		NullFloat(c.ViabilityPercent), NullFloat(c.CFU), NullFloat(c.NucleatedRBC),
		int64(u.Bags), int64(u.CompartmentsPerBag), int64(u.AttachedSegments), string(u.IDM), NullDate(u.IDMTestDate),
	)
	args = append(args, hla[:]...)
	args = append(args, otherJSON, u.HLARelease, readings,
		u.Private.MaternalID, maternal, u.Private.FamilyID,
		u.Private.DirectedRecipient, u.Private.Notes,
		u.CreateTime.UnixNano(), u.UpdateTime.UnixNano(), u.Version,
		u.StatusReason, NullDate(u.StatusEndDate), u.StatusNote, NullTime(u.StatusTime), NullString(u.DistributingBank),
	)
	return args, buf, nil
}

// UnitRow receives one row of units; reuse it across rows to save
// allocations.
type UnitRow struct {
	// SkipReadings makes Unit leave the HLA readings out
	// (bank.UnitQuery.WithoutReadings).
	SkipReadings bool

	din, bankID, unitType, status, localID         string
	collDate, procDate                             string
	freezeDate                                     sql.NullString
	procMethod, reduction, birthDate, sex, abo, rh string
	ethnicity                                      string
	collVol                                        float64
	frozenVol, preTNC                              sql.NullFloat64
	postTNC                                        float64
	preCD34, postCD34, viability, cfu, nrbc        sql.NullFloat64
	bags, compartments, segments                   int64
	idm                                            string
	idmDate                                        sql.NullString
	hla                                            [len(HLALoci)]sql.NullString
	hlaOther                                       sql.NullString
	hlaRelease                                     string
	hlaReading                                     sql.NullString
	maternalID                                     string
	maternalHLA                                    sql.NullString
	familyID, directedRecipient, notes             string
	createTime, updateTime, version                int64
	statusReason, statusNote                       string
	statusEndDate, distributingBank                sql.NullString
	statusTime                                     sql.NullInt64
	destBuf                                        []any
}

// dest returns the scan destinations in UnitColumns order.
func (r *UnitRow) Dest() []any {
	if r.destBuf != nil {
		return r.destBuf
	}
	d := []any{
		&r.din, &r.bankID, &r.unitType, &r.status, &r.localID,
		&r.collDate, &r.procDate, &r.freezeDate, &r.procMethod, &r.reduction,
		&r.birthDate, &r.sex, &r.abo, &r.rh, &r.ethnicity,
		&r.collVol, &r.frozenVol,
		&r.preTNC, &r.postTNC, &r.preCD34, &r.postCD34,
		&r.viability, &r.cfu, &r.nrbc,
		&r.bags, &r.compartments, &r.segments, &r.idm, &r.idmDate,
	}
	for i := range r.hla {
		d = append(d, &r.hla[i])
	}
	d = append(d, &r.hlaOther, &r.hlaRelease, &r.hlaReading,
		&r.maternalID, &r.maternalHLA, &r.familyID,
		&r.directedRecipient, &r.notes,
		&r.createTime, &r.updateTime, &r.version,
		&r.statusReason, &r.statusEndDate, &r.statusNote, &r.statusTime, &r.distributingBank)
	r.destBuf = d
	return d
}

// unit builds the domain value of the scanned row.
func (r *UnitRow) Unit() (*bank.Unit, error) {
	u := &bank.Unit{
		Bank: r.bankID, DIN: unit.DIN(r.din),
		Type: bank.UnitType(r.unitType), Status: lifecycle.Status(r.status), LocalID: r.localID,
		ProcessingMethod: bank.ProcessingMethod(r.procMethod), Reduction: bank.Reduction(r.reduction),
		InfantSex: bank.Sex(r.sex), ABO: bank.ABO(r.abo), Rh: bank.Rh(r.rh), Ethnicity: r.ethnicity,
		CollectionVolumeML: r.collVol, FrozenVolumeML: r.frozenVol.Float64,
		Cells: bank.CellCounts{
			PreProcessingTNC: Ptr(r.preTNC), PostProcessingTNC: r.postTNC,
			PreProcessingCD34: Ptr(r.preCD34), PostProcessingCD34: Ptr(r.postCD34),
			ViabilityPercent: Ptr(r.viability), CFU: Ptr(r.cfu), NucleatedRBC: Ptr(r.nrbc),
		},
		Bags: int(r.bags), CompartmentsPerBag: int(r.compartments), AttachedSegments: int(r.segments),
		IDM: bank.IDMResult(r.idm),
		Private: bank.UnitPrivate{
			MaternalID: r.maternalID, FamilyID: r.familyID,
			DirectedRecipient: r.directedRecipient, Notes: r.notes,
		},
		CreateTime: time.Unix(0, r.createTime).UTC(),
		UpdateTime: time.Unix(0, r.updateTime).UTC(),
		Version:    r.version,

		StatusReason:     r.statusReason,
		StatusNote:       r.statusNote,
		DistributingBank: r.distributingBank.String,
	}
	if r.statusTime.Valid {
		u.StatusTime = time.Unix(0, r.statusTime.Int64).UTC()
	}
	var err error
	for _, f := range []struct {
		dst *unit.Date
		s   string
	}{
		{&u.CollectionDate, r.collDate}, {&u.ProcessingDate, r.procDate}, {&u.FreezeDate, r.freezeDate.String},
		{&u.InfantBirthDate, r.birthDate}, {&u.IDMTestDate, r.idmDate.String},
		{&u.StatusEndDate, r.statusEndDate.String},
	} {
		if *f.dst, err = ParseDate(f.s); err != nil {
			return nil, fmt.Errorf("unit %s: %w", r.din, err)
		}
	}
	n := 0
	for _, h := range r.hla {
		if h.Valid {
			n++
		}
	}
	if n > 0 || r.hlaOther.Valid {
		u.HLA = make([]bank.LocusTyping, 0, n)
		for i, h := range r.hla {
			if h.Valid {
				u.HLA = append(u.HLA, bank.LocusTyping{Locus: HLALoci[i], Text: h.String})
			}
		}
	}
	if u.HLA, err = ParseTypings(r.hlaOther, u.HLA); err != nil {
		return nil, fmt.Errorf("unit %s: %w", r.din, err)
	}
	if !r.SkipReadings {
		if err := applyReadings(r.hlaReading, u.HLA); err != nil {
			return nil, fmt.Errorf("unit %s: %w", r.din, err)
		}
	}
	u.HLARelease = r.hlaRelease
	if u.Private.MaternalHLA, err = ParseTypings(r.maternalHLA, nil); err != nil {
		return nil, fmt.Errorf("unit %s maternal: %w", r.din, err)
	}
	return u, nil
}

// Ptr reads an optional REAL column.
func Ptr(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	x := f.Float64
	return &x
}

// NullFloat stores an optional quantity (nil: not measured) as NULL.
func NullFloat(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// NullZero stores an optional quantity whose zero means unknown as NULL.
func NullZero(x float64) any {
	if x == 0 {
		return nil
	}
	return x
}

// NullTime stores a zero time (not recorded) as NULL.
func NullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// NullString stores "" (the default) as NULL.
func NullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// NullDate stores a zero date (not given) as NULL.
func NullDate(d unit.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.String()
}

// ParseDate reads a stored YYYY-MM-DD date; "" is the zero Date.
func ParseDate(s string) (unit.Date, error) {
	if s == "" {
		return unit.Date{}, nil
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return unit.Date{}, fmt.Errorf("stored date %q is not YYYY-MM-DD", s)
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, m, d := num(s[:4]), num(s[5:7]), num(s[8:])
	if y < 0 || m < 1 || m > 12 || d < 1 || d > 31 {
		return unit.Date{}, fmt.Errorf("stored date %q is not YYYY-MM-DD", s)
	}
	return unit.Date{Year: y, Month: time.Month(m), Day: d}, nil
}

// TimeOf reads an optional nanosecond timestamp column; NULL is the zero
// time.
func TimeOf(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// Rows is what both drivers' result sets offer (database/sql's *sql.Rows,
// pgx's Rows).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// CollectUnits decodes every row of rows, selected as UnitColumnList.
// Driver errors come back as they are, for the store to translate; a row
// that does not decode is an internal error. sizeHint sizes the result.
func CollectUnits(rows Rows, skipReadings bool, sizeHint int) ([]*bank.Unit, error) {
	out := make([]*bank.Unit, 0, min(sizeHint, 1024))
	var r UnitRow
	r.SkipReadings = skipReadings
	dest := r.Dest()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		u, err := r.Unit()
		if err != nil {
			return nil, bank.Internal(err, "read unit")
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
