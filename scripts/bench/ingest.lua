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

done = function(summary, latency, requests)
  io.write(string.format("BENCH_RESULT requests=%d non2xx=%d errors_connect=%d errors_read=%d errors_write=%d errors_timeout=%d p50_us=%d p99_us=%d duration_us=%d\n",
    summary.requests, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(99), summary.duration))
end
