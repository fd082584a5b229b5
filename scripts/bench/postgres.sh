# Sourced by scripts/bench-ingest and scripts/bench-delivery with --postgres: a temporary
# PostgreSQL from the Debian packages (as scripts/test's fixture), on a loopback port, in
# "$work/pg" (owned by postgres when run as root), stopped by its pid. fsync stays on: the figures
# are durable accepts. Functions: pg_start, pg_newdb (prints a URL), pg_count URL SQL, pg_stop.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pg_run() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_start() {
  [[ -x "$pg_bin/initdb" ]] || { echo "bench: PostgreSQL server binaries not found: scripts/install-deps --test" >&2; exit 1; }
  pg_dir="$work/pg"; mkdir -p "$pg_dir"
  [[ $(id -u) -eq 0 ]] && chown postgres "$work" "$pg_dir" && chmod 755 "$work"
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  (cd / && pg_run "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 >/dev/null)
  (cd / && pg_run "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c max_connections=100 -c shared_buffers=256MB" start \
    </dev/null >/dev/null 2>&1)
  pg_pid=$(head -1 "$pg_dir/data/postmaster.pid")
  echo 0 >"$pg_dir/databases"
}
# Called in $(…): the counter lives in a file, not in a variable of the subshell.
pg_newdb() {
  local n=$(($(cat "$pg_dir/databases") + 1))
  echo "$n" >"$pg_dir/databases"
  "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "bench$n"
  echo "postgresql://postgres@127.0.0.1:$pg_port/bench$n"
}
pg_count() { "$pg_bin/psql" -X -A -t -q -d "$1" -c "$2"; }
pg_stop() {
  [[ -n "${pg_pid:-}" ]] || return 0
  kill -INT "$pg_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
  pg_pid=""
}
