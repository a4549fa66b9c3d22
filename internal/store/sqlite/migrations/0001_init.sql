-- 0001_init: banks, units and request records.
--
-- The schema is meant to be read with plain SQL for decades, so every field
-- of a unit has its own column with an obvious name, and values are stored in
-- their most readable form:
--   * dates are TEXT 'YYYY-MM-DD' (they sort and compare as dates), NULL when
--     not given;
--   * enums are their TEXT values ('PUBLIC', 'QUARANTINE', 'O', ...);
--   * cell counts are absolute numbers of cells as REAL, NULL when not
--     measured (unknown is not zero);
--   * timestamps are INTEGER nanoseconds since 1970-01-01 UTC;
--   * HLA typings are the text as submitted, one column per locus, NULL when
--     the locus was not typed; typings of any other locus are kept as a JSON
--     array of {"locus","text"} objects in hla_other.
-- Tables are STRICT so a value of the wrong type is refused, not coerced.

CREATE TABLE banks (
    id             TEXT    NOT NULL PRIMARY KEY,
    display_name   TEXT    NOT NULL,
    fin            TEXT    NOT NULL UNIQUE,   -- ISBT 128 facility identification number
    country        TEXT    NOT NULL,          -- ISO 3166-1 alpha-2
    accreditations TEXT    NOT NULL DEFAULT '', -- comma-separated, e.g. 'FACT_NETCORD,AABB'
    create_time    INTEGER NOT NULL,
    update_time    INTEGER NOT NULL,
    version        INTEGER NOT NULL
) STRICT;

CREATE TABLE units (
    din                  TEXT    NOT NULL PRIMARY KEY, -- ISBT 128 DIN, 13 characters, globally unique
    bank_id              TEXT    NOT NULL REFERENCES banks (id),
    unit_type            TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    local_id             TEXT    NOT NULL DEFAULT '',
    collection_date      TEXT    NOT NULL,
    processing_date      TEXT    NOT NULL,
    freeze_date          TEXT,
    processing_method    TEXT    NOT NULL,
    reduction            TEXT    NOT NULL,
    infant_birth_date    TEXT    NOT NULL,
    infant_sex           TEXT    NOT NULL,
    abo                  TEXT    NOT NULL,
    rh                   TEXT    NOT NULL,
    ethnicity            TEXT    NOT NULL DEFAULT '',
    collection_volume_ml REAL    NOT NULL,
    frozen_volume_ml     REAL,                 -- NULL: unknown
    pre_processing_tnc   REAL,
    post_processing_tnc  REAL    NOT NULL,
    pre_processing_cd34  REAL,
    post_processing_cd34 REAL,
    viability_percent    REAL,
    cfu                  REAL,
    nucleated_rbc        REAL,
    bags                 INTEGER NOT NULL,
    compartments_per_bag INTEGER NOT NULL,
    attached_segments    INTEGER NOT NULL,
    idm                  TEXT    NOT NULL,
    idm_test_date        TEXT,
    hla_a                TEXT,
    hla_b                TEXT,
    hla_c                TEXT,
    hla_drb1             TEXT,
    hla_drb3             TEXT,
    hla_drb4             TEXT,
    hla_drb5             TEXT,
    hla_dqa1             TEXT,
    hla_dqb1             TEXT,
    hla_dpa1             TEXT,
    hla_dpb1             TEXT,
    hla_other            TEXT,                 -- JSON [{"locus":..,"text":..}] of other loci
    private_maternal_id        TEXT NOT NULL DEFAULT '',
    private_maternal_hla       TEXT,           -- JSON [{"locus":..,"text":..}]
    private_family_id          TEXT NOT NULL DEFAULT '',
    private_directed_recipient TEXT NOT NULL DEFAULT '',
    private_notes              TEXT NOT NULL DEFAULT '',
    create_time          INTEGER NOT NULL,
    update_time          INTEGER NOT NULL,
    version              INTEGER NOT NULL,
    CHECK (collection_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    CHECK (processing_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    CHECK (infant_birth_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
) STRICT;

-- requests remembers create calls that carried a request_id (AIP-155), so a
-- retry is answered with the first result.
CREATE TABLE requests (
    request_id  TEXT    NOT NULL PRIMARY KEY,
    method      TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    resource    TEXT    NOT NULL,
    create_time INTEGER NOT NULL
) STRICT;
