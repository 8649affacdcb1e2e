-- 0009: customer feedback that commits before its event is linked once the event is stored.

-- ---- as in db/schema/600_web_ingest.sql
-- Customer feedback names the event it is about; when it commits before that event (two
-- envelopes, ingested concurrently) it is stored unlinked, and app.feedback_link_late looks for
-- its event every minute. This index holds only such reports.
CREATE INDEX idx_reports_awaiting_event ON app.user_error_reports (created_at)
  WHERE linked_error_id IS NULL AND browser_info ? 'associated_event_id';
