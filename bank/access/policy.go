package access

import "fmt"

// Action is a domain use case as the policy knows it. Each RPC of the API
// is exactly one action (server maps them); the README's role × method
// table is this policy.
type Action string

// The actions.
const (
	AdminTokens Action = "AdminTokens" // create, list, revoke API tokens
	CreateBank  Action = "CreateBank"
	ReadBanks   Action = "ReadBanks" // GetBank, ListBanks
	UpdateBank  Action = "UpdateBank"
	// AssignFINs changes the FINs a bank registers units under (Bank.FINs).
	AssignFINs Action = "AssignFINs"

	ReadUnits   Action = "ReadUnits"  // GetUnit, ListUnits: filtered to what the caller may see
	WriteUnits  Action = "WriteUnits" // CreateUnit, UpdateUnit, ImportUnits
	SearchUnits Action = "SearchUnits"
	// SearchBankUnits searches one bank's public and private units.
	SearchBankUnits Action = "SearchBankUnits"

	// Lifecycle is every lifecycle transition but withdrawal and transfer.
	Lifecycle    Action = "Lifecycle"
	WithdrawUnit Action = "WithdrawUnit"
	TransferUnit Action = "TransferUnit"

	ReadAudit   Action = "ReadAudit" // unit history, event lists and streams
	VerifyAudit Action = "VerifyAudit"
	// ReadCheckpoint reads the signed chain head: its position counts every
	// event of the registry, private ones included, so it is the
	// administrator's (who hands checkpoints to auditors out of band).
	ReadCheckpoint Action = "ReadCheckpoint"

	ReserveUnit       Action = "ReserveUnit"
	ReadReservations  Action = "ReadReservations"
	ChangeReservation Action = "ChangeReservation" // extend, release
	// RequestForCentre is what only a transplant centre asks for:
	// confirmatory typing, shipment.
	RequestForCentre         Action = "RequestForCentre"
	RecordConfirmatoryTyping Action = "RecordConfirmatoryTyping"
	ReadInventory            Action = "ReadInventory"
	WriteInventory           Action = "WriteInventory"

	// ImportTypingReport applies a laboratory's typing report (HML) to the
	// bank's units: confirmatory or extended typing.
	ImportTypingReport Action = "ImportTypingReport"
	// PrintLabel issues a unit's first ISBT 128 bag or segment label.
	PrintLabel Action = "PrintLabel"
	// ReprintLabel issues a label again. A second label with the same DIN
	// is how a wrong bag gets a right identity, so only a manager may,
	// with a reason, and every copy is audited.
	ReprintLabel Action = "ReprintLabel"
)

// Scope says in which organisations a role may take an action.
type Scope uint8

const (
	// Own: the principal belongs to the target bank.
	Own Scope = iota + 1
	// OwnOrRegistry: own, or any bank for a registry auditor.
	OwnOrRegistry
	// Any organisation: the answer is scoped to what the principal may see.
	Any
)

// Rule is one row of the policy: the roles that may take the action and
// where. Administrators may take every action in every bank.
type Rule struct {
	Roles map[Role]Scope
	// EveryBank: the action may name every bank at once ("banks/-").
	EveryBank bool
}

var (
	staff      = map[Role]Scope{RoleManager: Own, RoleTechnician: Own}
	managers   = map[Role]Scope{RoleManager: Own}
	bankReads  = map[Role]Scope{RoleManager: Own, RoleTechnician: Own, RoleAuditor: Own}
	auditReads = map[Role]Scope{RoleManager: Own, RoleTechnician: Own, RoleAuditor: OwnOrRegistry}
	everyone   = map[Role]Scope{RoleManager: Any, RoleTechnician: Any, RoleCoordinator: Any, RoleAuditor: Any}
	adminsOnly = map[Role]Scope{}
	auditors   = map[Role]Scope{RoleAuditor: Any}
	// Reservations: the bank's staff, and coordinators of the reserving
	// transplant centre (the use cases narrow them to their centre).
	resReads = map[Role]Scope{RoleManager: Own, RoleTechnician: Own, RoleAuditor: Own, RoleCoordinator: Any}
	resBoth  = map[Role]Scope{RoleManager: Own, RoleTechnician: Own, RoleCoordinator: Any}
	resTC    = map[Role]Scope{RoleCoordinator: Any}
)

// Policy is the table of who may take which action.
var Policy = map[Action]Rule{
	AdminTokens: {Roles: adminsOnly},
	CreateBank:  {Roles: adminsOnly},
	ReadBanks:   {Roles: everyone},
	UpdateBank:  {Roles: managers},
	AssignFINs:  {Roles: adminsOnly},

	ReadUnits:       {Roles: everyone},
	WriteUnits:      {Roles: staff},
	SearchUnits:     {Roles: everyone},
	SearchBankUnits: {Roles: bankReads},

	Lifecycle:    {Roles: staff},
	WithdrawUnit: {Roles: managers},
	TransferUnit: {Roles: managers},

	ReadAudit:      {Roles: auditReads, EveryBank: true},
	VerifyAudit:    {Roles: auditors},
	ReadCheckpoint: {Roles: adminsOnly},

	ReserveUnit:              {Roles: resBoth},
	ReadReservations:         {Roles: resReads},
	ChangeReservation:        {Roles: resBoth},
	RequestForCentre:         {Roles: resTC},
	RecordConfirmatoryTyping: {Roles: staff},
	ReadInventory:            {Roles: bankReads},
	WriteInventory:           {Roles: staff},

	ImportTypingReport: {Roles: staff},
	PrintLabel:         {Roles: staff},
	ReprintLabel:       {Roles: managers},
}

// Denied is the refusal of an action. It says which rule refused, from
// the role and the target bank alone, so it reveals nothing about data.
type Denied struct {
	Message string
	Role    Role
}

func (d *Denied) Error() string { return d.Message }

// RoleMay reports whether p's role may take action a anywhere.
func RoleMay(p Principal, a Action) bool { return ScopeOf(p, a) != 0 }

// Check decides whether p may take action a in bank bankID ("" for an
// action without a target bank; every for "every bank"). It returns nil or
// a *Denied.
func Check(p Principal, a Action, bankID string, every bool) error {
	r, ok := Policy[a]
	if !ok {
		return &Denied{Message: fmt.Sprintf("no policy for action %s", a), Role: p.Role}
	}
	if !RoleMay(p, a) {
		return &Denied{Message: fmt.Sprintf("role %s may not call this method", p.Role), Role: p.Role}
	}
	if p.Role == RoleAdmin || (bankID == "" && !every) {
		return nil
	}
	ownBank := p.IsBankRole() && p.Org == bankID && !every
	allowed := false
	switch r.Roles[p.Role] {
	case Own:
		allowed = ownBank
	case OwnOrRegistry:
		allowed = ownBank || (p.Role == RoleAuditor && p.Org == OrgRegistry) // "every" is checked below
	case Any:
		allowed = true
	}
	if every && !r.EveryBank {
		allowed = false
	}
	if !allowed {
		target := bankID
		if every {
			target = "-"
		}
		return &Denied{Message: fmt.Sprintf("%s %q may not do this in banks/%s", p.Role, p.Name, target), Role: p.Role}
	}
	return nil
}

// ScopeOf returns the scope of p's role for action a (0 when the role may
// not take it; Any for administrators).
func ScopeOf(p Principal, a Action) Scope {
	if p.Role == RoleAdmin {
		return Any
	}
	return Policy[a].Roles[p.Role]
}
