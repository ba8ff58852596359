-- wrk script of bench/http_load.py: request the paths listed in a file in turn (each thread
-- starting at its own place), or the URL's own path when no file is given; at the end,
-- print the latency percentiles (microseconds) and counts as one line http.py reads.
--
--   wrk -t2 -c4 -d10s -s bench/http_load.lua http://127.0.0.1:8000 -- paths.txt

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("offset", threads * 7919)
end

function init(args)
  paths = {}
  if args[1] then
    for line in io.lines(args[1]) do
      line = line:gsub("%s+$", "")
      if line ~= "" and line:sub(1, 1) ~= "#" then
        paths[#paths + 1] = line
      end
    end
  end
  index = 0
  if #paths > 0 then
    index = (offset or 0) % #paths
  end
end

function request()
  if #paths == 0 then
    return wrk.format()
  end
  index = index % #paths + 1
  return wrk.format(nil, paths[index])
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "RESULT p50=%d p95=%d p99=%d max=%d requests=%d duration_us=%d non2xx=%d socket_errors=%d\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
end
