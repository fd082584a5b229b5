-- wrk script for scripts/bench-receipts: cycles through signed Twilio status callbacks generated
-- by scripts/bench/receipts_requests.py (one request per line: path TAB signature TAB body).
-- The requests are formatted in init (per thread), once wrk has set the Host header.
local requests = {}
local i = 0

init = function(args)
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    local path, sig, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    requests[#requests + 1] = wrk.format("POST", path, {
      ["Content-Type"] = "application/x-www-form-urlencoded", ["X-Twilio-Signature"] = sig }, body)
  end
end

request = function()
  i = i % #requests + 1
  return requests[i]
end

-- BENCH_DEBUG=1: print the first answer that is not a 200 (costs the client a body parse each).
if os.getenv("BENCH_DEBUG") then
  local reported = false
  response = function(status, headers, body)
    if status ~= 200 and not reported then
      reported = true
      io.stderr:write(string.format("bench-receipts: first non-200 answer: %d %s\n", status, body))
    end
  end
end

dofile("scripts/bench/result.lua")
