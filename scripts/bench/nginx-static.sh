# Sourced by scripts/bench-*: an nginx answering a static 200 on loopback, the same-run reference.
# start_nginx_static WORK PORT: starts it (its pid appended to the caller's pids array; the caller's
# cleanup also sends QUIT to WORK/nginx/nginx.pid) and sets nginx_port, left empty when nginx is
# not installed.
start_nginx_static() {
  local work=$1 port=$2 user=""
  nginx_port=""
  [[ -x /usr/sbin/nginx ]] || return 0
  mkdir -p "$work/nginx/tmp"
  [[ $(id -u) -eq 0 ]] && user="user root root;"
  cat >"$work/nginx/nginx.conf" <<NGINX
$user
worker_processes 1;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp/body; proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi; uwsgi_temp_path $work/nginx/tmp/uwsgi; scgi_temp_path $work/nginx/tmp/scgi;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; location / { return 200; } }
}
NGINX
  /usr/sbin/nginx -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" -g "daemon off; pid $work/nginx/nginx.pid;" \
    </dev/null >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do [[ -f "$work/nginx/nginx.pid" ]] && break; sleep 0.05; done
  nginx_port=$port
}
