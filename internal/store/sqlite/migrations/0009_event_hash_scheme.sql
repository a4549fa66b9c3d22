-- 0009_event_hash_scheme: the hash scheme of each audit event.
--
-- Scheme 1 (every event written before this migration) hashes an event's
-- fields in one pass with seq first. Scheme 2 hashes the content once and
-- then links that hash with seq and prev_hash, so the content hash is
-- computed before the write transaction (bank.Event.ComputeHash). Old rows
-- keep their scheme: rehashing them would rewrite the trail.
ALTER TABLE events ADD COLUMN hash_scheme INTEGER NOT NULL DEFAULT 1;
