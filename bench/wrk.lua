-- Driven by bench/load.py: paths to visit in turn (BENCH_PATHS, separated by spaces), optionally a
-- method per request alternating (BENCH_METHODS, e.g. "POST DELETE"), and per-thread headers
-- (BENCH_HEADERS_<n>, "Name: value|Name: value"). At the end one JSON line with the figures.
local paths = {}
for path in string.gmatch(os.getenv("BENCH_PATHS") or "/", "%S+") do table.insert(paths, path) end
local methods = {}
for method in string.gmatch(os.getenv("BENCH_METHODS") or "GET", "%S+") do table.insert(methods, method) end

local counter = 1
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  headers = {}
  local raw = os.getenv("BENCH_HEADERS_" .. id) or os.getenv("BENCH_HEADERS") or ""
  for pair in string.gmatch(raw, "[^|]+") do
    local name, value = string.match(pair, "^%s*([^:]+):%s*(.*)$")
    if name then headers[name] = value end
  end
  request_index = 0
  -- Threads start at different paths so they do not all hit the same row at once.
  path_index = (id - 1) * 7
end

function request()
  local method = methods[(request_index % #methods) + 1]
  if request_index % #methods == 0 then path_index = path_index + 1 end
  request_index = request_index + 1
  return wrk.format(method, paths[(path_index % #paths) + 1], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"status_errors": %d, "timeouts": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
