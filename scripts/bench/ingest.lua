-- wrk script for scripts/bench-ingest: every request is a new job (distinct identifier and OTP).
local counter = 0
local auth = os.getenv("BENCH_AUTH")
local seed = tonumber(os.getenv("BENCH_SEED") or "0")

request = function()
  counter = counter + 1
  local n = seed * 10000000 + counter
  local identifier = string.format("08%010d", n % 10000000000)
  local otp = string.format("%06d", n % 1000000)
  local body = '{"identifier":"' .. identifier .. '","otp":"' .. otp .. '","channel":"whatsapp"}'
  return wrk.format("POST", "/v1/webhooks/otp",
    { ["Authorization"] = auth, ["Content-Type"] = "application/json" }, body)
end

dofile("scripts/bench/result.lua")
