-- wrk hooks for bench/run.sh: count response statuses in every thread and print one
-- line "BENCH_JSON {...}" with requests/s, p50/p95/p99 latency, errors and statuses.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  local codes = {}
  for status in pairs(merged) do
    table.insert(codes, status)
  end
  table.sort(codes)
  local parts = {}
  for _, status in ipairs(codes) do
    table.insert(parts, string.format('"%d": %d', status, merged[status]))
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  if socket_errors > 0 then
    table.insert(parts, string.format('"socket": %d', socket_errors))
  end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH_JSON {"tool": "wrk", "duration_s": %.2f, "requests": %d, "rps": %.1f, '
      .. '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "errors": %d, "statuses": {%s}}\n',
    seconds, summary.requests, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    socket_errors + e.status, table.concat(parts, ", ")
  ))
end
