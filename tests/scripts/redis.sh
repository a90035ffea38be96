# Redis server and client over a Unix socket (no TCP: inet sockets come with the network
# stack): set, get, incr, a list, then a clean shutdown. Output must match a native run.
set -e
d=$(mktemp -d /tmp/rvt-redis-XXXXXX)
redis-server --port 0 --unixsocket "$d/r.sock" --daemonize yes --save "" \
    --logfile "$d/log" --pidfile "$d/pid" --dir "$d"
for _ in $(seq 100); do [ -S "$d/r.sock" ] && break; sleep 0.05; done
cli() { redis-cli -s "$d/r.sock" "$@"; }
cli set greeting hello
cli get greeting
cli incr counter
cli incrby counter 41
cli rpush l a b c
cli lrange l 0 -1
cli dbsize
cli shutdown nosave || true
for _ in $(seq 100); do [ -S "$d/r.sock" ] || break; sleep 0.05; done
rm -rf "$d"
