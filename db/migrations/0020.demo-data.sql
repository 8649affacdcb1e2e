-- 0020: `make demo` (issue 19, item 4): demo objects and backfills; same as db/schema/990_demo.sql

-- Demo data (`make demo`, workers/demo): the objects the demo created, keyed by its catalogue, so
-- a second run finds them instead of creating them again; and the past week it wrote for each
-- demo organization (app.demo_backfill), which no SDK can send: said here, never hidden.

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QV901', 400, 'invalid demo catalogue or backfill request');

CREATE TABLE app.demo_objects (
  kind       text NOT NULL,
  demo_key   text NOT NULL,
  object_id  text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT demo_objects_pkey PRIMARY KEY (kind, demo_key),
  CONSTRAINT demo_objects_kind_check CHECK (kind IN ('organization', 'project', 'monitor', 'alert_rule'))
);
COMMENT ON TABLE app.demo_objects IS 'Objects `pgwarden demo` created, by the key of its catalogue (a second run reuses them)';

CREATE TABLE app.demo_backfills (
  organization_id  uuid PRIMARY KEY REFERENCES app.organizations (id) ON DELETE CASCADE,
  from_at          timestamptz NOT NULL,
  until_at         timestamptz NOT NULL,
  minute_rows      bigint NOT NULL,
  uptime_intervals integer NOT NULL,
  health_checks    integer NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.demo_backfills IS
  'Made-up history app.demo_backfill wrote for a demo organization: minute counts (and their rollups), uptime intervals and health checks in [from_at, until_at)';

-- private: only the stack's own login (the demo command) reads and writes them
ALTER TABLE app.demo_objects ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.demo_backfills ENABLE ROW LEVEL SECURITY;
