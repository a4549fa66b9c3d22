-- 0001_init: the whole schema, as SQLite's migrations 0001-0011 leave it.
--
-- The same tables and columns as internal/store/sqlite, with the same
-- readable encoding, so a bank can read its records with plain SQL for
-- decades and a database moves between the stores value for value:
--   * dates are text 'YYYY-MM-DD' (they sort and compare as dates), NULL
--     when not given;
--   * enums are their text values ('PUBLIC', 'QUARANTINE', 'O', ...);
--   * cell counts are absolute numbers of cells, NULL when not measured;
--   * timestamps are bigint nanoseconds since 1970-01-01 UTC: the audit
--     trail hashes event times to the nanosecond, which timestamptz
--     (microseconds) would round;
--   * HLA typings are the text as submitted, one column per locus.
-- Every text column compares bytewise (COLLATE "C"), as SQLite does:
-- keyset pages ordered by DIN or id must not depend on the server's locale.

CREATE TABLE banks (
    id             text COLLATE "C" NOT NULL PRIMARY KEY,
    display_name   text COLLATE "C" NOT NULL,
    fin            text COLLATE "C" NOT NULL CONSTRAINT banks_fin_key UNIQUE, -- primary ISBT 128 FIN
    country        text COLLATE "C" NOT NULL,          -- ISO 3166-1 alpha-2
    accreditations text COLLATE "C" NOT NULL DEFAULT '', -- comma-separated, e.g. 'FACT_NETCORD,AABB'
    create_time    bigint NOT NULL,
    update_time    bigint NOT NULL,
    version        bigint NOT NULL
);

-- bank_fins: the FINs each bank registers units under; a FIN belongs to at
-- most one bank.
CREATE TABLE bank_fins (
    fin     text COLLATE "C" NOT NULL CONSTRAINT bank_fins_pkey PRIMARY KEY,
    bank_id text COLLATE "C" NOT NULL REFERENCES banks (id)
);
CREATE INDEX bank_fins_bank ON bank_fins (bank_id, fin);

