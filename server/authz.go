package server

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/cordbank/cordbank/bank"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// Authorization. Every RPC has one rule in the rules table, keyed by its
// full method name; a method without a rule is refused (and a test
// enumerating the proto descriptors fails). A rule says which roles may
// call the method, in which organisations (scope), which request field
// names the target bank, extra checks that need data (a reservation's
// transplant centre, whether a unit is private), and how the response is
// filtered for callers outside the owning bank.
//
// Privacy: autologous and directed units and every unit's private
// (maternal, family) fields reach only the owning bank's principals and
// administrators (bank.Principal.SeesPrivateOf). For everyone else a
// private unit does not exist: absent from lists and searches, NOT_FOUND
// by name, its audit events withheld, other events redacted
// (bank.Event.Redacted). A wrong role or organisation is PERMISSION_DENIED,
// decided from the role and the bank id in the request alone, so the
// denial reveals nothing about which units exist.

// scope says in which organisations a role may call a method.
type scope uint8

const (
	// own: the principal belongs to the target bank.
	own scope = iota + 1
	// ownOrRegistry: own, or any bank for a registry auditor.
	ownOrRegistry
	// anyOrg: any organisation; the response is filtered to what the
	// principal may see.
	anyOrg
)

type rule struct {
	roles map[bank.Role]scope // administrators may always call, in any bank
	// target is the request field (a dotted path) naming the target bank
	// or a resource in it; "" for methods without one.
	target string
	// everyBank accepts "banks/-" (every bank) as the target.
	everyBank bool
	// check runs after the role and scope checks; it may look data up and
	// may narrow the request (a coordinator's own transplant centre).
	check func(ctx context.Context, g *guard, p bank.Principal, req proto.Message, bankID string) error
	// filter rewrites a response (or one streamed message) for p; nil
	// drops a streamed message.
	filter func(ctx context.Context, g *guard, p bank.Principal, resp proto.Message) (proto.Message, error)
}

// Role sets of the table.
var (
	staff      = map[bank.Role]scope{bank.RoleManager: own, bank.RoleTechnician: own}
	managers   = map[bank.Role]scope{bank.RoleManager: own}
	bankReads  = map[bank.Role]scope{bank.RoleManager: own, bank.RoleTechnician: own, bank.RoleAuditor: own}
	auditReads = map[bank.Role]scope{bank.RoleManager: own, bank.RoleTechnician: own, bank.RoleAuditor: ownOrRegistry}
	everyone   = map[bank.Role]scope{bank.RoleManager: anyOrg, bank.RoleTechnician: anyOrg, bank.RoleCoordinator: anyOrg, bank.RoleAuditor: anyOrg}
	adminsOnly = map[bank.Role]scope{}
	auditors   = map[bank.Role]scope{bank.RoleAuditor: anyOrg}
	// Reservations: the bank's staff, and coordinators of the reserving
	// transplant centre (checkReservationTC).
	resReads = map[bank.Role]scope{bank.RoleManager: own, bank.RoleTechnician: own, bank.RoleAuditor: own, bank.RoleCoordinator: anyOrg}
	resBoth  = map[bank.Role]scope{bank.RoleManager: own, bank.RoleTechnician: own, bank.RoleCoordinator: anyOrg}
	resTC    = map[bank.Role]scope{bank.RoleCoordinator: anyOrg}
)

