-- 0010_bank_fins: the facility identification numbers (FINs) each bank
-- registers units under.
--
-- A bank registers a unit only when the DIN's FIN (its first five
-- characters) is one of its own; the registry administrator assigns them.
-- A FIN belongs to at most one bank (the primary key). Every bank starts
-- with the FIN it was registered with (banks.fin, still its primary FIN).
-- Units stored before this migration keep their bank whatever their FIN:
-- the rule applies to new registrations only.
CREATE TABLE bank_fins (
    fin     TEXT NOT NULL PRIMARY KEY,
    bank_id TEXT NOT NULL REFERENCES banks (id)
) STRICT;

CREATE INDEX bank_fins_bank ON bank_fins (bank_id, fin);

INSERT INTO bank_fins (fin, bank_id) SELECT fin, id FROM banks;
