-- AI analysis schedules: related-errors documents for groups from before the feature (a bounded
-- batch every ten minutes; nothing to do costs one anti-join), run retention nightly.
-- (app.cron_ensure is defined in 900_cron.sql and skips databases without pg_cron.)
SELECT app.cron_ensure('ai-similarity-fill', '*/10 * * * *', 'SELECT app.error_similarity_fill(5000)');
SELECT app.cron_ensure('ai-purge', '47 3 * * *', 'SELECT app.ai_purge()');
