package server

import (
	"fmt"
	"strings"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/access"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// Authorization is the domain's (bank/access): the policy table, keyed by
// domain actions, and what each principal may see. The use cases check it
// inside their own transactions and scope their queries to the caller
// before paging and counting. The transport only maps each RPC to its
// action and to the request field that names the target bank, and refuses
// a call the policy refuses before the handler decodes anything else (a
// stream before its first message, a method without a mapping). It never
// reads private data, rewrites a request or filters a response.

// rpc is one RPC's entry: its action and the field naming its target.
type rpc struct {
	action access.Action
	target *target // nil for methods without a target bank
}

// target is a request field holding a resource name that starts with the
// target bank ("banks/{bank}..."), read through the generated getter.
type target struct {
	field string
	get   func(req any) string
}

var (
	byName = &target{"name", func(req any) string {
		r, _ := req.(interface{ GetName() string })
		if r == nil {
			return ""
		}
		return r.GetName()
	}}
	byParent = &target{"parent", func(req any) string {
		r, _ := req.(interface{ GetParent() string })
		if r == nil {
			return ""
		}
		return r.GetParent()
	}}
	bySearchBank = &target{"bank", func(req any) string { return req.(*pb.SearchBankUnitsRequest).GetBank() }}
	byBankName   = &target{"bank.name", func(req any) string { return req.(*pb.UpdateBankRequest).GetBank().GetName() }}
	byUnitName   = &target{"unit.name", func(req any) string { return req.(*pb.UpdateUnitRequest).GetUnit().GetName() }}
)

var rpcs = map[string]rpc{
	pb.AdminService_CreateToken_FullMethodName: {action: access.AdminTokens},
	pb.AdminService_RevokeToken_FullMethodName: {action: access.AdminTokens},
	pb.AdminService_ListTokens_FullMethodName:  {action: access.AdminTokens},

	pb.RegistryService_CreateBank_FullMethodName:     {action: access.CreateBank},
	pb.RegistryService_GetBank_FullMethodName:        {action: access.ReadBanks, target: byName},
	pb.RegistryService_ListBanks_FullMethodName:      {action: access.ReadBanks},
	pb.RegistryService_UpdateBank_FullMethodName:     {action: access.UpdateBank, target: byBankName},
	pb.RegistryService_CreateUnit_FullMethodName:     {action: access.WriteUnits, target: byParent},
	pb.RegistryService_GetUnit_FullMethodName:        {action: access.ReadUnits, target: byName},
	pb.RegistryService_ListUnits_FullMethodName:      {action: access.ReadUnits, target: byParent},
	pb.RegistryService_SummarizeUnits_FullMethodName: {action: access.ReadUnits, target: byParent},
	pb.RegistryService_UpdateUnit_FullMethodName:     {action: access.WriteUnits, target: byUnitName},
	pb.RegistryService_ImportUnits_FullMethodName:    {action: access.WriteUnits, target: byParent},

	pb.SearchService_SearchUnits_FullMethodName:       {action: access.SearchUnits},
	pb.SearchService_SearchDoubleUnits_FullMethodName: {action: access.SearchUnits},
	pb.SearchService_SearchBankUnits_FullMethodName:   {action: access.SearchBankUnits, target: bySearchBank},

	pb.LifecycleService_ReleaseUnit_FullMethodName:         {action: access.Lifecycle, target: byName},
	pb.LifecycleService_MakeUnitUnavailable_FullMethodName: {action: access.Lifecycle, target: byName},
	pb.LifecycleService_MakeUnitAvailable_FullMethodName:   {action: access.Lifecycle, target: byName},
	pb.LifecycleService_DiscardUnit_FullMethodName:         {action: access.Lifecycle, target: byName},
	pb.LifecycleService_ExpireUnit_FullMethodName:          {action: access.Lifecycle, target: byName},
	pb.LifecycleService_ShipUnit_FullMethodName:            {action: access.Lifecycle, target: byName},
	pb.LifecycleService_RecordInfusion_FullMethodName:      {action: access.Lifecycle, target: byName},
	pb.LifecycleService_WithdrawUnit_FullMethodName:        {action: access.WithdrawUnit, target: byName},
	pb.LifecycleService_TransferUnit_FullMethodName:        {action: access.TransferUnit, target: byName},

	pb.AuditService_ListUnitHistory_FullMethodName:          {action: access.ReadAudit, target: byName},
	pb.AuditService_ListEvents_FullMethodName:               {action: access.ReadAudit, target: byParent},
	pb.AuditService_WatchEvents_FullMethodName:              {action: access.ReadAudit, target: byParent},
	pb.AuditService_VerifyAuditTrail_FullMethodName:         {action: access.VerifyAudit},
	pb.AuditService_GetLatestAuditCheckpoint_FullMethodName: {action: access.ReadCheckpoint},

	pb.ReservationService_ReserveUnit_FullMethodName:               {action: access.ReserveUnit, target: byName},
	pb.ReservationService_GetReservation_FullMethodName:            {action: access.ReadReservations, target: byName},
	pb.ReservationService_ListReservations_FullMethodName:          {action: access.ReadReservations, target: byParent},
	pb.ReservationService_ExtendReservation_FullMethodName:         {action: access.ChangeReservation, target: byName},
	pb.ReservationService_ReleaseReservation_FullMethodName:        {action: access.ChangeReservation, target: byName},
	pb.ReservationService_RequestConfirmatoryTyping_FullMethodName: {action: access.RequestForCentre, target: byName},
	pb.ReservationService_RequestShipment_FullMethodName:           {action: access.RequestForCentre, target: byName},
	pb.ReservationService_RecordConfirmatoryTyping_FullMethodName:  {action: access.RecordConfirmatoryTyping, target: byName},

	pb.TypingService_ImportTypingReport_FullMethodName: {action: access.ImportTypingReport, target: byParent},

	pb.InventoryService_CreateContainer_FullMethodName:          {action: access.WriteInventory, target: byParent},
	pb.InventoryService_BatchCreateContainers_FullMethodName:    {action: access.WriteInventory, target: byParent},
	pb.InventoryService_GetContainer_FullMethodName:             {action: access.ReadInventory, target: byName},
	pb.InventoryService_ListContainers_FullMethodName:           {action: access.ReadInventory, target: byParent},
	pb.InventoryService_GetContainerMap_FullMethodName:          {action: access.ReadInventory, target: byName},
	pb.InventoryService_GetContainerOccupancy_FullMethodName:    {action: access.ReadInventory, target: byName},
	pb.InventoryService_FindFreePositions_FullMethodName:        {action: access.ReadInventory, target: byParent},
	pb.InventoryService_PlaceUnit_FullMethodName:                {action: access.WriteInventory, target: byName},
	pb.InventoryService_MoveUnit_FullMethodName:                 {action: access.WriteInventory, target: byName},
	pb.InventoryService_GetUnitLocation_FullMethodName:          {action: access.ReadInventory, target: byName},
	pb.InventoryService_MoveContainer_FullMethodName:            {action: access.WriteInventory, target: byName},
	pb.InventoryService_EvacuateContainer_FullMethodName:        {action: access.WriteInventory, target: byName},
	pb.InventoryService_RecordTemperatureReading_FullMethodName: {action: access.WriteInventory, target: byParent},
	pb.InventoryService_ListExcursions_FullMethodName:           {action: access.ReadInventory, target: byParent},

	// A scan names no bank: the domain looks the DIN up in the caller's view.
	pb.LabelService_LookupScan_FullMethodName:   {action: access.ReadUnits},
	pb.LabelService_PrintLabel_FullMethodName:   {action: access.PrintLabel, target: byName},
	pb.LabelService_ReprintLabel_FullMethodName: {action: access.ReprintLabel, target: byName},
	// Imports write units as ImportUnits does; exports and reports read
	// what their underlying use cases read, scoped as those are.
	pb.InterchangeService_ImportSpreadsheet_FullMethodName:  {action: access.WriteUnits, target: byParent},
	pb.InterchangeService_ExportUnits_FullMethodName:        {action: access.ReadUnits, target: byParent},
	pb.InterchangeService_ReportInventory_FullMethodName:    {action: access.ReadUnits, target: byParent},
	pb.InterchangeService_ReportAgeingUnits_FullMethodName:  {action: access.ReadUnits, target: byParent},
	pb.InterchangeService_ReportReservations_FullMethodName: {action: access.ReadReservations, target: byParent},
	pb.InterchangeService_ReportExcursions_FullMethodName:   {action: access.ReadInventory, target: byParent},
}

// authorize checks p's right to send req under the policy. req may be nil
// (a stream before its first message): only the role is checked then. The
// decision uses the role and the bank id in the request alone, so a
// refusal reveals nothing about which units exist.
func (r rpc) authorize(p bank.Principal, req any) error {
	if !access.RoleMay(p, r.action) || req == nil || r.target == nil {
		return bank.CheckAccess(p, r.action, "", false)
	}
	name := r.target.get(req)
	switch req.(type) {
	case *pb.ImportUnitsRequest, *pb.ImportSpreadsheetRequest:
		if name == "" {
			return nil // later messages of an import need not repeat the bank
		}
	}
	bankID, every, err := bankOf(name, access.Policy[r.action].EveryBank)
	if err != nil {
		if access.ScopeOf(p, r.action) == access.Any {
			// The handler refuses the name too, together with every
			// other bad field of the request.
			return nil
		}
		return invalid(r.target.field, err)
	}
	return bank.CheckAccess(p, r.action, bankID, every)
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
