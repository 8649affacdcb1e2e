-- 0040: leftovers no query reads. The SLOs' organization index repeats the prefix of their unique
-- (organization_id, name) key; the corrections index carried lower(during), which no query
-- filters on (uptime reads corrections by monitor and an overlap test); btree_gist served the GiST
-- index of related errors that 0026 replaced with a btree.
DROP INDEX app.idx_service_slos_org;
DROP INDEX app.idx_uptime_corrections_monitor;
CREATE INDEX idx_uptime_corrections_monitor ON app.uptime_corrections (monitor_id);
DROP EXTENSION btree_gist;
