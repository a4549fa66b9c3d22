package server

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/unit"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// Wire enums are the domain's string values with a prefix
// (UNIT_TYPE_PUBLIC <-> "PUBLIC"), so one pair of generic functions
// converts all of them and a new enum value needs no code here.

// fromEnum returns the domain value of a wire enum: "" for the zero value,
// and a value the domain rejects for numbers this build does not know.
func fromEnum[T ~string](e protoreflect.Enum, prefix string) T {
	n := e.Number()
	if n == 0 {
		return ""
	}
	v := e.Descriptor().Values().ByNumber(n)
	if v == nil {
		return T(fmt.Sprintf("unknown value %d", n))
	}
	return T(strings.TrimPrefix(string(v.Name()), prefix))
}

// toEnum returns the wire number of a domain value (0 when unknown).
func toEnum[T ~string](desc protoreflect.EnumDescriptor, prefix string, v T) protoreflect.EnumNumber {
	if v == "" {
		return 0
	}
	if d := desc.Values().ByName(protoreflect.Name(prefix + string(v))); d != nil {
		return d.Number()
	}
	return 0
}

func fromEnums[T ~string, E protoreflect.Enum](es []E, prefix string) []T {
	if len(es) == 0 {
		return nil
	}
	out := make([]T, len(es))
	for i, e := range es {
		out[i] = fromEnum[T](e, prefix)
	}
	return out
}

// Enum prefixes of the wire enums.
const (
	pfxAccreditation = "ACCREDITATION_"
	pfxUnitType      = "UNIT_TYPE_"
	pfxUnitStatus    = "UNIT_STATUS_"
	pfxProcessing    = "PROCESSING_METHOD_"
	pfxReduction     = "REDUCTION_"
	pfxSex           = "SEX_"
	pfxABO           = "ABO_"
	pfxRh            = "RH_"
	pfxIDM           = "IDM_RESULT_"
)

func bankFromProto(b *pb.Bank) *bank.Bank {
	return &bank.Bank{
		DisplayName:    b.GetDisplayName(),
		FIN:            b.GetFin(),
		FINs:           b.GetFins(),
		Country:        b.GetCountry(),
		Accreditations: fromEnums[bank.Accreditation](b.GetAccreditations(), pfxAccreditation),
	}
}

func bankToProto(b *bank.Bank) *pb.Bank {
	out := &pb.Bank{
		Name:        bankName(b.ID),
		DisplayName: b.DisplayName,
		Fin:         b.FIN,
		Fins:        b.FINs,
		Country:     b.Country,
		CreateTime:  timestamppb.New(b.CreateTime),
		UpdateTime:  timestamppb.New(b.UpdateTime),
		Etag:        bank.Etag(b.Version),
	}
	for _, a := range b.Accreditations {
		out.Accreditations = append(out.Accreditations, pb.Accreditation(toEnum(pb.Accreditation(0).Descriptor(), pfxAccreditation, a)))
	}
	return out
}

