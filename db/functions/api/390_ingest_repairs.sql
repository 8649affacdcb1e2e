-- == Views ==

CREATE VIEW api.ingest_repairs WITH (security_invoker = true) AS
  SELECT organization_id, hour, source, repair, items, occurrences FROM app.ingest_repairs;
COMMENT ON VIEW api.ingest_repairs IS $$What ingest changed in your data to store it

Per organization, hour and source (capture_error, capture_errors, error_webhook, sentry): how many
items (an event, an envelope, a webhook body) had characters PostgreSQL cannot store (repair
unstorable_characters: \u0000 or a lone UTF-16 surrogate escape, stored as U+FFFD) or NaN/Infinity
numbers (repair non_finite_numbers: stored as the strings "NaN", "Infinity", "-Infinity"), and how
many such characters or numbers (occurrences). Each stored event also says so in metadata._repaired.$$;
GRANT SELECT ON api.ingest_repairs TO staff, org_owner, system_admin;
