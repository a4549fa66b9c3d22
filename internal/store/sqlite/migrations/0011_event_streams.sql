-- 0011_event_streams: each audit event's stream and its position there.
--
-- stream is '' for the public stream (events every reader may read) or the
-- id of the bank whose private stream holds the event: the events of its
-- private (autologous, directed) units and of the resources below them.
-- stream_seq is the event's position in its stream, from 1, without gaps.
-- Readers who may not see every event page and resume by stream position,
-- so their positions and tokens never count events they may not read.
--
-- Events written before this migration get their stream from their unit's
-- type (which never changes), as the query that withheld private events
-- decided it until now; their hash (schemes 1 and 2) does not cover the new
-- columns. Events written since use hash scheme 3, which does.
ALTER TABLE events ADD COLUMN stream TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN stream_seq INTEGER NOT NULL DEFAULT 0;

UPDATE events SET stream = bank_id
 WHERE instr(resource, '/units/') > 0
   AND EXISTS (SELECT 1 FROM units u
                WHERE u.din = substr(events.resource, instr(events.resource, '/units/') + 7, 13)
                  AND u.unit_type <> 'PUBLIC');

UPDATE events SET stream_seq = r.n
  FROM (SELECT seq, row_number() OVER (PARTITION BY stream ORDER BY seq) AS n FROM events) AS r
 WHERE r.seq = events.seq;

CREATE UNIQUE INDEX events_stream ON events (stream, stream_seq);
