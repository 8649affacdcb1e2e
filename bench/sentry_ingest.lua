-- wrk script of bench/sentry_ingest.py: each thread POSTs its own pre-built gzip envelopes (one file
-- per thread: BODIES_PREFIX.<n> holds the bodies back to back, BODIES_PREFIX.<n>.len their sizes),
-- each body once, so every request carries a distinct event_id. Once a thread has sent all its bodies
-- its connections send GET /bench-end (404, stores nothing) until every envelope is answered, then
-- the thread stops (so no envelope is cut in flight).
-- wrk -s bench/sentry_ingest.lua URL -- BODIES_PREFIX SENTRY_KEY

local threads = {}
local bodies = {}
local next_body = 1
ok, refused, sentinels = 0, 0, 0  -- globals: done() reads them with thread:get

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  local file = io.open(args[1] .. "." .. index, "rb")
  local data = file:read("*a")
  file:close()
  local at = 1
  for size in io.lines(args[1] .. "." .. index .. ".len") do
    local length = tonumber(size)
    bodies[#bodies + 1] = data:sub(at, at + length - 1)
    at = at + length
  end
  verifying = index == 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-sentry-envelope"
  wrk.headers["Content-Encoding"] = "gzip"
  wrk.headers["X-Sentry-Auth"] = "Sentry sentry_key=" .. args[2] .. ", sentry_version=7, sentry_client=sentry.python/2.75.0"
end

function request()
  if verifying then  -- wrk calls request() of thread 0 once before running it, to verify the script
    verifying = false
    return wrk.format("GET", "/bench-end", {}, nil)
  end
  local body = bodies[next_body]
  if body == nil then
    return wrk.format("GET", "/bench-end", {}, nil)
  end
  next_body = next_body + 1
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 404 then
    sentinels = sentinels + 1
  else
    refused = refused + 1
  end
  if ok + refused == #bodies then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local answered, other, ends = 0, 0, 0
  for _, thread in ipairs(threads) do
    answered = answered + thread:get("ok")
    other = other + thread:get("refused")
    ends = ends + thread:get("sentinels")
  end
  local errors = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %d %d\n", answered, other, ends,
                         errors.connect + errors.read + errors.write + errors.timeout, summary.duration))
end
