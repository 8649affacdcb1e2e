-- 0027: fingerprint rules keyed by organization first (Citus distributes app.fingerprint_rules by
-- organization_id, and every unique key of a distributed table must hold it).

-- ---- as in db/schema/305_grouping.sql
ALTER TABLE app.fingerprint_rules DROP CONSTRAINT fingerprint_rules_pkey,
  ADD CONSTRAINT fingerprint_rules_pkey PRIMARY KEY (organization_id, id);
ALTER TABLE app.fingerprint_rules DROP CONSTRAINT fingerprint_rules_position_key,
  ADD CONSTRAINT fingerprint_rules_position_key UNIQUE (organization_id, project_id, position);
