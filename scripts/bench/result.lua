-- The summary line every wrk script of scripts/bench-* prints (loaded with dofile from the repo root).
done = function(summary, latency, requests)
  io.write(string.format("BENCH_RESULT requests=%d non2xx=%d errors_connect=%d errors_read=%d errors_write=%d errors_timeout=%d p50_us=%d p99_us=%d duration_us=%d\n",
    summary.requests, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(99), summary.duration))
end
