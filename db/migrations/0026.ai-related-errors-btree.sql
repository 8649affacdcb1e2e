-- 0026: related errors from a bounded candidate search (the groups whose document sorts next to an
-- error's own, as written and reversed) instead of a nearest-first scan of a GiST trigram index,
-- which could not stop early among thousands of near-duplicate groups (db/functions/app/450_ai_similarity.sql).

-- ---- as in db/schema/450_ai.sql
DROP INDEX app.idx_error_similarity_document;
CREATE INDEX idx_error_similarity_document ON app.error_similarity (organization_id, document COLLATE "C");
CREATE INDEX idx_error_similarity_document_reversed ON app.error_similarity (organization_id, reverse(document) COLLATE "C");
