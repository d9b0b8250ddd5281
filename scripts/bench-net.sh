# Sourced by the benchmark scripts that start servers on loopback (bench-server.sh,
# bench-decision-servers.sh, bench-cedar-agent.sh); not run on its own.

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_up PORT [NAME]: tries 600 times, 0.1 s apart (a minute or more), to connect to
# 127.0.0.1:PORT; on failure says so, prints the servers' stderr files ($WORK/*.err) and
# returns 1.
wait_up() {
  for _ in $(seq 1 600); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$1" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "nothing listens on port $1 (${2:-server})" >&2
  cat "${WORK:-/nonexistent}"/*.err >&2 2>/dev/null || true
  return 1
}
