package rowenc

import (
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/credential"
	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/names"
	"github.com/cordbank/cordbank/bank/unit"
)

// The rows of banks, reservations, containers and tokens, and the domain
// errors both stores return for them, so the two stores cannot drift in
// what a row holds or what a refusal says.

// BankColumns are the columns of banks in BankRow.Dest order, without the
// FINs (a store selects those from bank_fins as one comma-separated value
// after these).
const BankColumns = `id, display_name, fin, country, accreditations, create_time, update_time, version`

// BankRow receives one row of banks and its FINs.
type BankRow struct {
	b            bank.Bank
	accr         string
	fins         sql.NullString
	ctime, utime int64
}

// Dest returns the scan destinations: BankColumns, then the FINs.
func (r *BankRow) Dest() []any {
	return []any{&r.b.ID, &r.b.DisplayName, &r.b.FIN, &r.b.Country, &r.accr, &r.ctime, &r.utime, &r.b.Version, &r.fins}
}

// Bank builds the domain value of the scanned row.
func (r *BankRow) Bank() *bank.Bank {
	b := r.b
	if r.accr != "" {
		for _, a := range strings.Split(r.accr, ",") {
			b.Accreditations = append(b.Accreditations, bank.Accreditation(a))
		}
	}
	if r.fins.String != "" {
		b.FINs = strings.Split(r.fins.String, ",")
		slices.Sort(b.FINs)
	}
	b.CreateTime = time.Unix(0, r.ctime).UTC()
	b.UpdateTime = time.Unix(0, r.utime).UTC()
	return &b
}

// Accreditations stores the list as comma-separated enum names, readable
// in plain SQL; the names never contain commas.
func Accreditations(as []bank.Accreditation) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ",")
}

// ReservationColumnNames are the columns of reservations in
// ReservationArgs and ReservationRow.Dest order.
var ReservationColumnNames = []string{"id", "bank_id", "din", "transplant_center", "patient_id", "status", "expire_time", "ct", "ct_request_time",
	"ct_complete_date", "ct_typing", "ct_discrepancies", "shipment_request_time", "end_time", "end_reason", "create_time", "update_time", "version"}

// ReservationColumns is ReservationColumnNames joined for SQL.
var ReservationColumns = strings.Join(ReservationColumnNames, ", ")

// ReservationArgs returns r's column values in ReservationColumnNames order.
func ReservationArgs(r *bank.Reservation) ([]any, error) {
	typing, err := TypingsJSON(r.CTTyping)
	if err != nil {
		return nil, err
	}
	return []any{r.ID, r.Bank, string(r.DIN), r.TransplantCenter, r.PatientID, string(r.Status), r.ExpireTime.UnixNano(),
		string(r.CT), NullTime(r.CTRequestTime), NullDate(r.CTCompleteDate), typing, strings.Join(r.CTDiscrepancies, ","),
		NullTime(r.ShipmentRequestTime), NullTime(r.EndTime), r.EndReason, r.CreateTime.UnixNano(), r.UpdateTime.UnixNano(), r.Version}, nil
}

// ReservationRow receives one row of reservations.
type ReservationRow struct {
	r                        bank.Reservation
	din, status, ct, disc    string
	expire, created, updated int64
	ctReq, ship, end         sql.NullInt64
	ctDate, typing           sql.NullString
}

// Dest returns the scan destinations in ReservationColumnNames order.
func (x *ReservationRow) Dest() []any {
	return []any{&x.r.ID, &x.r.Bank, &x.din, &x.r.TransplantCenter, &x.r.PatientID, &x.status, &x.expire, &x.ct, &x.ctReq,
		&x.ctDate, &x.typing, &x.disc, &x.ship, &x.end, &x.r.EndReason, &x.created, &x.updated, &x.r.Version}
}

// Reservation builds the domain value of the scanned row.
func (x *ReservationRow) Reservation() (*bank.Reservation, error) {
	r := x.r
	r.DIN, r.Status, r.CT = unit.DIN(x.din), lifecycle.ReservationStatus(x.status), lifecycle.CTStatus(x.ct)
	r.ExpireTime, r.CreateTime, r.UpdateTime = time.Unix(0, x.expire).UTC(), time.Unix(0, x.created).UTC(), time.Unix(0, x.updated).UTC()
	r.CTRequestTime, r.ShipmentRequestTime, r.EndTime = TimeOf(x.ctReq), TimeOf(x.ship), TimeOf(x.end)
	var err error
	if r.CTCompleteDate, err = ParseDate(x.ctDate.String); err != nil {
		return nil, bank.Internal(err, "reservation %s", r.ID)
	}
	if x.disc != "" {
		r.CTDiscrepancies = strings.Split(x.disc, ",")
	}
	if r.CTTyping, err = ParseTypings(x.typing, nil); err != nil {
		return nil, bank.Internal(err, "reservation %s", r.ID)
	}
	return &r, nil
}

// ContainerColumns are the columns of containers in ContainerArgs and
// ContainerRow.Dest order.
const ContainerColumns = `bank_id, id, kind, parent_id, parent_position, label, layout_kind, grid_rows, grid_columns, slots, capacity, min_celsius, max_celsius, create_time, update_time, version`

// ContainerArgs returns c's column values in ContainerColumns order.
func ContainerArgs(c *inventory.Container) []any {
	return []any{c.Bank, c.ID, string(c.Kind), NullString(c.Parent), NullString(c.ParentPosition), c.Label, string(c.Layout.Kind),
		c.Layout.Rows, c.Layout.Columns, c.Layout.Slots, c.Layout.Capacity, NullFloat(c.MinCelsius), NullFloat(c.MaxCelsius),
		c.CreateTime.UnixNano(), c.UpdateTime.UnixNano(), c.Version}
}

