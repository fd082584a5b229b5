-- wrk script for scripts/bench-auth: the same valid token on every keep-alive request.
local auth = os.getenv("BENCH_AUTH")
local path = os.getenv("BENCH_PATH") or "/v1/auth/verify"

request = function()
  return wrk.format("GET", path, { ["Authorization"] = auth, ["X-Original-URI"] = "/orders?id=7" })
end

done = function(summary, latency, requests)
  io.write(string.format("BENCH_RESULT requests=%d non2xx=%d errors_connect=%d errors_read=%d errors_write=%d errors_timeout=%d p50_us=%d p99_us=%d duration_us=%d\n",
    summary.requests, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(99), summary.duration))
end
