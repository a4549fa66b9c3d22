package server

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"google.golang.org/grpc/status"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// registry implements pb.RegistryServiceServer over a bank.Service.
type registry struct {
	pb.UnimplementedRegistryServiceServer
	svc *bank.Service
	log *slog.Logger
}

func (r *registry) CreateBank(ctx context.Context, req *pb.CreateBankRequest) (*pb.Bank, error) {
	b := bankFromProto(req.GetBank())
	b.ID = req.GetBankId()
	out, err := r.svc.CreateBank(ctx, b, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return bankToProto(out), nil
}

func (r *registry) GetBank(ctx context.Context, req *pb.GetBankRequest) (*pb.Bank, error) {
	id, err := parseBankName(req.GetName())
	if err != nil {
		return nil, invalid("name", err)
	}
	out, err := r.svc.GetBank(ctx, id)
	if err != nil {
		return nil, err
	}
	return bankToProto(out), nil
}

func (r *registry) ListBanks(ctx context.Context, req *pb.ListBanksRequest) (*pb.ListBanksResponse, error) {
	banks, next, err := r.svc.ListBanks(ctx, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &pb.ListBanksResponse{NextPageToken: next, Banks: make([]*pb.Bank, len(banks))}
	for i, b := range banks {
		resp.Banks[i] = bankToProto(b)
	}
	return resp, nil
}

func (r *registry) UpdateBank(ctx context.Context, req *pb.UpdateBankRequest) (*pb.Bank, error) {
	id, err := parseBankName(req.GetBank().GetName())
	if err != nil {
		return nil, invalid("bank.name", err)
	}
	b := bankFromProto(req.GetBank())
	b.ID = id
	mask := req.GetUpdateMask().GetPaths()
	if len(mask) == 0 && req.GetBank() != nil {
		mask = populatedPaths(req.GetBank().ProtoReflect(), bankOutputOnly)
	}
	out, err := r.svc.UpdateBank(ctx, b, mask, req.GetBank().GetEtag())
	if err != nil {
		return nil, err
	}
	return bankToProto(out), nil
}

// unitRequest converts a wire unit of a create request and reports parse
// errors together with the domain's own findings, so one response names
// every bad field.
func (r *registry) unitRequest(parent string, u *pb.Unit) (*bank.Unit, error) {
	var v bank.Violations
	id, err := parseBankName(parent)
	if err != nil {
		v.Add("parent", "%v", err)
	}
	if u.GetDin() == "" {
		v.Add("unit.din", "required")
	}
	du := unitFromProto(u, &v, "unit.")
	du.Bank = id
	if v.Len() > 0 {
		for _, dv := range r.svc.ValidateUnit(du) {
			if !v.Has(dv.Field) {
				v.Add(dv.Field, "%s", dv.Description)
			}
		}
		return nil, v.Err("invalid unit")
	}
	return du, nil
}

func (r *registry) CreateUnit(ctx context.Context, req *pb.CreateUnitRequest) (*pb.Unit, error) {
	u, err := r.unitRequest(req.GetParent(), req.GetUnit())
	if err != nil {
		return nil, err
	}
	out, err := r.svc.CreateUnit(ctx, u, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return unitToProto(out), nil
}

func (r *registry) GetUnit(ctx context.Context, req *pb.GetUnitRequest) (*pb.Unit, error) {
	if raw, ok := strings.CutPrefix(req.GetName(), "banks/-/units/"); ok {
		// Any bank: the DIN as scanned or printed (flags, check
		// character) names the unit wherever it is.
		din, err := parseDINSegment(raw)
		if err != nil {
			return nil, invalid("name", err)
		}
		out, err := r.svc.LookupUnit(ctx, din)
		if err != nil {
			return nil, err
		}
		return unitToProto(out), nil
	}
	id, din, err := parseUnitName(req.GetName())
	if err != nil {
		return nil, invalid("name", err)
	}
	out, err := r.svc.GetUnit(ctx, id, din)
	if err != nil {
		return nil, err
	}
	return unitToProto(out), nil
}

// listUnitsRequest converts a ListUnits request (ExportUnits filters
// with the same one), recording its bad fields in v.
func listUnitsRequest(v *bank.Violations, req *pb.ListUnitsRequest) bank.ListUnitsRequest {
	id, err := parseBankName(req.GetParent())
	if err != nil {
		v.Add("parent", "%v", err)
	}
	lr := bank.ListUnitsRequest{
		Bank:      id,
		Statuses:  fromEnums[lifecycle.Status](req.GetStatus(), pfxUnitStatus),
		Types:     fromEnums[bank.UnitType](req.GetUnitType(), pfxUnitType),
		ABOs:      fromEnums[bank.ABO](req.GetAbo(), pfxABO),
		PageSize:  int(req.GetPageSize()),
		PageToken: req.GetPageToken(),
	}
	lr.CollectedFrom = parseDateField(v, "collection_date_from", req.GetCollectionDateFrom())
	lr.CollectedTo = parseDateField(v, "collection_date_to", req.GetCollectionDateTo())
	return lr
}

func (r *registry) ListUnits(ctx context.Context, req *pb.ListUnitsRequest) (*pb.ListUnitsResponse, error) {
	var v bank.Violations
	lr := listUnitsRequest(&v, req)
	if err := v.Err("invalid list request"); err != nil {
		return nil, err
	}
	units, next, err := r.svc.ListUnits(ctx, lr)
	if err != nil {
		return nil, err
	}
	resp := &pb.ListUnitsResponse{NextPageToken: next, Units: make([]*pb.Unit, len(units))}
	for i, u := range units {
		resp.Units[i] = unitToProto(u)
	}
	return resp, nil
}

func (r *registry) UpdateUnit(ctx context.Context, req *pb.UpdateUnitRequest) (*pb.Unit, error) {
	id, din, err := parseUnitName(req.GetUnit().GetName())
	if err != nil {
		return nil, invalid("unit.name", err)
	}
	var v bank.Violations
	u := unitFromProto(req.GetUnit(), &v, "unit.")
	if err := v.Err("invalid unit"); err != nil {
		return nil, err
	}
	u.Bank, u.DIN = id, din
	mask := req.GetUpdateMask().GetPaths()
	if len(mask) == 0 && req.GetUnit() != nil {
		mask = populatedPaths(req.GetUnit().ProtoReflect(), unitOutputOnly)
	}
	out, err := r.svc.UpdateUnit(ctx, u, mask, req.GetUnit().GetEtag())
	if err != nil {
		return nil, err
	}
	return unitToProto(out), nil
}

// importBatch is how many streamed units go into one transaction: large
// enough to amortize the commit (the fsync, and rewriting the index pages
// every transaction touches into the WAL: batches of 1,000 cost an import
// about 15 % more CPU than 5,000), small enough that another client's
// write, which the writer runs before queued import batches, waits at
// most for the one batch already running (about 0.1 s). The first batches are smaller
// (firstImportBatch, doubling), so the writer starts while the rest of the
// stream is still arriving.
const (
	importBatch      = 2500
	firstImportBatch = 250
)

// importChunk is a batch of converted units on its way to the store, with
// each unit's stream position and DIN as sent.
type importChunk struct {
	units   []*bank.Unit
	indexes []int
	dins    []string
	// end is the number of stream units received when the chunk was
	// sent: once it is committed, every unit before end is decided.
	end     int
	batch   *bank.ImportBatch // the units validated and prepared
	results []bank.ImportResult
}

// protoResults are the per-unit results of a committed chunk.
func (c *importChunk) protoResults() []*pb.ImportUnitResult {
	out := make([]*pb.ImportUnitResult, len(c.results))
	for i, rr := range c.results {
		res := &pb.ImportUnitResult{Index: int32(c.indexes[i]), Din: c.dins[i]}
		if rr.Err != nil {
			res.Error = importError(rr.Err)
		} else {
			res.Name, res.AlreadyPresent = rr.Unit.Name(), rr.AlreadyPresent
		}
		out[i] = res
	}
	return out
}

// ImportUnits receives, converts, validates and prepares units on the
// stream's goroutine while a second goroutine commits the previous batch,
// so the CPU work and SQLite's single writer run at the same time. A third
// goroutine turns committed batches into results and waits for the search
// index to hold them, off the writer's path. The semantics a client relies
// on are in the proto (RegistryService.ImportUnits).
func (r *registry) ImportUnits(stream pb.RegistryService_ImportUnitsServer) error {
	resp, err := r.importUnits(stream.Context(), stream.Recv, false)
	if err != nil {
		return err
	}
	return stream.SendAndClose(resp)
}

// importUnits is ImportUnits over any source of messages: recv returns
// the next one, io.EOF after the last. With dryRun every batch is decided
// by TryImport and nothing is written. InterchangeService's spreadsheet
// import runs through here too, so both imports share their validation,
// batches, audit events and failure semantics.
func (r *registry) importUnits(ctx context.Context, recv func() (*pb.ImportUnitsRequest, error), dryRun bool) (*pb.ImportUnitsResponse, error) {
	commit := r.svc.CommitImport
	if dryRun {
		commit = r.svc.TryImport
	}
	var (
		parent, bankID string
		early          []*pb.ImportUnitResult // refused while converting
		stored         []*pb.ImportUnitResult // results of committed batches
		workerErr      error
		committedEnd   int // every unit before it is decided and committed
		failed         atomic.Bool
	)
	chunks := make(chan importChunk, 1)
	committed := make(chan importChunk, 64)
	done := make(chan struct{})
	go func() {
		defer close(committed)
		for c := range chunks {
			if workerErr != nil {
				continue // drain: the import has failed
			}
			res, err := commit(ctx, c.batch)
			if err != nil {
				workerErr = err
				failed.Store(true)
				continue
			}
			c.results = res
			committed <- c
		}
	}()
	go func() {
		defer close(done)
		for c := range committed {
			stored = append(stored, c.protoResults()...)
			committedEnd = c.end
			// The reply waits for the index: a search made after it
			// finds the units.
			c.batch.Wait()
		}
	}()
	var cur importChunk
	batchSize := firstImportBatch
	received := 0 // units received so far (the next unit's index)
	send := func() {
		if len(cur.units) > 0 {
			cur.end = received
			cur.batch = r.svc.PrepareImport(ctx, bankID, cur.units)
			chunks <- cur
			cur = importChunk{}
		}
	}
	// finish commits what was received and waits for the worker and the
	// results.
	finish := func() error {
		send()
		close(chunks)
		<-done
		return workerErr
	}
	// fail ends the import at a failure of the stream itself: the units
	// received before it are still committed (unless the client is gone),
	// and the error says how far the import got.
	fail := func(cause error) error {
		if werr := finish(); werr != nil || ctx.Err() != nil {
			return cmp.Or(ctx.Err(), werr)
		}
		committedEnd = received
		return withImportProgress(ctx, r.log, cause, received, committedEnd, early, stored)
	}
	for !failed.Load() {
		req, err := recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fail(err)
		}
		if received == 0 && parent == "" {
			parent = req.GetParent()
			if bankID, err = parseBankName(parent); err != nil {
				return nil, fail(invalid("parent", err))
			}
		} else if p := req.GetParent(); p != "" && p != parent {
			return nil, fail(invalid("parent", errors.New("every message of an import must name the same bank as the first")))
		}
		if req.GetUnit() == nil {
			continue // a message that only names the bank (an empty import)
		}
		u, err := r.unitRequest(parent, req.GetUnit())
		if err != nil {
			early = append(early, &pb.ImportUnitResult{Index: int32(received), Din: req.GetUnit().GetDin(), Error: importError(err)})
		} else {
			cur.units, cur.indexes, cur.dins = append(cur.units, u), append(cur.indexes, received), append(cur.dins, req.GetUnit().GetDin())
		}
		received++
		if len(cur.units) >= batchSize {
			send()
			batchSize = min(2*batchSize, importBatch)
		}
	}
	if err := finish(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, withImportProgress(ctx, r.log, err, received, committedEnd, early, stored)
	}
	resp := &pb.ImportUnitsResponse{Results: append(early, stored...)}
	slices.SortFunc(resp.Results, func(a, b *pb.ImportUnitResult) int { return cmp.Compare(a.Index, b.Index) })
	for _, res := range resp.Results {
		switch {
		case res.Error != nil:
			resp.FailedCount++
		case res.AlreadyPresent:
			resp.AlreadyPresentCount++
		default:
			resp.CreatedCount++
		}
	}
	return resp, nil
}

// withImportProgress returns cause as a status with an ImportProgress
// detail: received units, the committed prefix, and its outcome counts.
func withImportProgress(ctx context.Context, log *slog.Logger, cause error, received, committedEnd int, early, stored []*pb.ImportUnitResult) error {
	p := &pb.ImportProgress{UnitsReceived: int32(received), UnitsCommitted: int32(committedEnd)}
	for _, results := range [][]*pb.ImportUnitResult{early, stored} {
		for _, res := range results {
			if int(res.Index) >= committedEnd {
				continue
			}
			switch {
			case res.Error != nil:
				p.FailedCount++
			case res.AlreadyPresent:
				p.AlreadyPresentCount++
			default:
				p.CreatedCount++
			}
		}
	}
	st, _ := status.FromError(toStatus(ctx, log, cause))
	if withDetail, err := st.WithDetails(p); err == nil {
		st = withDetail
	}
	return st.Err()
}

func importError(err error) *pb.ImportError {
	var de *bank.Error
	if !errors.As(err, &de) {
		return &pb.ImportError{Reason: pb.ErrorReason_INTERNAL, Message: "internal error"}
	}
	out := &pb.ImportError{Reason: pb.ErrorReason(pb.ErrorReason_value[string(de.Reason)]), Message: de.Message}
	md := (&pb.ImportUnitsRequest{}).ProtoReflect().Descriptor()
	for _, v := range de.Violations {
		// Enum values in the wire's names (ABO_O), as in error details.
		out.Violations = append(out.Violations, &pb.FieldViolation{Field: v.Field, Description: wireEnumDescription(md, v.Field, v.Description)})
	}
	return out
}

func (r *registry) SummarizeUnits(ctx context.Context, req *pb.SummarizeUnitsRequest) (*pb.UnitSummary, error) {
	id, err := parseBankName(req.GetParent())
	if err != nil {
		return nil, invalid("parent", err)
	}
	sum, err := r.svc.SummarizeUnits(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &pb.UnitSummary{Total: int32(sum.Total), ByStatus: map[string]int32{}, ByType: map[string]int32{},
		ByAbo: map[string]int32{}, ByCollectionYear: map[string]int32{}}
	for k, n := range sum.ByStatus {
		out.ByStatus[pfxUnitStatus+string(k)] = int32(n)
	}
	for k, n := range sum.ByType {
		out.ByType[pfxUnitType+string(k)] = int32(n)
	}
	for k, n := range sum.ByABO {
		out.ByAbo[pfxABO+string(k)] = int32(n)
	}
	for y, n := range sum.ByCollectionYear {
		out.ByCollectionYear[strconv.Itoa(y)] = int32(n)
	}
	for _, b := range sum.AvailableTNC {
		out.AvailableTnc = append(out.AvailableTnc, &pb.TncBin{Low: b.Low, High: b.High, Count: int32(b.N)})
	}
	return out, nil
}
