-- wrk script for scripts/bench-auth. BENCH_AUTH: the same Authorization value on every keep-alive
-- request (the repeated-token workload). BENCH_TOKENS: a file of tokens, one a line, sent in turn
-- (the distinct-token workload: with more tokens than the gateway's cache holds, every lookup misses).
local auth = os.getenv("BENCH_AUTH")
local path = os.getenv("BENCH_PATH") or "/v1/auth/verify"
local file = os.getenv("BENCH_TOKENS")
local tokens, n, i = {}, 0, 0

if file and file ~= "" then
  for line in io.lines(file) do
    if #line > 0 then n = n + 1; tokens[n] = "Bearer " .. line end
  end
end

request = function()
  local a = auth
  if n > 0 then i = i % n + 1; a = tokens[i] end
  return wrk.format("GET", path, { ["Authorization"] = a, ["X-Original-URI"] = "/orders?id=7" })
end

dofile("scripts/bench/result.lua")
