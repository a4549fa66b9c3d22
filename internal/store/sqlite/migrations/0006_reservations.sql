-- 0006_reservations: transplant centres' holds on units.
--
-- A unit has at most one open reservation (ACTIVE or SHIPMENT_REQUESTED):
-- the partial unique index makes a second one impossible even if the
-- service had a bug. Closed reservations are kept forever, with why and
-- when they closed.
CREATE TABLE reservations (
    id                    TEXT    NOT NULL PRIMARY KEY,
    bank_id               TEXT    NOT NULL REFERENCES banks (id),
    din                   TEXT    NOT NULL REFERENCES units (din),
    transplant_center     TEXT    NOT NULL,
    patient_id            TEXT    NOT NULL,   -- registry patient id, never a name
    status                TEXT    NOT NULL,
    expire_time           INTEGER NOT NULL,   -- nanoseconds since 1970-01-01 UTC
    ct                    TEXT    NOT NULL DEFAULT '',
    ct_request_time       INTEGER,
    ct_complete_date      TEXT,               -- YYYY-MM-DD (EMDIS CB_CT_COMPLETE_DATE)
    ct_typing             TEXT,               -- JSON [{"locus","text"}]
    ct_discrepancies      TEXT    NOT NULL DEFAULT '', -- comma-separated loci
    shipment_request_time INTEGER,
    end_time              INTEGER,
    end_reason            TEXT    NOT NULL DEFAULT '',
    create_time           INTEGER NOT NULL,
    update_time           INTEGER NOT NULL,
    version               INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX reservations_open ON reservations (din) WHERE status IN ('ACTIVE', 'SHIPMENT_REQUESTED');
CREATE INDEX reservations_due ON reservations (status, expire_time);
CREATE INDEX reservations_bank ON reservations (bank_id, id);
CREATE INDEX reservations_unit ON reservations (din, id);
