-- wrk script of the requests measure: each thread marks the milliseconds (monotonic clock) in which it got a
-- 2xx answer and counts the other answers; done() merges the threads and prints the longest run of
-- milliseconds in which no thread got a 2xx answer, from the first success to the last.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *now);
]]
local now = ffi.new("bench_timespec")
local function nowMs()
  ffi.C.clock_gettime(1, now)
  return tonumber(now.tv_sec) * 1000 + math.floor(tonumber(now.tv_nsec) / 1000000)
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  okMs = {}
  other = 0
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    okMs[nowMs()] = true
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local all = {}
  local non2xx = 0
  for _, thread in ipairs(threads) do
    for ms, _ in pairs(thread:get("okMs")) do
      all[ms] = true
    end
    non2xx = non2xx + thread:get("other")
  end
  local sorted = {}
  for ms, _ in pairs(all) do
    table.insert(sorted, ms)
  end
  table.sort(sorted)
  local gap = 0
  for i = 2, #sorted do
    local d = sorted[i] - sorted[i - 1]
    if d > gap then
      gap = d
    end
  end
  io.write(string.format("BENCH longest_gap_ms=%d non2xx=%d ok_ms=%d\n", gap, non2xx, #sorted))
end
