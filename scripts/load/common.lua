-- Shared by the load scripts: the token, a per-thread id, 5xx counting and the summary
-- line that scripts/load.sh parses. wrk calls setup() per thread in the main state, then
-- init/request/response inside each thread's own state, then done() in the main state.
local M = {}
local threads = {}
local next_id = 0

function M.setup(thread)
   next_id = next_id + 1
   thread:set("thread_id", next_id)
   table.insert(threads, thread)
end

function M.token()
   return os.getenv("WANGGE_LOAD_TOKEN") or error("WANGGE_LOAD_TOKEN is not set")
end

-- Reads a file of lines (paths, or anything) into a table.
function M.lines(path)
   local out = {}
   for line in io.lines(path) do
      if line ~= "" then out[#out + 1] = line end
   end
   if #out == 0 then error("no lines in " .. path) end
   return out
end

function M.count_status(status)
   if status >= 500 then
      errors_5xx = (errors_5xx or 0) + 1
   elseif status >= 400 then
      errors_4xx = (errors_4xx or 0) + 1
   end
end

-- One line for load.sh: endpoint, requests/s, latency percentiles (ms) and errors.
function M.done(name, summary, latency)
   local e5, e4 = 0, 0
   for _, t in ipairs(threads) do
      e5 = e5 + (t:get("errors_5xx") or 0)
      e4 = e4 + (t:get("errors_4xx") or 0)
   end
   local secs = summary.duration / 1e6
   local sock = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
   io.write(string.format(
      "RESULT endpoint=%s requests=%d rps=%.1f p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f 5xx=%d 4xx=%d socket_errors=%d\n",
      name, summary.requests, summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, e5, e4, sock))
end

return M
