-- 0002_unit_indexes: indexes behind ListUnits. Every list is keyset-paged by
-- DIN within one bank, optionally filtered by status or collection date.
CREATE INDEX units_bank_din ON units (bank_id, din);
CREATE INDEX units_bank_status_din ON units (bank_id, status, din);
CREATE INDEX units_bank_collection_date ON units (bank_id, collection_date);