// unitFromProto converts a wire unit. Fields that cannot even be parsed
// (DIN, dates) are recorded in v under prefix and left zero; the domain
// validates everything else.
func unitFromProto(u *pb.Unit, v *bank.Violations, prefix string) *bank.Unit {
	date := func(field, s string) unit.Date { return parseDateField(v, prefix+field, s) }
	out := &bank.Unit{
		Type:               fromEnum[bank.UnitType](u.GetUnitType(), pfxUnitType),
		LocalID:            u.GetLocalId(),
		CollectionDate:     date("collection_date", u.GetCollectionDate()),
		ProcessingDate:     date("processing_date", u.GetProcessingDate()),
		FreezeDate:         date("freeze_date", u.GetFreezeDate()),
		ProcessingMethod:   fromEnum[bank.ProcessingMethod](u.GetProcessingMethod(), pfxProcessing),
		Reduction:          fromEnum[bank.Reduction](u.GetReduction(), pfxReduction),
		InfantBirthDate:    date("infant_birth_date", u.GetInfantBirthDate()),
		InfantSex:          fromEnum[bank.Sex](u.GetInfantSex(), pfxSex),
		ABO:                fromEnum[bank.ABO](u.GetAbo(), pfxABO),
		Rh:                 fromEnum[bank.Rh](u.GetRh(), pfxRh),
		Ethnicity:          u.GetEthnicity(),
		CollectionVolumeML: u.GetCollectionVolumeMl(),
		FrozenVolumeML:     u.GetFrozenVolumeMl(),
		Bags:               int(u.GetBags()),
		CompartmentsPerBag: int(u.GetCompartmentsPerBag()),
		AttachedSegments:   int(u.GetAttachedSegments()),
		IDM:                fromEnum[bank.IDMResult](u.GetIdm(), pfxIDM),
		IDMTestDate:        date("idm_test_date", u.GetIdmTestDate()),
		HLA:                typingsFromProto(u.GetHla()),
	}
	if u.GetDin() != "" {
		din, err := unit.ParseDIN(u.GetDin())
		if err != nil {
			v.Add(prefix+"din", "%v", err)
		}
		out.DIN = din
	}
	if c := u.GetCells(); c != nil {
		out.Cells = bank.CellCounts{
			PreProcessingTNC:   c.PreProcessingTnc,
			PostProcessingTNC:  c.GetPostProcessingTnc(),
			PreProcessingCD34:  c.PreProcessingCd34,
			PostProcessingCD34: c.PostProcessingCd34,
			ViabilityPercent:   c.ViabilityPercent,
			CFU:                c.Cfu,
			NucleatedRBC:       c.NucleatedRbc,
		}
	}
	if p := u.GetPrivate(); p != nil {
		out.Private = bank.UnitPrivate{
			MaternalID:        p.GetMaternalId(),
			MaternalHLA:       typingsFromProto(p.GetMaternalHla()),
			FamilyID:          p.GetFamilyId(),
			DirectedRecipient: p.GetDirectedRecipient(),
			Notes:             p.GetNotes(),
		}
	}
	return out
}

// parseDateField parses an optional "YYYY-MM-DD" field, recording a
// violation when it is malformed.
func parseDateField(v *bank.Violations, field, s string) unit.Date {
	if s == "" {
		return unit.Date{}
	}
	d, err := unit.ParseDate(s)
	if err != nil {
		v.Add(field, "%v", err)
	}
	return d
}

func typingsFromProto(ts []*pb.LocusTyping) []bank.LocusTyping {
	if len(ts) == 0 {
		return nil
	}
	out := make([]bank.LocusTyping, len(ts))
	for i, t := range ts {
		out[i] = bank.LocusTyping{Locus: t.GetLocus(), Text: t.GetTyping()}
	}
	return out
}

func typingsToProto(ts []bank.LocusTyping) []*pb.LocusTyping {
	if len(ts) == 0 {
		return nil
	}
	out := make([]*pb.LocusTyping, len(ts))
	for i, t := range ts {
		r := &t.Reading
		out[i] = &pb.LocusTyping{Locus: t.Locus, Typing: t.Text, Canonical: r.GL,
			PGroup: r.P, Lgx: r.LGX, Serology: r.Serology}
		if r.Flags != "" {
			out[i].Flags = strings.Split(r.Flags, ",")
		}
	}
	return out
}

