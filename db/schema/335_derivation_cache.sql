-- Derivation cache (performance of app.capture_batch): errors recur, so the same stack trace and
-- user agent arrive again and again. What the pipeline derives from them (scrubbed stack, parsed
-- frames, their grouping components; browser, os, device type) is a pure function of the raw
-- input, the rule tables and the code, and costs 50-250 µs of regex per input; an index probe
-- costs a few µs. Functions are in db/functions/app/335_derivation_cache.sql.

-- == Generation: what invalidates every cached result ==

CREATE TABLE app.derivation_cache_state (
  id          boolean PRIMARY KEY DEFAULT true CONSTRAINT derivation_cache_state_id_check CHECK (id),
  generation  integer NOT NULL DEFAULT 1,
  max_entries integer NOT NULL DEFAULT 50000 CONSTRAINT derivation_cache_state_max_entries_check CHECK (max_entries >= 0),
  keep_days   integer NOT NULL DEFAULT 2 CONSTRAINT derivation_cache_state_keep_days_check CHECK (keep_days >= 0)
);
COMMENT ON TABLE app.derivation_cache_state IS 'The one row of derivation cache state and bounds';
COMMENT ON COLUMN app.derivation_cache_state.generation IS
'Part of every cache key. Bumped when a scrub or user-agent rule changes and on every deploy of the code
layer (grouping code may have changed), so no result computed under other rules is ever read again';
COMMENT ON COLUMN app.derivation_cache_state.max_entries IS
'No new entries are stored while the cache holds this many (0 turns caching off); the prune job trims it';
COMMENT ON COLUMN app.derivation_cache_state.keep_days IS 'Entries not used for more than this many days are pruned';
INSERT INTO app.derivation_cache_state DEFAULT VALUES;

-- == Entries ==

-- UNLOGGED: a cache needs no WAL (cheaper writes); a crash empties it, which is harmless.
CREATE UNLOGGED TABLE app.derivation_cache (
  input_digest bytea PRIMARY KEY,
  kind         text NOT NULL,
  generation   integer NOT NULL,
  result       jsonb NOT NULL,
  used_on      date NOT NULL DEFAULT current_date
);
COMMENT ON TABLE app.derivation_cache IS
'Results of app.capture_enrich''s expensive pure derivations, by a SHA-256 digest of (kind, generation, raw input)';
COMMENT ON COLUMN app.derivation_cache.input_digest IS 'sha256(kind || generation || '':'' || raw input): the raw input itself is not kept';
COMMENT ON COLUMN app.derivation_cache.kind IS 'stack_trace, user_agent or exceptions (app.derive)';
COMMENT ON COLUMN app.derivation_cache.used_on IS 'Last day a capture read or wrote the entry (updated at most once a day)';

-- read and written only by app.capture_batch (SECURITY DEFINER) and the prune job
ALTER TABLE app.derivation_cache_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.derivation_cache ENABLE ROW LEVEL SECURITY;