CREATE TABLE units (
    din                  text COLLATE "C" NOT NULL PRIMARY KEY, -- ISBT 128 DIN, globally unique
    bank_id              text COLLATE "C" NOT NULL REFERENCES banks (id),
    unit_type            text COLLATE "C" NOT NULL,
    status               text COLLATE "C" NOT NULL,
    local_id             text COLLATE "C" NOT NULL DEFAULT '',
    collection_date      text COLLATE "C" NOT NULL CHECK (collection_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    processing_date      text COLLATE "C" NOT NULL CHECK (processing_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    freeze_date          text COLLATE "C",
    processing_method    text COLLATE "C" NOT NULL,
    reduction            text COLLATE "C" NOT NULL,
    infant_birth_date    text COLLATE "C" NOT NULL CHECK (infant_birth_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    infant_sex           text COLLATE "C" NOT NULL,
    abo                  text COLLATE "C" NOT NULL,
    rh                   text COLLATE "C" NOT NULL,
    ethnicity            text COLLATE "C" NOT NULL DEFAULT '',
    collection_volume_ml double precision NOT NULL,
    frozen_volume_ml     double precision,             -- NULL: unknown
    pre_processing_tnc   double precision,
    post_processing_tnc  double precision NOT NULL,
    pre_processing_cd34  double precision,
    post_processing_cd34 double precision,
    viability_percent    double precision,
    cfu                  double precision,
    nucleated_rbc        double precision,
    bags                 bigint NOT NULL,
    compartments_per_bag bigint NOT NULL,
    attached_segments    bigint NOT NULL,
    idm                  text COLLATE "C" NOT NULL,
    idm_test_date        text COLLATE "C",
    hla_a                text COLLATE "C",
    hla_b                text COLLATE "C",
    hla_c                text COLLATE "C",
    hla_drb1             text COLLATE "C",
    hla_drb3             text COLLATE "C",
    hla_drb4             text COLLATE "C",
    hla_drb5             text COLLATE "C",
    hla_dqa1             text COLLATE "C",
    hla_dqb1             text COLLATE "C",
    hla_dpa1             text COLLATE "C",
    hla_dpb1             text COLLATE "C",
    hla_other            text COLLATE "C",             -- JSON [{"locus":..,"text":..}] of other loci
    hla_release          text COLLATE "C" NOT NULL DEFAULT '', -- IPD-IMGT/HLA release read against
    hla_reading          text COLLATE "C",             -- JSON by locus: {"A": {"gl","p","lgx","serology","flags"}}
    private_maternal_id        text COLLATE "C" NOT NULL DEFAULT '',
    private_maternal_hla       text COLLATE "C",       -- JSON [{"locus":..,"text":..}]
    private_family_id          text COLLATE "C" NOT NULL DEFAULT '',
    private_directed_recipient text COLLATE "C" NOT NULL DEFAULT '',
    private_notes              text COLLATE "C" NOT NULL DEFAULT '',
    create_time          bigint NOT NULL,
    update_time          bigint NOT NULL,
    version              bigint NOT NULL,
    status_reason        text COLLATE "C" NOT NULL DEFAULT '', -- EMDIS CB_STAT_REASON; '' = the status's default
    status_end_date      text COLLATE "C" CHECK (status_end_date IS NULL OR status_end_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    status_note          text COLLATE "C" NOT NULL DEFAULT '',
    status_time          bigint,                       -- NULL: at registration (create_time)
    distributing_bank_id text COLLATE "C" REFERENCES banks (id) -- NULL: the parent bank
);
CREATE INDEX units_bank_din ON units (bank_id, din);
CREATE INDEX units_bank_status_din ON units (bank_id, status, din);
CREATE INDEX units_bank_collection_date ON units (bank_id, collection_date);

-- requests remembers calls that carried a request_id (AIP-155).
CREATE TABLE requests (
    request_id  text COLLATE "C" NOT NULL PRIMARY KEY,
    method      text COLLATE "C" NOT NULL,
    fingerprint text COLLATE "C" NOT NULL,
    resource    text COLLATE "C" NOT NULL,
    create_time bigint NOT NULL
);

-- events: the tamper-evident audit trail, one row per change, appended in
-- the transaction of the change and never updated or deleted. seq orders
-- the registry-wide hash chain; hash_scheme says how hash was computed
-- (bank.Event).
CREATE TABLE events (
    seq         bigint NOT NULL PRIMARY KEY,
    time        bigint NOT NULL,   -- nanoseconds since 1970-01-01 UTC
    principal   text COLLATE "C" NOT NULL,
    request_id  text COLLATE "C" NOT NULL DEFAULT '',
    method      text COLLATE "C" NOT NULL,
    resource    text COLLATE "C" NOT NULL,
    bank_id     text COLLATE "C" NOT NULL DEFAULT '',
    reason      text COLLATE "C" NOT NULL DEFAULT '',
    changes     text COLLATE "C" NOT NULL, -- JSON [{"Field","Before","After"}]
    prev_hash   text COLLATE "C" NOT NULL,
    hash        text COLLATE "C" NOT NULL,
    hash_scheme bigint NOT NULL DEFAULT 1,
    -- stream is '' for the public stream or the id of the bank whose
    -- private stream holds the event (its private units' events);
    -- stream_seq the event's position in its stream, from 1, no gaps.
    stream      text COLLATE "C" NOT NULL DEFAULT '',
    stream_seq  bigint NOT NULL DEFAULT 0
);
CREATE INDEX events_resource ON events (resource, seq);
CREATE INDEX events_bank ON events (bank_id, seq);
CREATE UNIQUE INDEX events_stream ON events (stream, stream_seq);

-- reservations: transplant centres' holds; at most one open per unit.
CREATE TABLE reservations (
    id                    text COLLATE "C" NOT NULL PRIMARY KEY,
    bank_id               text COLLATE "C" NOT NULL REFERENCES banks (id),
    din                   text COLLATE "C" NOT NULL REFERENCES units (din),
    transplant_center     text COLLATE "C" NOT NULL,
    patient_id            text COLLATE "C" NOT NULL,   -- registry patient id, never a name
    status                text COLLATE "C" NOT NULL,
    expire_time           bigint NOT NULL,
    ct                    text COLLATE "C" NOT NULL DEFAULT '',
    ct_request_time       bigint,
    ct_complete_date      text COLLATE "C",            -- YYYY-MM-DD
    ct_typing             text COLLATE "C",            -- JSON [{"locus","text"}]
    ct_discrepancies      text COLLATE "C" NOT NULL DEFAULT '', -- comma-separated loci
    shipment_request_time bigint,
    end_time              bigint,
    end_reason            text COLLATE "C" NOT NULL DEFAULT '',
    create_time           bigint NOT NULL,
    update_time           bigint NOT NULL,
    version               bigint NOT NULL
);
CREATE UNIQUE INDEX reservations_open ON reservations (din) WHERE status IN ('ACTIVE', 'SHIPMENT_REQUESTED');
CREATE INDEX reservations_due ON reservations (status, expire_time);
CREATE INDEX reservations_bank ON reservations (bank_id, id);
CREATE INDEX reservations_unit ON reservations (din, id);

-- containers: sites, rooms, tanks, racks and boxes of each bank.
CREATE TABLE containers (
    bank_id         text COLLATE "C" NOT NULL REFERENCES banks (id),
    id              text COLLATE "C" NOT NULL,
    kind            text COLLATE "C" NOT NULL CHECK (kind IN ('SITE', 'ROOM', 'TANK', 'RACK', 'BOX')),
    parent_id       text COLLATE "C",
    parent_position text COLLATE "C",
    label           text COLLATE "C" NOT NULL,
    layout_kind     text COLLATE "C" NOT NULL CHECK (layout_kind IN ('GRID', 'SLOTS', 'NONE')),
    grid_rows       bigint NOT NULL DEFAULT 0,
    grid_columns    bigint NOT NULL DEFAULT 0,
    slots           bigint NOT NULL DEFAULT 0,
    capacity        bigint NOT NULL DEFAULT 0 CHECK (capacity >= 0),
    min_celsius     double precision,
    max_celsius     double precision,
    create_time     bigint NOT NULL,
    update_time     bigint NOT NULL,
    version         bigint NOT NULL,
    CONSTRAINT containers_pkey PRIMARY KEY (bank_id, id),
    FOREIGN KEY (bank_id, parent_id) REFERENCES containers (bank_id, id),
    CHECK (parent_id IS NOT NULL OR parent_position IS NULL)
);
CREATE UNIQUE INDEX containers_label ON containers (bank_id, label);
CREATE INDEX containers_parent ON containers (bank_id, parent_id, id);
-- Two containers can never take one position of a parent.
CREATE UNIQUE INDEX containers_position ON containers (bank_id, parent_id, parent_position)
    WHERE parent_position IS NOT NULL;

-- unit_locations: where each stored unit is.
CREATE TABLE unit_locations (
    din          text COLLATE "C" NOT NULL PRIMARY KEY REFERENCES units (din),
    bank_id      text COLLATE "C" NOT NULL,
    container_id text COLLATE "C" NOT NULL,
    position     text COLLATE "C",
    since        bigint NOT NULL,
    FOREIGN KEY (bank_id, container_id) REFERENCES containers (bank_id, id)
);
-- Two units can never share a position.
CREATE UNIQUE INDEX unit_locations_position ON unit_locations (bank_id, container_id, position);

-- temperature_readings: the measurements of each tank, append-only.
CREATE TABLE temperature_readings (
    bank_id      text COLLATE "C" NOT NULL,
    container_id text COLLATE "C" NOT NULL,
    time         bigint NOT NULL,
    celsius      double precision NOT NULL,
    FOREIGN KEY (bank_id, container_id) REFERENCES containers (bank_id, id)
);
CREATE INDEX temperature_readings_tank ON temperature_readings (bank_id, container_id, time);

-- excursions: periods a tank spent outside its limits; at most one open
-- per tank. BY DEFAULT, so migrate-store can copy the ids SQLite gave.
CREATE TABLE excursions (
    id              bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    bank_id         text COLLATE "C" NOT NULL,
    container_id    text COLLATE "C" NOT NULL,
    start_time      bigint NOT NULL,
    end_time        bigint,
    min_celsius     double precision,
    max_celsius     double precision,
    lowest_celsius  double precision NOT NULL,
    highest_celsius double precision NOT NULL,
    readings        bigint NOT NULL,
    units_exposed   bigint NOT NULL,
    FOREIGN KEY (bank_id, container_id) REFERENCES containers (bank_id, id)
);
CREATE UNIQUE INDEX excursions_open ON excursions (bank_id, container_id) WHERE end_time IS NULL;
CREATE INDEX excursions_bank ON excursions (bank_id, id);

-- tokens: API credentials; only the SHA-256 of a secret is stored.
CREATE TABLE tokens (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,
    principal     text COLLATE "C" NOT NULL,
    role          text COLLATE "C" NOT NULL,
    org           text COLLATE "C" NOT NULL DEFAULT '',
    cert_cn       text COLLATE "C" NOT NULL DEFAULT '',
    hash          text COLLATE "C" NOT NULL,
    create_time   bigint NOT NULL,
    expire_time   bigint,
    revoke_time   bigint,
    last_use_time bigint,
    created_by    text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX tokens_hash_live ON tokens (hash) WHERE revoke_time IS NULL;
CREATE INDEX tokens_hash ON tokens (hash, create_time);
