-- POST /api/v1/reports with unique client_ids at points inside the grids
-- (WANGGE_LOAD_POINTS: "lon lat" lines). Every acknowledged id (201, or 200 for a
-- repeat) is appended to WANGGE_LOAD_ACKED.<thread>, which load.sh checks against the
-- database afterwards. The answer carries the client_id, so no request bookkeeping is
-- needed across a thread's connections.
package.path = os.getenv("WANGGE_LOAD_LUA") .. "/?.lua;" .. package.path
local common = require("common")
local points, acked, run
local n = 0
local categories = { "shehui_zhian", "maodun_jiufen", "daolu_jiaotong", "shipin_anquan" }

setup = common.setup

function init(args)
   local lines = common.lines(os.getenv("WANGGE_LOAD_POINTS"))
   points = {}
   for _, l in ipairs(lines) do
      local lon, lat = l:match("^(%S+)%s+(%S+)$")
      points[#points + 1] = { tonumber(lon), tonumber(lat) }
   end
   run = os.getenv("WANGGE_LOAD_RUN")
   acked = assert(io.open(os.getenv("WANGGE_LOAD_ACKED") .. "." .. thread_id, "a"))
   acked:setvbuf("line")
   math.randomseed(os.time() + thread_id * 104729)
   wrk.headers["Authorization"] = "Bearer " .. common.token()
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   n = n + 1
   local p = points[math.random(#points)]
   local body = string.format(
      '{"client_id":"%s-%d-%d","category":"%s","lon":%.7f,"lat":%.7f,"description":"load test"}',
      run, thread_id, n, categories[math.random(#categories)], p[1] + (math.random() - 0.5) * 2e-4,
      p[2] + (math.random() - 0.5) * 2e-4)
   return wrk.format("POST", "/api/v1/reports", nil, body)
end

function response(status, headers, body)
   common.count_status(status)
   if status == 201 or status == 200 then
      local id = body:match('"client_id":"([^"]+)"')
      if id then acked:write(id, "\n") end
   end
end

function done(summary, latency, requests)
   common.done("POST /api/v1/reports", summary, latency)
end