var rules = map[string]*rule{
	// AdminService: administrators only.
	pb.AdminService_CreateToken_FullMethodName: {roles: adminsOnly},
	pb.AdminService_RevokeToken_FullMethodName: {roles: adminsOnly},
	pb.AdminService_ListTokens_FullMethodName:  {roles: adminsOnly},

	// RegistryService.
	pb.RegistryService_CreateBank_FullMethodName:  {roles: adminsOnly},
	pb.RegistryService_GetBank_FullMethodName:     {roles: everyone, target: "name"},
	pb.RegistryService_ListBanks_FullMethodName:   {roles: everyone},
	pb.RegistryService_UpdateBank_FullMethodName:  {roles: managers, target: "bank.name"},
	pb.RegistryService_CreateUnit_FullMethodName:  {roles: staff, target: "parent", filter: filterUnit},
	pb.RegistryService_GetUnit_FullMethodName:     {roles: everyone, target: "name", filter: filterUnit},
	pb.RegistryService_ListUnits_FullMethodName:   {roles: everyone, target: "parent", check: checkListUnits, filter: filterUnits},
	pb.RegistryService_UpdateUnit_FullMethodName:  {roles: staff, target: "unit.name", filter: filterUnit},
	pb.RegistryService_ImportUnits_FullMethodName: {roles: staff, target: "parent"},

	// SearchService: public units of every bank for everyone; a bank's
	// own private units only through SearchBankUnits, for that bank.
	pb.SearchService_SearchUnits_FullMethodName:       {roles: everyone, filter: filterSearch},
	pb.SearchService_SearchDoubleUnits_FullMethodName: {roles: everyone, filter: filterSearch},
	pb.SearchService_SearchBankUnits_FullMethodName:   {roles: bankReads, target: "bank"},

	// LifecycleService: the bank's staff; withdrawal and transfer of
	// custody are managers' decisions.
	pb.LifecycleService_ReleaseUnit_FullMethodName:         {roles: staff, target: "name", filter: filterUnit},
	pb.LifecycleService_MakeUnitUnavailable_FullMethodName: {roles: staff, target: "name", filter: filterUnit},
	pb.LifecycleService_MakeUnitAvailable_FullMethodName:   {roles: staff, target: "name", filter: filterUnit},
	pb.LifecycleService_DiscardUnit_FullMethodName:         {roles: staff, target: "name", filter: filterUnit},
	pb.LifecycleService_ExpireUnit_FullMethodName:          {roles: staff, target: "name", filter: filterUnit},
	pb.LifecycleService_ShipUnit_FullMethodName:            {roles: staff, target: "name", filter: filterUnit},
	pb.LifecycleService_RecordInfusion_FullMethodName:      {roles: staff, target: "name", filter: filterUnit},
	pb.LifecycleService_WithdrawUnit_FullMethodName:        {roles: managers, target: "name", filter: filterUnit},
	pb.LifecycleService_TransferUnit_FullMethodName:        {roles: managers, target: "name", filter: filterUnit},

	// AuditService: the bank's own trail, or every bank's (public view)
	// for a registry auditor.
	pb.AuditService_ListUnitHistory_FullMethodName:  {roles: auditReads, target: "name", check: checkPrivateUnit, filter: filterEvents},
	pb.AuditService_ListEvents_FullMethodName:       {roles: auditReads, target: "parent", everyBank: true, filter: filterEvents},
	pb.AuditService_WatchEvents_FullMethodName:      {roles: auditReads, target: "parent", everyBank: true, filter: filterEvents},
	pb.AuditService_VerifyAuditTrail_FullMethodName: {roles: auditors},
	// The signed head reveals only the trail's length and last hash.
	pb.AuditService_GetLatestAuditCheckpoint_FullMethodName: {roles: auditors},

	// ReservationService.
	pb.ReservationService_ReserveUnit_FullMethodName:               {roles: resBoth, target: "name", check: checkReserve},
	pb.ReservationService_GetReservation_FullMethodName:            {roles: resReads, target: "name", check: checkReservationTC},
	pb.ReservationService_ListReservations_FullMethodName:          {roles: resReads, target: "parent", check: checkListReservations},
	pb.ReservationService_ExtendReservation_FullMethodName:         {roles: resBoth, target: "name", check: checkReservationTC},
	pb.ReservationService_ReleaseReservation_FullMethodName:        {roles: resBoth, target: "name", check: checkReservationTC},
	pb.ReservationService_RequestConfirmatoryTyping_FullMethodName: {roles: resTC, target: "name", check: checkReservationTC},
	pb.ReservationService_RequestShipment_FullMethodName:           {roles: resTC, target: "name", check: checkReservationTC},
	pb.ReservationService_RecordConfirmatoryTyping_FullMethodName:  {roles: staff, target: "name"},

	// InventoryService: the bank's own staff (and bank auditors for
	// reads). Not registry auditors: container maps list private units.
	pb.InventoryService_CreateContainer_FullMethodName:          {roles: staff, target: "parent"},
	pb.InventoryService_BatchCreateContainers_FullMethodName:    {roles: staff, target: "parent"},
	pb.InventoryService_GetContainer_FullMethodName:             {roles: bankReads, target: "name"},
	pb.InventoryService_ListContainers_FullMethodName:           {roles: bankReads, target: "parent"},
	pb.InventoryService_GetContainerMap_FullMethodName:          {roles: bankReads, target: "name"},
	pb.InventoryService_GetContainerOccupancy_FullMethodName:    {roles: bankReads, target: "name"},
	pb.InventoryService_FindFreePositions_FullMethodName:        {roles: bankReads, target: "parent"},
	pb.InventoryService_PlaceUnit_FullMethodName:                {roles: staff, target: "name"},
	pb.InventoryService_MoveUnit_FullMethodName:                 {roles: staff, target: "name"},
	pb.InventoryService_GetUnitLocation_FullMethodName:          {roles: bankReads, target: "name"},
	pb.InventoryService_MoveContainer_FullMethodName:            {roles: staff, target: "name"},
	pb.InventoryService_EvacuateContainer_FullMethodName:        {roles: staff, target: "name"},
	pb.InventoryService_RecordTemperatureReading_FullMethodName: {roles: staff, target: "parent"},
	pb.InventoryService_ListExcursions_FullMethodName:           {roles: bankReads, target: "parent"},
}

