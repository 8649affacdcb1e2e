-- wrk script of bench/reports.py.
--   wrk -s bench/reports.lua URL -- post BODIES_FILE KEYS_FILE ORIGIN [ADDRESSES]
--     POSTs report bodies (one JSON document per line) with a widget key (one per line) and a client
--     address (X-Forwarded-For) that change with every request (ADDRESSES: how many; default 65536),
--     as the page's origin.
--   wrk -s bench/reports.lua URL -- web BODIES_FILE KEYS_FILE ORIGIN [ADDRESSES]
--     the same to pgwarden web's POST /reports/submit, the key in the URL as the widget sends it.
--   wrk -s bench/reports.lua URL -- preflight KEYS_FILE ORIGIN
--     a browser's CORS preflight (OPTIONS) of /reports/submit?widget_key=KEY from ORIGIN.
--   wrk -s bench/reports.lua URL -- get TOKEN
--     GETs URL with a bearer token.

local threads = 0
local bodies, keys = {}, {}
local n = 0

function setup(thread)
  threads = threads + 1
  thread:set("offset", threads * 7919)
end

function init(args)
  mode = args[1]
  n = offset
  if mode == "get" then
    wrk.headers["Authorization"] = "Bearer " .. args[2]
    return
  end
  if mode == "preflight" then
    for line in io.lines(args[2]) do keys[#keys + 1] = line end
    wrk.method = "OPTIONS"
    wrk.headers["Origin"] = args[3]
    wrk.headers["Access-Control-Request-Method"] = "POST"
    wrk.headers["Access-Control-Request-Headers"] = "content-type"
    return
  end
  for line in io.lines(args[2]) do bodies[#bodies + 1] = line end
  for line in io.lines(args[3]) do keys[#keys + 1] = line end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Origin"] = args[4]
  addresses = tonumber(args[5] or "65536")
end

function request()
  if mode == "get" then return wrk.format() end
  n = n + 1
  local key = keys[n % #keys + 1]
  if mode == "preflight" then return wrk.format(nil, "/reports/submit?widget_key=" .. key) end
  local a = n % addresses
  local headers = {
    ["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(a / 65536) % 256, math.floor(a / 256) % 256, a % 256),
  }
  if mode == "web" then
    return wrk.format(nil, "/reports/submit?widget_key=" .. key, headers, bodies[n % #bodies + 1])
  end
  headers["X-Pgwarden-Widget-Key"] = key
  return wrk.format(nil, nil, headers, bodies[n % #bodies + 1])
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %d %d %d\n", summary.requests, errors.status,
                         errors.connect + errors.read + errors.write + errors.timeout, summary.duration,
                         latency:percentile(50), latency:percentile(99)))
end
