package bank

import (
	"github.com/cordbank/cordbank/bank/jsonenc"
)

// appendUnitJSON appends u as encoding/json.Marshal writes it (the json
// tags of Unit and its parts), byte for byte. Every created unit is
// snapshotted into its audit event, and on the import path reflection made
// that cost as much as storing the unit. TestUnitJSONMatchesEncodingJSON
// compares the two with every field set; a field added to Unit but not
// here fails it.
func appendUnitJSON(dst []byte, u *Unit) ([]byte, error) {
	o := jsonenc.Begin(dst)
	o.StringOmitEmpty("bank", u.Bank)
	o.StringOmitEmpty("din", string(u.DIN))
	o.StringOmitEmpty("unit_type", string(u.Type))
	o.StringOmitEmpty("status", string(u.Status))
	o.StringOmitEmpty("local_id", u.LocalID)
	// omitempty never drops a struct, so dates always appear.
	o.String("collection_date", u.CollectionDate.String())
	o.String("processing_date", u.ProcessingDate.String())
	o.String("freeze_date", u.FreezeDate.String())
	o.StringOmitEmpty("processing_method", string(u.ProcessingMethod))
	o.StringOmitEmpty("reduction", string(u.Reduction))
	o.String("infant_birth_date", u.InfantBirthDate.String())
	o.StringOmitEmpty("infant_sex", string(u.InfantSex))
	o.StringOmitEmpty("abo", string(u.ABO))
	o.StringOmitEmpty("rh", string(u.Rh))
	o.StringOmitEmpty("ethnicity", u.Ethnicity)
	o.FloatOmitEmpty("collection_volume_ml", u.CollectionVolumeML)
	o.FloatOmitEmpty("frozen_volume_ml", u.FrozenVolumeML)

	o.Key("cells")
	c := &u.Cells
	cells := jsonenc.Begin(o.Buf)
	cells.OptionalFloat("pre_processing_tnc", c.PreProcessingTNC)
	cells.FloatOmitEmpty("post_processing_tnc", c.PostProcessingTNC)
	cells.OptionalFloat("pre_processing_cd34", c.PreProcessingCD34)
	cells.OptionalFloat("post_processing_cd34", c.PostProcessingCD34)
	cells.OptionalFloat("viability_percent", c.ViabilityPercent)
	cells.OptionalFloat("cfu", c.CFU)
	cells.OptionalFloat("nucleated_rbc", c.NucleatedRBC)
	if err := cells.Err(); err != nil {
		return dst, err
	}
	o.Buf = cells.End()

	o.IntOmitEmpty("bags", int64(u.Bags))
	o.IntOmitEmpty("compartments_per_bag", int64(u.CompartmentsPerBag))
	o.IntOmitEmpty("attached_segments", int64(u.AttachedSegments))
	o.StringOmitEmpty("idm", string(u.IDM))
	o.String("idm_test_date", u.IDMTestDate.String())
	if len(u.HLA) > 0 {
		o.Key("hla")
		o.Buf = appendTypingsJSON(o.Buf, u.HLA)
	}
	o.StringOmitEmpty("hla_release", u.HLARelease)

	o.Key("private")
	p := &u.Private
	priv := jsonenc.Begin(o.Buf)
	priv.StringOmitEmpty("maternal_id", p.MaternalID)
	if len(p.MaternalHLA) > 0 {
		priv.Key("maternal_hla")
		priv.Buf = appendTypingsJSON(priv.Buf, p.MaternalHLA)
	}
	priv.StringOmitEmpty("family_id", p.FamilyID)
	priv.StringOmitEmpty("directed_recipient", p.DirectedRecipient)
	priv.StringOmitEmpty("notes", p.Notes)
	o.Buf = priv.End()

	o.StringOmitEmpty("status_reason", u.StatusReason)
	o.String("status_end_date", u.StatusEndDate.String())
	o.StringOmitEmpty("status_note", u.StatusNote)
	o.Time("status_time", u.StatusTime)
	o.StringOmitEmpty("distributing_bank", u.DistributingBank)
	o.Time("create_time", u.CreateTime)
	o.Time("update_time", u.UpdateTime)
	o.IntOmitEmpty("version", u.Version)
	if err := o.Err(); err != nil {
		return dst, err
	}
	return o.End(), nil
}

// appendTypingsJSON appends typings as encoding/json writes []LocusTyping.
func appendTypingsJSON(dst []byte, ts []LocusTyping) []byte {
	dst = append(dst, '[')
	for i, t := range ts {
		if i > 0 {
			dst = append(dst, ',')
		}
		o := jsonenc.Begin(dst)
		o.StringOmitEmpty("locus", t.Locus)
		o.StringOmitEmpty("text", t.Text)
		dst = o.End()
	}
	return append(dst, ']')
}