func (r *rule) roleAllowed(p bank.Principal) bool {
	if p.Role == bank.RoleAdmin {
		return true
	}
	_, ok := r.roles[p.Role]
	return ok
}

// authorize checks p's right to send req. req may be nil (a stream before
// its first message): only the role is checked then.
func (r *rule) authorize(ctx context.Context, g *guard, p bank.Principal, req proto.Message) error {
	if !r.roleAllowed(p) {
		return deniedRole(p)
	}
	if req == nil {
		return nil
	}
	bankID, every := "", false
	if r.target != "" {
		name := stringAt(req, r.target)
		if name == "" && req.ProtoReflect().Descriptor().FullName() == "cordbank.v1.ImportUnitsRequest" {
			return nil // later messages of an import need not repeat the bank
		}
		var err error
		if bankID, every, err = bankOf(name, r.everyBank); err != nil {
			if p.Role == bank.RoleAdmin || r.roles[p.Role] == anyOrg {
				// The handler refuses the name too, together with every
				// other bad field of the request.
				return nil
			}
			return invalid(r.target, err)
		}
		if !r.inScope(p, bankID, every) {
			return denied(fmt.Sprintf("%s %q may not do this in banks/%s", p.Role, p.Name, cmpOr(bankID, "-")))
		}
	}
	if r.check != nil {
		return r.check(ctx, g, p, req, bankID)
	}
	return nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// inScope reports whether p may act on bank bankID (every bank when every).
func (r *rule) inScope(p bank.Principal, bankID string, every bool) bool {
	if p.Role == bank.RoleAdmin {
		return true
	}
	ownBank := p.IsBankRole() && p.Org == bankID && !every
	switch r.roles[p.Role] {
	case own:
		return ownBank
	case ownOrRegistry:
		return ownBank || (p.Role == bank.RoleAuditor && p.Org == bank.OrgRegistry)
	case anyOrg:
		return true
	}
	return false
}

func denied(msg string) error {
	return bank.NewError(bank.KindPermissionDenied, bank.ReasonPermissionDenied, msg)
}

func deniedRole(p bank.Principal) error {
	return bank.NewError(bank.KindPermissionDenied, bank.ReasonPermissionDenied,
		fmt.Sprintf("role %s may not call this method", p.Role), "role", string(p.Role))
}

// stringAt reads the string field at a dotted path of m ("" when absent).
func stringAt(m proto.Message, path string) string {
	r := m.ProtoReflect()
	parts := strings.Split(path, ".")
	for i, f := range parts {
		fd := r.Descriptor().Fields().ByName(protoreflect.Name(f))
		if fd == nil {
			return ""
		}
		if i == len(parts)-1 {
			if fd.Kind() != protoreflect.StringKind || fd.IsList() {
				return ""
			}
			return r.Get(fd).String()
		}
		if fd.Kind() != protoreflect.MessageKind || !r.Has(fd) {
			return ""
		}
		r = r.Get(fd).Message()
	}
	return ""
}

// bankOf returns the bank id a resource name starts with
// ("banks/{bank}/..."); with every, "banks/-" means every bank.
func bankOf(name string, every bool) (string, bool, error) {
	rest, ok := strings.CutPrefix(name, "banks/")
	id, _, _ := strings.Cut(rest, "/")
	if every && id == "-" {
		return "", true, nil
	}
	if !ok || !bank.ValidBankID(id) {
		return "", false, fmt.Errorf("%q does not name a bank (banks/{bank}...)", name)
	}
	return id, false, nil
}

// unitHidden is the answer for a private unit asked for by someone who
// may not see it: the same error as for a unit that does not exist.
func unitHidden(name string) error {
	return bank.NewError(bank.KindNotFound, bank.ReasonUnitNotFound, "unit not found", "name", name)
}

// checkPrivateUnit hides a private unit named by the request from callers
// outside its bank.
func checkPrivateUnit(ctx context.Context, g *guard, p bank.Principal, req proto.Message, bankID string) error {
	if p.SeesPrivateOf(bankID) {
		return nil
	}
	name := stringAt(req, "name")
	if i := strings.Index(name, "/reservations/"); i >= 0 {
		name = name[:i]
	}
	b, din, err := parseUnitName(name)
	if err != nil {
		return invalid("name", err)
	}
	u, err := g.svc.GetUnit(ctx, b, din)
	if err != nil {
		return err
	}
	if u.IsPrivate() {
		return unitHidden(u.Name())
	}
	return nil
}

// checkReserve: a coordinator reserves for its own transplant centre
// (filled in when the request leaves it empty), and only units it can see.
func checkReserve(ctx context.Context, g *guard, p bank.Principal, req proto.Message, bankID string) error {
	if p.Role == bank.RoleCoordinator {
		r := req.(*pb.ReserveUnitRequest)
		switch r.GetTransplantCenter() {
		case "":
			r.TransplantCenter = p.Org
		case p.Org:
		default:
			return denied(fmt.Sprintf("coordinator %q reserves for transplant centre %q only", p.Name, p.Org))
		}
	}
	return checkPrivateUnit(ctx, g, p, req, bankID)
}

// checkReservationTC lets a coordinator reach only its own centre's
// reservations; another centre's reservation is NOT_FOUND, like one that
// does not exist.
func checkReservationTC(ctx context.Context, g *guard, p bank.Principal, req proto.Message, bankID string) error {
	if p.Role != bank.RoleCoordinator {
		return nil
	}
	name := stringAt(req, "name")
	b, din, id, err := parseReservationName(name)
	if err != nil {
		return invalid("name", err)
	}
	r, err := g.svc.GetReservation(ctx, b, din, id)
	if err != nil {
		return err
	}
	if r.TransplantCenter != p.Org {
		return bank.NewError(bank.KindNotFound, bank.ReasonReservationNotFound, "no such reservation", "name", name)
	}
	return nil
}

// checkListReservations narrows a coordinator's list to its own centre.
func checkListReservations(ctx context.Context, g *guard, p bank.Principal, req proto.Message, bankID string) error {
	if p.Role != bank.RoleCoordinator {
		return nil
	}
	r := req.(*pb.ListReservationsRequest)
	switch r.GetTransplantCenter() {
	case "":
		r.TransplantCenter = p.Org
	case p.Org:
	default:
		return denied(fmt.Sprintf("coordinator %q lists the reservations of transplant centre %q only", p.Name, p.Org))
	}
	return nil
}

// checkListUnits narrows an outsider's list to public units, so pages
// stay full (filterUnits drops private units again, in depth).
func checkListUnits(ctx context.Context, g *guard, p bank.Principal, req proto.Message, bankID string) error {
	if p.SeesPrivateOf(bankID) {
		return nil
	}
	r := req.(*pb.ListUnitsRequest)
	asked := len(r.UnitType) > 0
	keep := r.UnitType[:0]
	for _, t := range r.UnitType {
		if t == pb.UnitType_UNIT_TYPE_PUBLIC {
			keep = append(keep, t)
		}
	}
	if asked && len(keep) == 0 {
		// Only private types asked for: nothing the caller may see. An
		// impossible filter value keeps the handler's validation and
		// paging while matching nothing.
		r.UnitType = []pb.UnitType{pb.UnitType_UNIT_TYPE_PUBLIC}
		r.CollectionDateFrom, r.CollectionDateTo = "9999-12-31", "9999-12-31"
		return nil
	}
	r.UnitType = []pb.UnitType{pb.UnitType_UNIT_TYPE_PUBLIC}
	return nil
}

// unitVisible returns u as p may see it: nil when p may not see it at all.
func unitVisible(p bank.Principal, u *pb.Unit) *pb.Unit {
	b, _, err := bankOf(u.GetName(), false)
	if err == nil && p.SeesPrivateOf(b) {
		return u
	}
	if u.GetUnitType() != pb.UnitType_UNIT_TYPE_PUBLIC {
		return nil
	}
	u.Private = nil
	return u
}

func filterUnit(ctx context.Context, g *guard, p bank.Principal, resp proto.Message) (proto.Message, error) {
	u := resp.(*pb.Unit)
	if unitVisible(p, u) == nil {
		return nil, unitHidden(u.GetName())
	}
	return u, nil
}

func filterUnits(ctx context.Context, g *guard, p bank.Principal, resp proto.Message) (proto.Message, error) {
	r := resp.(*pb.ListUnitsResponse)
	keep := r.Units[:0]
	for _, u := range r.Units {
		if v := unitVisible(p, u); v != nil {
			keep = append(keep, v)
		}
	}
	r.Units = keep
	return r, nil
}

// filterSearch drops the count of private units a search skipped: it
// would tell outsiders how many private units the registry holds.
func filterSearch(ctx context.Context, g *guard, p bank.Principal, resp proto.Message) (proto.Message, error) {
	if p.Role == bank.RoleAdmin {
		return resp, nil
	}
	switch r := resp.(type) {
	case *pb.SearchUnitsResponse:
		delete(r.Excluded, "private")
	case *pb.SearchDoubleUnitsResponse:
		delete(r.Excluded, "private")
	}
	return resp, nil
}

type hiddenCacheKey struct{}

func filterEvents(ctx context.Context, g *guard, p bank.Principal, resp proto.Message) (proto.Message, error) {
	hidden, _ := ctx.Value(hiddenCacheKey{}).(map[string]bool)
	if hidden == nil {
		hidden = map[string]bool{}
	}
	switch r := resp.(type) {
	case *pb.Event:
		e, err := eventVisible(ctx, g, p, r, hidden)
		if e == nil || err != nil {
			return nil, err
		}
		return e, nil
	case *pb.ListEventsResponse:
		var err error
		r.Events, err = eventsVisible(ctx, g, p, r.Events, hidden)
		return r, err
	case *pb.ListUnitHistoryResponse:
		var err error
		r.Events, err = eventsVisible(ctx, g, p, r.Events, hidden)
		return r, err
	}
	return resp, nil
}

func eventsVisible(ctx context.Context, g *guard, p bank.Principal, evs []*pb.Event, hidden map[string]bool) ([]*pb.Event, error) {
	keep := evs[:0]
	for _, e := range evs {
		v, err := eventVisible(ctx, g, p, e, hidden)
		if err != nil {
			return nil, err
		}
		if v != nil {
			keep = append(keep, v)
		}
	}
	return keep, nil
}

// eventVisible returns e as p may see it: whole for the owning bank,
// redacted for others, nil when it concerns a private unit.
func eventVisible(ctx context.Context, g *guard, p bank.Principal, e *pb.Event, hidden map[string]bool) (*pb.Event, error) {
	b := strings.TrimPrefix(e.GetBank(), "banks/")
	if p.SeesPrivateOf(b) {
		return e, nil
	}
	if unit, ok := unitOfResource(e.GetResource()); ok {
		h, seen := hidden[unit]
		if !seen {
			ub, din, err := parseUnitName(unit)
			if err == nil {
				u, err := g.svc.GetUnit(ctx, ub, din)
				switch {
				case err == nil:
					h = u.IsPrivate()
				case bank.KindOf(err) == bank.KindNotFound:
					h = true // cannot prove it public: withhold
				default:
					return nil, err
				}
			}
			hidden[unit] = h
		}
		if h {
			return nil, nil
		}
	}
	de := &bank.Event{Changes: make([]bank.FieldChange, len(e.GetChanges()))}
	for i, c := range e.GetChanges() {
		de.Changes[i] = bank.FieldChange{Field: c.GetField(), Before: c.GetBefore(), After: c.GetAfter()}
	}
	red := de.Redacted()
	out := proto.Clone(e).(*pb.Event)
	out.Changes = make([]*pb.FieldChange, len(red.Changes))
	for i, c := range red.Changes {
		out.Changes[i] = &pb.FieldChange{Field: c.Field, Before: c.Before, After: c.After}
	}
	return out, nil
}

// unitOfResource returns the unit a resource name is or belongs to
// ("banks/b/units/d" for ".../units/d/reservations/r").
func unitOfResource(name string) (string, bool) {
	parts := strings.SplitN(name, "/", 5)
	if len(parts) < 4 || parts[0] != "banks" || parts[2] != "units" {
		return "", false
	}
	return strings.Join(parts[:4], "/"), true
}
