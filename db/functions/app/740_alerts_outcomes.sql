-- What happened to a delivery, from its alerts.deliver job (db/triggers/700_alerts.sql calls this
-- when a failed attempt is written to app.job.failures and when the job reaches app.job_history).
-- The handler's words arrive as the contract's result / failure details:
--   result  {delivery_id, channel, status_code, latency_ms, provider_response}
--   details {delivery_id, channel, status_code, latency_ms, provider_error, broken}
-- They are untrusted JSON: a value of the wrong type is dropped, never an error in the worker's
-- transaction.

CREATE OR REPLACE FUNCTION app._alert_json_integer(p_value jsonb) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN jsonb_typeof(p_value) = 'number' AND abs(p_value::numeric) < 2147483648 THEN round(p_value::numeric)::integer END
$$;
COMMENT ON FUNCTION app._alert_json_integer(jsonb) IS 'A JSON number as integer (NULL for anything else)';

CREATE OR REPLACE FUNCTION app._alert_json_number(p_value jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN jsonb_typeof(p_value) = 'number' THEN p_value::numeric END $$;
COMMENT ON FUNCTION app._alert_json_number(jsonb) IS 'A JSON number (NULL for anything else)';

-- Records a delivery's attempts from its job: each failures entry once (attempt n = entry n),
-- the successful attempt from the result, and the delivery's summary. A failure whose details
-- say broken marks the destination broken: it receives nothing more.
CREATE OR REPLACE FUNCTION app.alert_record_attempts(
  p_payload jsonb, p_failures jsonb, p_state app.job_state, p_result jsonb, p_worker text, p_finished_at timestamptz
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_delivery app.alert_deliveries;
  v_failed integer := jsonb_array_length(coalesce(p_failures, '[]'));
  v_last jsonb := coalesce(p_failures, '[]') -> -1;
  v_broken text;
BEGIN
  SELECT * INTO v_delivery FROM app.alert_deliveries d
   WHERE d.id = CASE WHEN p_payload ->> 'delivery_id' ~* '^[0-9a-f-]{36}$' THEN (p_payload ->> 'delivery_id')::uuid END
   FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;  -- (its history was purged)
  END IF;

  INSERT INTO app.alert_delivery_attempts AS a (delivery_id, attempt, organization_id, outcome, status_code, latency_ms,
                                                provider_error, broken, worker, next_retry_at, attempted_at)
  SELECT v_delivery.id, f.attempt, v_delivery.organization_id,
         CASE WHEN p_state = 'dead' AND f.attempt = v_failed THEN 'failed' ELSE 'retry' END,
         app._alert_json_integer(f.entry #> '{details,status_code}'), app._alert_json_number(f.entry #> '{details,latency_ms}'),
         left(coalesce(app.json_text(f.entry #> '{details,provider_error}'), f.entry ->> 'error'), 500),
         coalesce(f.entry #> '{details,broken}' = 'true', false), f.entry ->> 'worker',
         CASE WHEN NOT (p_state = 'dead' AND f.attempt = v_failed) THEN app.json_timestamp(f.entry -> 'retry_at') END,
         coalesce(app.json_timestamp(f.entry -> 'failed_at'), p_finished_at)
    FROM jsonb_array_elements(coalesce(p_failures, '[]')) WITH ORDINALITY AS f (entry, attempt)
  ON CONFLICT (delivery_id, attempt) DO UPDATE SET outcome = excluded.outcome, next_retry_at = excluded.next_retry_at
   WHERE a.outcome IS DISTINCT FROM excluded.outcome;

  IF p_state = 'succeeded' THEN
    INSERT INTO app.alert_delivery_attempts AS a (delivery_id, attempt, organization_id, outcome, status_code, latency_ms,
                                                  provider_response, worker, attempted_at)
    VALUES (v_delivery.id, v_failed + 1, v_delivery.organization_id, 'delivered',
            app._alert_json_integer(p_result -> 'status_code'), app._alert_json_number(p_result -> 'latency_ms'),
            left(app.json_text(p_result -> 'provider_response'), 500), p_worker, p_finished_at)
    ON CONFLICT (delivery_id, attempt) DO NOTHING;
  END IF;

  UPDATE app.alert_deliveries d
     SET status = CASE p_state WHEN 'succeeded' THEN 'delivered' WHEN 'dead' THEN 'failed' ELSE 'retrying' END::app.alert_delivery_status,
         attempts = v_failed + CASE WHEN p_state = 'succeeded' THEN 1 ELSE 0 END,
         last_status_code = CASE WHEN p_state = 'succeeded' THEN app._alert_json_integer(p_result -> 'status_code')
                                 ELSE app._alert_json_integer(v_last #> '{details,status_code}') END,
         last_error = CASE WHEN p_state = 'succeeded' THEN NULL
                           ELSE left(coalesce(app.json_text(v_last #> '{details,provider_error}'), v_last ->> 'error'), 500) END,
         next_retry_at = CASE WHEN p_state = 'queued' THEN app.json_timestamp(v_last -> 'retry_at') END,
         delivered_at = CASE WHEN p_state = 'succeeded' THEN p_finished_at END,
         updated_at = now()
   WHERE d.id = v_delivery.id;

  SELECT left(coalesce(app.json_text(f.entry #> '{details,provider_error}'), f.entry ->> 'error'), 300) INTO v_broken
    FROM jsonb_array_elements(coalesce(p_failures, '[]')) AS f (entry)
   WHERE f.entry #> '{details,broken}' = 'true'
   LIMIT 1;
  IF FOUND THEN
    UPDATE app.alert_destinations t SET broken_at = now(), broken_reason = coalesce(v_broken, 'refused by the channel')
     WHERE t.id = v_delivery.destination_id AND t.broken_at IS NULL;
  END IF;
END $$;
COMMENT ON FUNCTION app.alert_record_attempts(jsonb, jsonb, app.job_state, jsonb, text, timestamptz) IS
  'Record an alerts.deliver job''s attempts (status code, latency, provider error, next retry) on its delivery; mark a broken destination';