func unitToProto(u *bank.Unit) *pb.Unit {
	emdis, reason := u.EMDIS()
	out := &pb.Unit{
		Name:               u.Name(),
		Din:                string(u.DIN),
		DinCheckCharacter:  string(u.DIN.CheckChar()),
		UnitType:           pb.UnitType(toEnum(pb.UnitType(0).Descriptor(), pfxUnitType, u.Type)),
		Status:             pb.UnitStatus(toEnum(pb.UnitStatus(0).Descriptor(), pfxUnitStatus, u.Status)),
		EmdisStatus:        emdis,
		EmdisReason:        reason,
		StatusReason:       u.StatusReason,
		StatusEndDate:      u.StatusEndDate.String(),
		StatusNote:         u.StatusNote,
		StatusTime:         timestamppb.New(u.StatusSince()),
		DistributingBank:   bankName(u.Distributor()),
		LocalId:            u.LocalID,
		CollectionDate:     u.CollectionDate.String(),
		ProcessingDate:     u.ProcessingDate.String(),
		FreezeDate:         u.FreezeDate.String(),
		ProcessingMethod:   pb.ProcessingMethod(toEnum(pb.ProcessingMethod(0).Descriptor(), pfxProcessing, u.ProcessingMethod)),
		Reduction:          pb.Reduction(toEnum(pb.Reduction(0).Descriptor(), pfxReduction, u.Reduction)),
		InfantBirthDate:    u.InfantBirthDate.String(),
		InfantSex:          pb.Sex(toEnum(pb.Sex(0).Descriptor(), pfxSex, u.InfantSex)),
		Abo:                pb.ABO(toEnum(pb.ABO(0).Descriptor(), pfxABO, u.ABO)),
		Rh:                 pb.Rh(toEnum(pb.Rh(0).Descriptor(), pfxRh, u.Rh)),
		Ethnicity:          u.Ethnicity,
		CollectionVolumeMl: u.CollectionVolumeML,
		FrozenVolumeMl:     u.FrozenVolumeML,
		Cells: &pb.CellCounts{
			PreProcessingTnc:   u.Cells.PreProcessingTNC,
			PostProcessingTnc:  u.Cells.PostProcessingTNC,
			PreProcessingCd34:  u.Cells.PreProcessingCD34,
			PostProcessingCd34: u.Cells.PostProcessingCD34,
			ViabilityPercent:   u.Cells.ViabilityPercent,
			Cfu:                u.Cells.CFU,
			NucleatedRbc:       u.Cells.NucleatedRBC,
		},
		Bags:               int32(u.Bags),
		CompartmentsPerBag: int32(u.CompartmentsPerBag),
		AttachedSegments:   int32(u.AttachedSegments),
		Idm:                pb.IDMResult(toEnum(pb.IDMResult(0).Descriptor(), pfxIDM, u.IDM)),
		IdmTestDate:        u.IDMTestDate.String(),
		Hla:                typingsToProto(u.HLA),
		HlaRelease:         u.HLARelease,
		CreateTime:         timestamppb.New(u.CreateTime),
		UpdateTime:         timestamppb.New(u.UpdateTime),
		Etag:               bank.Etag(u.Version),
	}
	if !u.Private.IsZero() {
		p := &u.Private
		out.Private = &pb.UnitPrivate{
			MaternalId:        p.MaternalID,
			MaternalHla:       typingsToProto(p.MaternalHLA),
			FamilyId:          p.FamilyID,
			DirectedRecipient: p.DirectedRecipient,
			Notes:             p.Notes,
		}
	}
	return out
}

// populatedPaths returns the update mask implied by a message when the
// client sent none (AIP-134): every field that is set, except output-only
// ones. Message fields count as a whole ("cells", "private").
func populatedPaths(m protoreflect.Message, outputOnly map[string]bool) []string {
	var paths []string
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		if name := string(fd.Name()); !outputOnly[name] {
			paths = append(paths, name)
		}
		return true
	})
	return paths
}

var (
	bankOutputOnly = map[string]bool{"name": true, "create_time": true, "update_time": true, "etag": true}
	unitOutputOnly = map[string]bool{"name": true, "din": true, "din_check_character": true, "status": true,
		"emdis_status": true, "emdis_reason": true, "create_time": true, "update_time": true, "etag": true, "hla_release": true,
		"status_reason": true, "status_end_date": true, "status_note": true, "status_time": true, "distributing_bank": true}
)
