package bank

import (
	"slices"
	"sort"
	"strings"
)

// unitImmutable are paths an update may never name: identity, ownership,
// lifecycle state (changed only by lifecycle methods) and server-set fields.
var unitImmutable = map[string]bool{
	"name": true, "din": true, "unit_type": true, "status": true,
	"create_time": true, "update_time": true, "etag": true, "emdis_status": true, "emdis_reason": true, "hla_release": true,
	"status_reason": true, "status_end_date": true, "status_note": true, "status_time": true, "distributing_bank": true,
}

// unitSetters copy one mask path from src to dst. Paths are the API's
// snake_case field paths; a parent path ("cells") replaces the whole group.
var unitSetters = map[string]func(dst, src *Unit){
	"local_id":             func(d, s *Unit) { d.LocalID = s.LocalID },
	"collection_date":      func(d, s *Unit) { d.CollectionDate = s.CollectionDate },
	"processing_date":      func(d, s *Unit) { d.ProcessingDate = s.ProcessingDate },
	"freeze_date":          func(d, s *Unit) { d.FreezeDate = s.FreezeDate },
	"processing_method":    func(d, s *Unit) { d.ProcessingMethod = s.ProcessingMethod },
	"reduction":            func(d, s *Unit) { d.Reduction = s.Reduction },
	"infant_birth_date":    func(d, s *Unit) { d.InfantBirthDate = s.InfantBirthDate },
	"infant_sex":           func(d, s *Unit) { d.InfantSex = s.InfantSex },
	"abo":                  func(d, s *Unit) { d.ABO = s.ABO },
	"rh":                   func(d, s *Unit) { d.Rh = s.Rh },
	"ethnicity":            func(d, s *Unit) { d.Ethnicity = s.Ethnicity },
	"collection_volume_ml": func(d, s *Unit) { d.CollectionVolumeML = s.CollectionVolumeML },
	"frozen_volume_ml":     func(d, s *Unit) { d.FrozenVolumeML = s.FrozenVolumeML },
	"cells":                func(d, s *Unit) { d.Cells = cloneCells(s.Cells) },
	"cells.pre_processing_tnc": func(d, s *Unit) {
		d.Cells.PreProcessingTNC = cloneCells(s.Cells).PreProcessingTNC
	},
	"cells.post_processing_tnc": func(d, s *Unit) { d.Cells.PostProcessingTNC = s.Cells.PostProcessingTNC },
	"cells.pre_processing_cd34": func(d, s *Unit) {
		d.Cells.PreProcessingCD34 = cloneCells(s.Cells).PreProcessingCD34
	},
	"cells.post_processing_cd34": func(d, s *Unit) {
		d.Cells.PostProcessingCD34 = cloneCells(s.Cells).PostProcessingCD34
	},
	"cells.viability_percent": func(d, s *Unit) { d.Cells.ViabilityPercent = cloneCells(s.Cells).ViabilityPercent },
	"cells.cfu":               func(d, s *Unit) { d.Cells.CFU = cloneCells(s.Cells).CFU },
	"cells.nucleated_rbc":     func(d, s *Unit) { d.Cells.NucleatedRBC = cloneCells(s.Cells).NucleatedRBC },
	"bags":                    func(d, s *Unit) { d.Bags = s.Bags },
	"compartments_per_bag":    func(d, s *Unit) { d.CompartmentsPerBag = s.CompartmentsPerBag },
	"attached_segments":       func(d, s *Unit) { d.AttachedSegments = s.AttachedSegments },
	"idm":                     func(d, s *Unit) { d.IDM = s.IDM },
	"idm_test_date":           func(d, s *Unit) { d.IDMTestDate = s.IDMTestDate },
	"hla":                     func(d, s *Unit) { d.HLA = slices.Clone(s.HLA) },
	"private":                 func(d, s *Unit) { d.Private = s.Private; d.Private.MaternalHLA = slices.Clone(s.Private.MaternalHLA) },
	"private.maternal_id":     func(d, s *Unit) { d.Private.MaternalID = s.Private.MaternalID },
	"private.maternal_hla":    func(d, s *Unit) { d.Private.MaternalHLA = slices.Clone(s.Private.MaternalHLA) },
	"private.family_id":       func(d, s *Unit) { d.Private.FamilyID = s.Private.FamilyID },
	"private.directed_recipient": func(d, s *Unit) {
		d.Private.DirectedRecipient = s.Private.DirectedRecipient
	},
	"private.notes": func(d, s *Unit) { d.Private.Notes = s.Private.Notes },
}

// unitMutablePaths is what "*" expands to: every top-level mutable path
// (group paths cover their members).
var unitMutablePaths = func() []string {
	var out []string
	for p := range unitSetters {
		if !strings.Contains(p, ".") {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}()
