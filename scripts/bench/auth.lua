-- wrk script for scripts/bench-auth: the same valid token on every keep-alive request.
local auth = os.getenv("BENCH_AUTH")
local path = os.getenv("BENCH_PATH") or "/v1/auth/verify"

request = function()
  return wrk.format("GET", path, { ["Authorization"] = auth, ["X-Original-URI"] = "/orders?id=7" })
end

dofile("scripts/bench/result.lua")
