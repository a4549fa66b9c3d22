-- 0003_hla_reading: how each unit's typings were read.
--
-- hla_release is the IPD-IMGT/HLA release the typings were checked and
-- reduced against ('' = syntax only). hla_reading is derived data, a JSON
-- object keyed by locus: {"A": {"gl": .., "p": .., "lgx": ..,
-- "serology": .., "flags": ..}, ...}. It is recomputed, never edited by
-- hand, when a newer release is loaded (cordbank hla reread).
ALTER TABLE units ADD COLUMN hla_release TEXT NOT NULL DEFAULT '';
ALTER TABLE units ADD COLUMN hla_reading TEXT;
