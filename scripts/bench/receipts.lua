-- wrk script for scripts/bench-receipts: cycles through signed Twilio status callbacks generated
-- by scripts/bench/receipts_requests.py (one request per line: path TAB signature TAB body).
local file = os.getenv("BENCH_REQUESTS")
local requests = {}
for line in io.lines(file) do
  local path, sig, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
  requests[#requests + 1] = wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded", ["X-Twilio-Signature"] = sig }, body)
end
local i = 0

setup = function(thread) end

request = function()
  i = i % #requests + 1
  return requests[i]
end

dofile("scripts/bench/result.lua")
