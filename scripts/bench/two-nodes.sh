# Sourced by scripts/bench-ingest (--postgres, BENCH_NODES=2): two otp-relay nodes on one fresh
# PostgreSQL database per run, each driven by its own wrk (1 thread, 32 connections, distinct
# OTPs: seeds 10·run+node); aggregate accepts/s = the sum of both wrk's 200s over the run, p99 =
# the worse node's; the database must hold exactly the 200s both nodes answered.
node_results=()
for i in $(seq 1 "$runs"); do
  url=$(pg_newdb)
  node_pids=()
  for n in 1 2; do
    : >"$work/err$n.log"
    OTP_RELAY_DATABASE_URL="$url" OTP_RELAY_CONFIG="$work/config.json" OTP_RELAY_DB="$work/db$n.sqlite" \
    OTP_RELAY_LISTEN="127.0.0.1:$((port + n))" OTP_RELAY_ADMIN_LISTEN="127.0.0.1:0" \
    OTP_RELAY_WEBHOOK_USERNAME=bench OTP_RELAY_WEBHOOK_PASSWORD="$pass" OTP_RELAY_DATA_KEY="$key" \
    OTP_RELAY_ADMIN_USERNAME=admin OTP_RELAY_ADMIN_PASSWORD="$pass" OTP_RELAY_LOG_LEVEL=info \
    OTP_RELAY_SANDBOX_FILE="$work/sandbox$n.jsonl" \
      "$bin" serve >"$work/out$n.log" 2>"$work/err$n.log" &
    node_pids+=($!)
    for _ in $(seq 1 200); do grep -q '"msg":"listening"' "$work/err$n.log" 2>/dev/null && break; sleep 0.05; done
  done
  wrk_pids=()
  for n in 1 2; do
    BENCH_AUTH="$auth" BENCH_SEED="$((10 * i + n))" wrk -t1 -c32 -d"${secs}s" --latency -s scripts/bench/ingest.lua \
      "http://127.0.0.1:$((port + n))/" >"$work/wrk$n.out" &
    wrk_pids+=($!)
  done
  wait "${wrk_pids[@]}"
  total_rps=0; worst_p99=0; answered=0; ok200=0
  for n in 1 2; do
    kill -TERM "${node_pids[$((n - 1))]}"; wait "${node_pids[$((n - 1))]}" || true
    line=$(grep BENCH_RESULT "$work/wrk$n.out")
    eval "$(sed 's/BENCH_RESULT //' <<<"$line" | tr ' ' '\n' | sed 's/^/r_/')"
    total_rps=$(awk -v t="$total_rps" -v n="$r_requests" -v x="$r_non2xx" -v d="$r_duration_us" 'BEGIN {printf "%.0f", t + (n - x) / (d / 1e6)}')
    worst_p99=$(( r_p99_us > worst_p99 ? r_p99_us : worst_p99 ))
    ok200=$((ok200 + r_requests - r_non2xx))
    answered=$((answered + $(grep -o '"accepted":[0-9]*' "$work/err$n.log" | tail -1 | cut -d: -f2)))
  done
  jobs=$(pg_count "$url" 'SELECT count(*) FROM jobs')
  check=$([[ "$jobs" == "$answered" ]] && echo ok || echo MISMATCH)
  printf 'postgresql two nodes run %d: %s req/s aggregate, worse p99 %.2f ms, wrk 200s %d, servers 200s %s, jobs in db %s [%s], load %s\n' \
    "$i" "$total_rps" "$(awk -v v="$worst_p99" 'BEGIN{print v/1000}')" "$ok200" "$answered" "$jobs" "$check" "$(cut -d' ' -f1 /proc/loadavg)"
  [[ "$check" == ok ]] || { echo "bench-ingest: database holds $jobs jobs but the two nodes answered $answered 200s" >&2; exit 1; }
  node_results+=("$total_rps $worst_p99")
done
n_rps=$(printf '%s\n' "${node_results[@]}" | awk '{print $1}' | median)
n_p99=$(printf '%s\n' "${node_results[@]}" | awk '{print $2}' | median)
echo
printf '| metric (postgresql, two nodes) | median of %d runs |\n|---|---|\n' "$runs"
printf '| durable accepts/s, both nodes | %s |\n| p99 latency, worse node | %.2f ms |\n' "$n_rps" "$(awk -v v="$n_p99" 'BEGIN{print v/1000}')"
echo "BENCH ingest store=postgresql nodes=2 rps=$n_rps p99_us=$n_p99 runs=$runs seconds=$secs"
