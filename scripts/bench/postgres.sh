# Sourced by scripts/bench-ingest and scripts/bench-delivery with --postgres: a temporary
# PostgreSQL from the Debian packages (as scripts/test's fixture), on a loopback port, in
# "$work/pg" (owned by postgres when run as root), stopped by its pid. fsync stays on: the figures
# are durable accepts. Functions: pg_start, pg_newdb (prints a URL), pg_count URL SQL, pg_stop.
# BENCH_PG_STATS=1 loads pg_stat_statements and prints, before each database is left (pg_newdb)
# and at pg_stop, its statements by total time (calls, execution and planning ms, mean ms, rows): where a run's time went.
# BENCH_PG_WAL_TMPFS=1 puts the server's data directory in /dev/shm: fsync stays on but costs ~nothing, a
# model of a fast flush (NVMe, a write-back cache with a battery) to see what a run is bound by; never a headline figure.
# The server is brought to the WAL state of a cluster that has been running (min_wal_size=1GB, max_wal_size=4GB,
# and 1 GB of WAL written, switched and checkpointed before the first run, so the runs' segment switches reuse
# recycled files as a running cluster's do): on a freshly initialised cluster every 16 MB segment is created and
# zero-filled by the committing backend, a 15-30 ms COMMIT about once a second at 14,000 accepts/s that no running
# cluster sees. BENCH_PG_FRESH=1 measures the fresh cluster instead.
# BENCH_PG_OPTS adds server options (e.g. "-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=5",
# plans then in $work/pg/server.log).
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pg_run() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_stats_opts=""
pg_wal_opts="-c min_wal_size=1GB -c max_wal_size=4GB"
[[ -n "${BENCH_PG_FRESH:-}" ]] && pg_wal_opts=""
[[ -n "${BENCH_PG_STATS:-}" ]] && pg_stats_opts="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c pg_stat_statements.track_planning=on"
# The last database's statements by total time (BENCH_PG_STATS), to stderr.
pg_stats() {
  [[ -n "${BENCH_PG_STATS:-}" && -s "${pg_dir:-/nonexistent}/last_db" ]] || return 0
  local pg_last_db; pg_last_db=$(cat "$pg_dir/last_db")
  "$pg_bin/psql" -X -q -d "$pg_last_db" -c "SELECT calls, round(total_exec_time::numeric, 1) AS total_ms,
      round(total_plan_time::numeric, 1) AS plan_ms,
      round(mean_exec_time::numeric, 3) AS mean_ms, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
    ORDER BY total_exec_time DESC LIMIT 15" >&2 || true
  "$pg_bin/psql" -X -q -d "$pg_last_db" -c "SELECT pg_stat_statements_reset()" >/dev/null 2>&1 || true
}
pg_start() {
  [[ -x "$pg_bin/initdb" ]] || { echo "bench: PostgreSQL server binaries not found: scripts/install-deps --test" >&2; exit 1; }
  pg_dir="$work/pg"
  if [[ -n "${BENCH_PG_WAL_TMPFS:-}" ]]; then  # a model check, not a figure: WAL flushes then cost ~nothing
    pg_dir=$(mktemp -d /dev/shm/otp-relay-bench-pg.XXXXXX)
    ln -s "$pg_dir" "$work/pg-tmpfs"
  fi
  mkdir -p "$pg_dir"
  [[ $(id -u) -eq 0 ]] && chown postgres "$work" "$pg_dir" && chmod 755 "$work"
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  (cd / && pg_run "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 >/dev/null)
  (cd / && pg_run "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c max_connections=100 -c shared_buffers=256MB $pg_wal_opts $pg_stats_opts ${BENCH_PG_OPTS:-}" start \
    </dev/null >/dev/null 2>&1)
  pg_pid=$(head -1 "$pg_dir/data/postmaster.pid")
  echo 0 >"$pg_dir/databases"
  [[ -n "${BENCH_PG_FRESH:-}" ]] || pg_warm_wal
}
# Writes and switches 64 WAL segments, then checkpoints twice: the old segments are recycled into future ones.
pg_warm_wal() {
  local url="postgresql://postgres@127.0.0.1:$pg_port/postgres"
  { echo "CREATE TABLE bench_warm (x int);"
    for _ in $(seq 1 64); do echo "INSERT INTO bench_warm VALUES (1); SELECT pg_switch_wal();"; done
    echo "DROP TABLE bench_warm; CHECKPOINT; CHECKPOINT;"; } | "$pg_bin/psql" -X -q -d "$url" >/dev/null
  echo "bench: PostgreSQL WAL warmed: $(ls "$pg_dir/data/pg_wal" | grep -c '^[0-9A-F]\{24\}$') segments in pg_wal" >&2
}
# Called in $(…): the counter lives in a file, not in a variable of the subshell.
pg_newdb() {
  local n=$(($(cat "$pg_dir/databases") + 1))
  echo "$n" >"$pg_dir/databases"
  pg_stats
  "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "bench$n"
  local pg_last_db="postgresql://postgres@127.0.0.1:$pg_port/bench$n"
  echo "$pg_last_db" >"$pg_dir/last_db"
  [[ -n "${BENCH_PG_STATS:-}" ]] && "$pg_bin/psql" -X -q -d "$pg_last_db" -c "CREATE EXTENSION pg_stat_statements" >/dev/null
  echo "$pg_last_db"
}
pg_count() { "$pg_bin/psql" -X -A -t -q -d "$1" -c "$2"; }
pg_stop() {
  [[ -n "${pg_pid:-}" ]] || return 0
  pg_stats
  kill -INT "$pg_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
  pg_pid=""
  if [[ "$pg_dir" == /dev/shm/otp-relay-bench-pg.* ]]; then rm -rf "$pg_dir"; fi
}
