-- wrk script of bench/ingest_http.py: POSTs JSON bodies read from a file (one document per line),
-- each thread starting at another line, with the project key header.
-- wrk -s bench/ingest_http.lua URL -- BODIES_FILE PROJECT_KEY

local threads = 0
local bodies = {}
local next_body = 1

function setup(thread)
  threads = threads + 1
  thread:set("offset", threads * 7919)
end

function init(args)
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = line
  end
  next_body = offset % #bodies + 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Pgwarden-Key"] = args[2]
end

function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %d\n", summary.requests, errors.status,
                         errors.connect + errors.read + errors.write + errors.timeout, summary.duration))
end
