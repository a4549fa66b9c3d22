-- 0004_lifecycle: what the last status change recorded, and custody.
--
-- status_reason is the EMDIS reason code (CB_STAT_REASON: 'QR', 'AD', 'CD',
-- 'MR', 'DS', 'OT', 'XP', 'NS') the lifecycle method recorded; '' means the
-- status's default reason. status_end_date is the EMDIS CB_STAT_END_DATE
-- of a temporary status, 'YYYY-MM-DD', NULL when open-ended. status_note is
-- the free-text note of the change. status_time is when the unit entered
-- its status, INTEGER nanoseconds since 1970-01-01 UTC; NULL means at
-- registration (create_time).
--
-- distributing_bank_id is the bank that distributes the unit after a
-- transfer (EMDIS BANK_DISTRIB_ID); NULL means the parent bank (bank_id),
-- so the distributor is COALESCE(distributing_bank_id, bank_id).
ALTER TABLE units ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE units ADD COLUMN status_end_date TEXT
    CHECK (status_end_date IS NULL OR status_end_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]');
ALTER TABLE units ADD COLUMN status_note TEXT NOT NULL DEFAULT '';
ALTER TABLE units ADD COLUMN status_time INTEGER;
ALTER TABLE units ADD COLUMN distributing_bank_id TEXT REFERENCES banks (id);
