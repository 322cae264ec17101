-- wrk script for bench/billing_claims_api.py: GET /api/claims/ with four filters in turn.
--   wrk ... -s bench/billing_claims_api.lua http://127.0.0.1:PORT -- TOKEN PATIENTS
-- Prints one JSON line at the end: latency percentiles (ms), requests/s, errors.

local patients
local counter = 0
local statuses = {"submitted", "accepted", "paid", "denied", "partially_paid", "rejected"}

function init(args)
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  patients = tonumber(args[2])
  math.randomseed(os.time())
end

function request()
  counter = counter + 1
  local kind = counter % 4
  local path
  if kind == 0 then
    path = "/api/claims/"
  elseif kind == 1 then
    path = "/api/claims/?status=" .. statuses[math.random(1, #statuses)]
  elseif kind == 2 then
    path = "/api/claims/?patient=" .. string.format("bench-patient-%05d", math.random(0, patients - 1))
  else
    local month = math.random(1, 12)
    path = string.format("/api/claims/?service_date_from=2025-%02d-01&service_date_to=2025-%02d-28", month, month)
  end
  return wrk.format("GET", path)
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
