-- Volunteers and what each credential says about one (see docs/operations.md, "National IDs").
-- The IIN is never stored in plaintext: iin_sealed is XChaCha20-Poly1305 under the KEK with
-- the volunteer id as associated data, iin_index an HMAC-SHA256 blind index under a key
-- derived from the KEK (exact lookup and uniqueness).
CREATE TABLE volunteers (
    id          TEXT PRIMARY KEY,
    iin_index   BYTEA NOT NULL UNIQUE,
    iin_sealed  BYTEA NOT NULL,
    name_kk     TEXT,
    name_ru     TEXT,
    name_en     TEXT,
    name_search TEXT NOT NULL,
    birth_date  TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    region      TEXT,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES operators (id)
);

-- Per credential: the volunteer it is linked to and the facts the plausibility checks and the
-- passport summary read (hours, category, period, event key; skill and award entries as the
-- passport writes them, JSON).
CREATE TABLE credential_facts (
    credential_id TEXT PRIMARY KEY REFERENCES credentials (id),
    volunteer_id  TEXT REFERENCES volunteers (id),
    hours         DOUBLE PRECISION,
    category      TEXT,
    period_start  TEXT,
    period_end    TEXT,
    event_key     TEXT,
    entry         TEXT
);
CREATE INDEX credential_facts_volunteer ON credential_facts (volunteer_id, period_end);
CREATE INDEX credentials_listing ON credentials (issued_at, id);
