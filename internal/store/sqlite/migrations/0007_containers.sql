-- 0007_containers: the storage hierarchy, where each unit is, and tank
-- temperatures (bank/container.go, bank/temperature.go).
--
-- containers is one row per site, room, tank, rack or box. parent_id is
-- the enclosing container of the same bank (NULL at the top level);
-- parent_position the canonical position it takes in the parent ("A1",
-- "7"), NULL when the parent has no positions. The layout is
-- layout_kind GRID (grid_rows x grid_columns), SLOTS (slots) or NONE
-- (capacity, 0 = unbounded). Tanks have temperature limits in °C.
CREATE TABLE containers (
    bank_id         TEXT    NOT NULL REFERENCES banks (id),
    id              TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('SITE', 'ROOM', 'TANK', 'RACK', 'BOX')),
    parent_id       TEXT,
    parent_position TEXT,
    label           TEXT    NOT NULL,
    layout_kind     TEXT    NOT NULL CHECK (layout_kind IN ('GRID', 'SLOTS', 'NONE')),
    grid_rows       INTEGER NOT NULL DEFAULT 0,
    grid_columns    INTEGER NOT NULL DEFAULT 0,
    slots           INTEGER NOT NULL DEFAULT 0,
    capacity        INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0),
    min_celsius     REAL,
    max_celsius     REAL,
    create_time     INTEGER NOT NULL,
    update_time     INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    PRIMARY KEY (bank_id, id),
    FOREIGN KEY (bank_id, parent_id) REFERENCES containers (bank_id, id),
    CHECK (parent_id IS NOT NULL OR parent_position IS NULL)
) STRICT;

CREATE UNIQUE INDEX containers_label ON containers (bank_id, label);
CREATE INDEX containers_parent ON containers (bank_id, parent_id, id);
-- Two containers can never take one position of a parent.
CREATE UNIQUE INDEX containers_position ON containers (bank_id, parent_id, parent_position)
    WHERE parent_position IS NOT NULL;

-- unit_locations is where each stored unit is: one row per unit in
-- storage, none for units that are not (or left: discarded, shipped,
-- infused). position is NULL in containers without positions.
CREATE TABLE unit_locations (
    din          TEXT    NOT NULL PRIMARY KEY REFERENCES units (din),
    bank_id      TEXT    NOT NULL,
    container_id TEXT    NOT NULL,
    position     TEXT,
    since        INTEGER NOT NULL,   -- nanoseconds since 1970-01-01 UTC
    FOREIGN KEY (bank_id, container_id) REFERENCES containers (bank_id, id)
) STRICT;

-- Two units can never share a position.
CREATE UNIQUE INDEX unit_locations_position ON unit_locations (bank_id, container_id, position);

-- temperature_readings are the measurements of each tank, append-only.
CREATE TABLE temperature_readings (
    bank_id      TEXT    NOT NULL,
    container_id TEXT    NOT NULL,
    time         INTEGER NOT NULL,   -- nanoseconds since 1970-01-01 UTC
    celsius      REAL    NOT NULL,
    FOREIGN KEY (bank_id, container_id) REFERENCES containers (bank_id, id)
) STRICT;

CREATE INDEX temperature_readings_tank ON temperature_readings (bank_id, container_id, time);

-- excursions are periods a tank spent outside its limits; end_time NULL
-- while open, and at most one is open per tank.
CREATE TABLE excursions (
    id              INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    bank_id         TEXT    NOT NULL,
    container_id    TEXT    NOT NULL,
    start_time      INTEGER NOT NULL,
    end_time        INTEGER,
    min_celsius     REAL,
    max_celsius     REAL,
    lowest_celsius  REAL    NOT NULL,
    highest_celsius REAL    NOT NULL,
    readings        INTEGER NOT NULL,
    units_exposed   INTEGER NOT NULL,
    FOREIGN KEY (bank_id, container_id) REFERENCES containers (bank_id, id)
) STRICT;

CREATE UNIQUE INDEX excursions_open ON excursions (bank_id, container_id) WHERE end_time IS NULL;
CREATE INDEX excursions_bank ON excursions (bank_id, id);
