# Sends exactly `count` webhooks to HOST:PORT over 8 keep-alive connections (a distinct identifier
# and OTP per request, as scripts/bench/ingest.lua) and checks every answer is a 200; for
# scripts/bench-ingest-instructions, where the figure is per request.
#   python3 scripts/bench/ingest-count.py HOST:PORT AUTHORIZATION COUNT SEED
import http.client
import sys
import threading

host, port = sys.argv[1].rsplit(":", 1)
auth, count, seed = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
connections = 8
failures = []


def send(worker):
    c = http.client.HTTPConnection(host, int(port), timeout=120)
    for i in range(worker, count, connections):
        n = seed * 10000000 + i
        body = '{"identifier":"08%010d","otp":"%06d","channel":"whatsapp"}' % (n % 10000000000, n % 1000000)
        c.request("POST", "/v1/webhooks/otp", body, {"Authorization": auth, "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            failures.append(r.status)
    c.close()


threads = [threading.Thread(target=send, args=(w,)) for w in range(connections)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failures:
    sys.exit("ingest-count: %d answers were not 200 (first: %d)" % (len(failures), failures[0]))
