-- 0008_tokens: API credentials (bank/principal.go).
--
-- Only the SHA-256 of a bearer secret is stored, never the secret. A
-- certificate binding stores the hash of "x509-cn:" + its Common Name in
-- the same column, so one indexed lookup serves both. A revoked token's
-- hash may be reused by a new binding; two unrevoked ones may not share it.
CREATE TABLE tokens (
    id            TEXT    NOT NULL PRIMARY KEY,
    principal     TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    org           TEXT    NOT NULL DEFAULT '',
    cert_cn       TEXT    NOT NULL DEFAULT '',
    hash          TEXT    NOT NULL,
    create_time   INTEGER NOT NULL,   -- nanoseconds since 1970-01-01 UTC
    expire_time   INTEGER,
    revoke_time   INTEGER,
    last_use_time INTEGER,
    created_by    TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE UNIQUE INDEX tokens_hash_live ON tokens (hash) WHERE revoke_time IS NULL;
CREATE INDEX tokens_hash ON tokens (hash, create_time);
