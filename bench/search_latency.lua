-- wrk script for bench/search_latency.py: one FHIR search per request, a different patient each time.
--   wrk ... -s bench/search_latency.lua http://127.0.0.1:PORT -- TOKEN QUERY PATIENTS MRN_SYSTEM DATE
-- QUERY is "identifier" (Patient?identifier=system|MRN) or "encounters" (Encounter?patient=id&date=geDATE).
-- Prints one JSON line at the end: latency percentiles (ms), requests/s, errors.

local query, patients, mrn_system, since

local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  wrk.headers["Accept"] = "application/fhir+json"
  query, patients, mrn_system, since = args[2], tonumber(args[3]), args[4], args[5]
  math.randomseed(os.time())
end

function request()
  local n = math.random(1, patients)
  local path
  if query == "identifier" then
    path = "/fhir/Patient?identifier=" .. encode(mrn_system .. "|" .. string.format("MRN-%05d", n))
  else
    path = "/fhir/Encounter?patient=" .. string.format("bench-patient-%05d", n) .. "&date=ge" .. since
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