// ContainerRow receives one row of containers.
type ContainerRow struct {
	c            inventory.Container
	kind, layout string
	parent, pos  sql.NullString
	minC, maxC   sql.NullFloat64
	ctime, utime int64
}

// Dest returns the scan destinations in ContainerColumns order.
func (r *ContainerRow) Dest() []any {
	return []any{&r.c.Bank, &r.c.ID, &r.kind, &r.parent, &r.pos, &r.c.Label, &r.layout, &r.c.Layout.Rows, &r.c.Layout.Columns,
		&r.c.Layout.Slots, &r.c.Layout.Capacity, &r.minC, &r.maxC, &r.ctime, &r.utime, &r.c.Version}
}

// Container builds the domain value of the scanned row.
func (r *ContainerRow) Container() *inventory.Container {
	c := r.c
	c.Kind, c.Layout.Kind = inventory.ContainerKind(r.kind), inventory.LayoutKind(r.layout)
	c.Parent, c.ParentPosition = r.parent.String, r.pos.String
	c.MinCelsius, c.MaxCelsius = Ptr(r.minC), Ptr(r.maxC)
	c.CreateTime, c.UpdateTime = time.Unix(0, r.ctime).UTC(), time.Unix(0, r.utime).UTC()
	return &c
}

// TokenColumns are the columns of tokens in TokenArgs and TokenRow.Dest
// order.
const TokenColumns = `id, principal, role, org, cert_cn, hash, create_time, expire_time, revoke_time, last_use_time, created_by`

// TokenArgs returns t's column values in TokenColumns order.
func TokenArgs(t *credential.Token) []any {
	return []any{t.ID, t.Principal, string(t.Role), t.Org, t.CertCN, t.Hash, t.CreateTime.UnixNano(),
		NullTime(t.ExpireTime), NullTime(t.RevokeTime), NullTime(t.LastUseTime), t.CreatedBy}
}

// TokenRow receives one row of tokens.
type TokenRow struct {
	t                       credential.Token
	role                    string
	create                  int64
	expire, revoke, lastUse sql.NullInt64
}

// Dest returns the scan destinations in TokenColumns order.
func (r *TokenRow) Dest() []any {
	return []any{&r.t.ID, &r.t.Principal, &r.role, &r.t.Org, &r.t.CertCN, &r.t.Hash, &r.create, &r.expire, &r.revoke, &r.lastUse, &r.t.CreatedBy}
}

// Token builds the domain value of the scanned row.
func (r *TokenRow) Token() *credential.Token {
	t := r.t
	t.Role = bank.Role(r.role)
	t.CreateTime = time.Unix(0, r.create).UTC()
	t.ExpireTime, t.RevokeTime, t.LastUseTime = TimeOf(r.expire), TimeOf(r.revoke), TimeOf(r.lastUse)
	return &t
}

// Errors.

// UnitNotFound is the error of a unit that is not in bankID.
func UnitNotFound(bankID string, din unit.DIN) error {
	return bank.NewError(bank.KindNotFound, bank.ReasonUnitNotFound, "unit not found",
		"name", names.Unit(bankID, string(din)))
}

// UnitExists is the error of a DIN registered already (in any bank).
func UnitExists(din unit.DIN) error {
	return bank.NewError(bank.KindAlreadyExists, bank.ReasonUnitAlreadyExists,
		"a unit with this DIN is already registered", "din", string(din))
}

// BankNotFound is the error of a bank id that names no bank.
func BankNotFound(id string) error {
	return bank.NewError(bank.KindNotFound, bank.ReasonBankNotFound, "bank not found", "name", "banks/"+id)
}

// BankExists is the error of a bank id that is taken.
func BankExists(id string) error {
	return bank.NewError(bank.KindAlreadyExists, bank.ReasonBankAlreadyExists,
		"a bank with this id already exists", "name", "banks/"+id)
}

// FINTaken is the error of a FIN another bank registers under.
func FINTaken(fin string) error {
	return bank.NewError(bank.KindAlreadyExists, bank.ReasonFINAlreadyRegistered,
		"another bank is registered with this facility identification number", "fin", fin)
}

// ContainerNotFound is the error of a container that is not in bankID.
func ContainerNotFound(bankID, id string) error {
	return bank.NewError(bank.KindNotFound, bank.ReasonContainerNotFound, "container not found", "name", inventory.ContainerName(bankID, id))
}

// ReservationNotFound is the error of a reservation id that names none.
func ReservationNotFound(id string) error {
	return bank.NewError(bank.KindNotFound, bank.ReasonReservationNotFound, "no such reservation", "id", id)
}

// OpenReservationExists is the error of a second open hold on a unit.
func OpenReservationExists(din unit.DIN) error {
	return bank.NewError(bank.KindFailedPrecondition, bank.ReasonUnitNotReservable,
		"unit cannot be reserved: it already has an open reservation", "din", string(din))
}

// TokenNotFound is the error of a token id that names none.
func TokenNotFound(id string) error {
	return bank.NewError(bank.KindNotFound, bank.ReasonTokenNotFound, "no such token", "token", "tokens/"+id)
}

// TokenExists is the error of a token whose id, or live hash, is taken.
func TokenExists(t *credential.Token) error {
	return bank.NewError(bank.KindAlreadyExists, bank.ReasonFailedPrecondition, "token already exists", "token", t.Name())
}
