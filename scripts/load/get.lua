-- GET requests over a list of paths (WANGGE_LOAD_PATHS, one a line), picked at random:
-- tiles, report lists, analytics.
package.path = os.getenv("WANGGE_LOAD_LUA") .. "/?.lua;" .. package.path
local common = require("common")
local paths

setup = common.setup

function init(args)
   paths = common.lines(os.getenv("WANGGE_LOAD_PATHS"))
   math.randomseed(os.time() + (thread_id or 0) * 7919)
   wrk.headers["Authorization"] = "Bearer " .. common.token()
end

function request()
   return wrk.format("GET", paths[math.random(#paths)])
end

function response(status, headers, body)
   common.count_status(status)
end

function done(summary, latency, requests)
   common.done(os.getenv("WANGGE_LOAD_NAME") or "get", summary, latency)
end
