-- 0005_audit: the tamper-evident audit trail.
--
-- One row per change, appended in the transaction of the change and never
-- updated or deleted. seq orders the registry-wide hash chain: hash is the
-- hex SHA-256 of the event's canonical encoding (bank.Event), which covers
-- prev_hash, so editing, removing or reordering rows is detectable
-- (cordbank audit verify). changes is a JSON array of
-- {"Field","Before","After"} objects, values themselves JSON.
CREATE TABLE events (
    seq         INTEGER NOT NULL PRIMARY KEY,
    time        INTEGER NOT NULL,   -- nanoseconds since 1970-01-01 UTC
    principal   TEXT    NOT NULL,
    request_id  TEXT    NOT NULL DEFAULT '',
    method      TEXT    NOT NULL,
    resource    TEXT    NOT NULL,
    bank_id     TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL DEFAULT '',
    changes     TEXT    NOT NULL,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
) STRICT;

CREATE INDEX events_resource ON events (resource, seq);
CREATE INDEX events_bank ON events (bank_id, seq);
