-- 0039: pgwarden web's ingest batch moves through app.web_ingest as typed values (each request and
-- item read out of its JSON once), as app.capture_batch moves app.capture_item.

-- ---- as in db/schema/600_web_ingest.sql
CREATE TYPE app.web_request AS (
  ordinal         integer,  -- position in the batch, from 1
  organization_id uuid,     -- the project's organization (NULL when the key is not accepted)
  project_id      bigint,
  error           jsonb,    -- the problem (QA601) when the key is not accepted; NULL when it may write
  event_id        text,     -- the envelope header's event id, in its normal form (app.event_id_text)
  repairs         jsonb,    -- what app.web_requests_clean repaired in it, or NULL
  refused         text      -- why pgwarden web refused it before parsing ('too_large'), or NULL
);
COMMENT ON TYPE app.web_request IS 'One HTTP request of a pgwarden web ingest batch, its key checked';

CREATE TYPE app.web_item AS (
  request         integer,  -- the ordinal of its app.web_request
  item            integer,  -- position in the request, from 1
  organization_id uuid,
  project_id      bigint,
  event_id        text,     -- the request's header event id
  type            text,     -- the envelope item type: event, feedback, session, attachment, ...
  payload         jsonb,    -- the parsed item when it is a JSON object, else NULL
  screenshot      jsonb,    -- an image attachment pgwarden web checked: {media_type, width, height, base64}
  base_url        text,     -- where the request's screenshots are served
  repairs         jsonb     -- the request's repairs (an event keeps them as metadata._repaired)
);
COMMENT ON TYPE app.web_item IS 'One envelope item of an accepted request of a pgwarden web ingest batch';

CREATE TYPE app.web_captured AS (
  request         integer,  -- the ordinal of its app.web_request
  organization_id uuid,
  event_id        text,     -- 32 hex digits
  group_id        uuid,     -- the system_errors row it was counted in; NULL when refused
  error           jsonb     -- the problem with its http_status (app.problem) when refused
);
COMMENT ON TYPE app.web_captured IS 'What app.capture_batch made of one event item of a pgwarden web ingest batch';
