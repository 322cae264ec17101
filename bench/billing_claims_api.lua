-- wrk script for bench/billing_claims_api.py: GET /api/claims/ calls of one kind, or all in turn.
--   wrk ... -s bench/billing_claims_api.lua http://127.0.0.1:PORT -- TOKEN PATIENTS KIND [IDS_FILE]
-- KIND: first_page, status, payer, patient, date_range, carc, detail (a claim by id, from
-- IDS_FILE, one public id a line) or mixed (each of them in turn).
-- Prints one JSON line at the end: latency percentiles (ms), requests/s, errors.

local patients
local kind
local ids = {}
local counter = 0
local statuses = {"submitted", "accepted", "paid", "denied", "partially_paid", "rejected"}
local carcs = {"45", "197", "50", "97"}
local kinds = {"first_page", "status", "payer", "patient", "date_range", "carc", "detail"}

function init(args)
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  patients = tonumber(args[2])
  kind = args[3] or "mixed"
  if args[4] then
    for line in io.lines(args[4]) do table.insert(ids, line) end
  end
  math.randomseed(os.time())
end

local function path_of(which)
  if which == "first_page" then
    return "/api/claims/"
  elseif which == "status" then
    return "/api/claims/?status=" .. statuses[math.random(1, #statuses)]
  elseif which == "payer" then
    return "/api/claims/?payer=" .. string.format("bench-payer-%d", math.random(0, 2))
  elseif which == "patient" then
    return "/api/claims/?patient=" .. string.format("bench-patient-%05d", math.random(0, patients - 1))
  elseif which == "date_range" then
    local month = math.random(1, 12)
    return string.format("/api/claims/?service_date_from=2025-%02d-01&service_date_to=2025-%02d-28", month, month)
  elseif which == "carc" then
    return "/api/claims/?carc=" .. carcs[math.random(1, #carcs)]
  elseif which == "detail" then
    return "/api/claims/" .. ids[math.random(1, #ids)] .. "/"
  end
  error("unknown kind " .. which)
end

function request()
  counter = counter + 1
  local which = kind
  if kind == "mixed" then which = kinds[counter % #kinds + 1] end
  return wrk.format("GET", path_of(which))
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "requests_per_second": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, ' ..
    '"p99_ms": %.2f, "max_ms": %.2f, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
