#!/usr/bin/env bash
# Docker integration test: runsc as a Docker runtime, driven through the docker CLI.
#
# 1. docker.io from Debian's packages if dockerd is missing (as root, with apt-get);
# 2. a private dockerd (its own socket, data and exec roots under a temporary directory,
#    log in dockerd.log there), started with a timeout: if it cannot start here, the test
#    says why and FAILS — it never passes silently;
# 3. an image imported from a root filesystem made here (busybox-static and its applets,
#    /etc/passwd, /etc/group): rvisor-test:latest;
# 4. the runtime registered with `runsc install --config-file` and dockerd reloaded (SIGHUP);
# 5. the checks below, one line each ("ok -" / "FAIL -"); then everything is removed:
#    containers, the image, the daemon and its directories.
#
#   tests/docker/run.sh                    RUNSC=path overrides target/release/runsc
#   RVISOR_DOCKER_KEEP=1 tests/docker/run.sh   keep the directory (logs, debug logs) for a look
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$(pwd)
RUNSC=${RUNSC:-${CARGO_TARGET_DIR:-$REPO/target}/release/runsc}
case "$RUNSC" in /*) ;; *) RUNSC="$REPO/$RUNSC" ;; esac
IMG=rvisor-test:latest
RT=rvisor
P=rvisor-test-$$
FAILED=0
PASSED=0

say() { printf 'docker test: %s\n' "$*"; }
die() {
    say "FAIL: $*" >&2
    exit 1
}
ok() {
    PASSED=$((PASSED + 1))
    printf 'ok - %s\n' "$1"
}
fail() {
    FAILED=$((FAILED + 1))
    printf 'FAIL - %s: %s\n' "$1" "$2"
}

[ "$(id -u)" = 0 ] || die "needs root (dockerd and runsc's namespaces)"
[ -x "$RUNSC" ] || die "$RUNSC is missing: build it first (cargo build --release -p runsc)"
[ -x /bin/busybox ] || die "/bin/busybox is missing (install busybox-static)"

if ! command -v dockerd >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die "dockerd is missing and apt-get is not available to install docker.io"
    say "installing docker.io"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq docker.io; } >/tmp/rvisor-docker-apt.log 2>&1 ||
        die "installing docker.io failed: $(tail -5 /tmp/rvisor-docker-apt.log)"
fi
command -v docker >/dev/null 2>&1 || die "the docker client is missing"
command -v script >/dev/null 2>&1 || die "script(1) is missing (install bsdutils)"

# Short paths: containerd's sockets live under the exec root.
W=$(mktemp -d /tmp/rvisor-docker.XXXXXX)
export DOCKER_HOST=unix://$W/docker.sock
DOCKERD_PID=

cleanup() {
    if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
        docker ps -aq --filter "name=$P" 2>/dev/null | xargs -r timeout 60 docker rm -f >/dev/null 2>&1
        timeout 60 docker rmi -f "$IMG" >/dev/null 2>&1
        kill -TERM "$DOCKERD_PID" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$DOCKERD_PID" 2>/dev/null
    fi
    # Whatever the daemon left mounted below its directories.
    grep -o " $W/[^ ]*" /proc/self/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null
    if [ "${RVISOR_DOCKER_KEEP:-}" = 1 ]; then
        say "kept $W"
    else
        rm -rf "$W"
    fi
}
trap cleanup EXIT

# --- the daemon -------------------------------------------------------------------------
# Other settings in the file must survive `runsc install`.
echo '{ "log-level": "info" }' >"$W/daemon.json"
dockerd --config-file "$W/daemon.json" --host "$DOCKER_HOST" --data-root "$W/data" \
    --exec-root "$W/exec" --pidfile "$W/dockerd.pid" >"$W/dockerd.log" 2>&1 &
DOCKERD_PID=$!
started=
for _ in $(seq 120); do
    if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then break; fi
    if timeout 5 docker version >/dev/null 2>&1; then started=1; break; fi
    sleep 0.5
done
if [ -z "$started" ]; then
    if kill -0 "$DOCKERD_PID" 2>/dev/null; then
        say "dockerd did not answer within 60s; the last lines of its log:" >&2
    else
        wait "$DOCKERD_PID"
        say "dockerd exited (status $?); the last lines of its log:" >&2
    fi
    tail -30 "$W/dockerd.log" >&2
    die "Docker cannot run on this machine, so the Docker integration test cannot run"
fi
say "dockerd $(docker version --format '{{.Server.Version}}') is up ($W)"

# --- runsc install, reload --------------------------------------------------------------
"$RUNSC" install --config-file "$W/daemon.json" --runtime "$RT" -- --debug --debug-log="$W/logs/" >/dev/null ||
    die "runsc install failed"
python3 - "$W/daemon.json" "$RUNSC" "$RT" <<'EOF' || die "runsc install wrote an unexpected daemon.json: $(cat "$W/daemon.json")"
import json, os, sys
c = json.load(open(sys.argv[1]))
assert c["log-level"] == "info", c
assert c["runtimes"][sys.argv[3]]["path"] == os.path.realpath(sys.argv[2]), c
EOF
kill -HUP "$DOCKERD_PID"
registered=
for _ in $(seq 50); do
    if docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q "\"$RT\""; then registered=1; break; fi
    sleep 0.2
done
[ -n "$registered" ] || die "dockerd did not pick up runtime $RT after SIGHUP: $(tail -5 "$W/dockerd.log")"
ok "runsc install registers the runtime; dockerd reloads it"

# --- the image --------------------------------------------------------------------------
tree=$W/rootfs
mkdir -p "$tree/bin" "$tree/etc" "$tree/tmp" "$tree/root"
cp /bin/busybox "$tree/bin/busybox"
for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$tree/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$tree/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$tree/etc/group"
tar -C "$tree" -c . | timeout 120 docker import - "$IMG" >/dev/null || die "docker import failed"

RUN=(timeout 60 docker run --runtime="$RT")

# --- the checks -------------------------------------------------------------------------
out=$("${RUN[@]}" --rm "$IMG" sh -c 'echo ok; exit 3' 2>"$W/err")
rc=$?
if [ "$out" = ok ] && [ "$rc" = 3 ]; then ok "docker run: output and exit status 3"; else
    fail "docker run" "output '$out', status $rc, stderr: $(cat "$W/err")"; fi

out=$(echo hello | "${RUN[@]}" -i --rm "$IMG" cat 2>"$W/err")
if [ "$out" = hello ]; then ok "docker run -i: stdin"; else
    fail "docker run -i" "output '$out', stderr: $(cat "$W/err")"; fi

for net in none bridge host; do
    out=$("${RUN[@]}" --rm --network="$net" "$IMG" sh -c 'echo up' 2>"$W/err")
    if [ "$out" = up ]; then ok "--network=$net starts"; else
        fail "--network=$net" "output '$out', stderr: $(cat "$W/err")"; fi
done

# A refused start reaches the caller with its reason.
"${RUN[@]}" --rm "$IMG" /no/such/program >/dev/null 2>"$W/err"
rc=$?
if [ "$rc" != 0 ] && grep -q "/no/such/program: No such file or directory" "$W/err"; then
    ok "a missing program: Docker prints the reason"
else
    fail "missing program" "status $rc, stderr: $(cat "$W/err")"
fi

# Detached: exec, logs, stop (init handles SIGTERM).
d=$P-d
if "${RUN[@]}" -d --name "$d" "$IMG" sh -c 'trap "echo bye; exit 7" TERM; echo started; while :; do sleep 1; done' >/dev/null 2>"$W/err"; then
    for _ in $(seq 50); do docker logs "$d" 2>/dev/null | grep -q started && break; sleep 0.1; done
    out=$(timeout 30 docker exec "$d" sh -c 'echo exec-ok; exit 4' 2>&1)
    rc=$?
    if [ "$out" = exec-ok ] && [ "$rc" = 4 ]; then ok "docker exec: output and status"; else
        fail "docker exec" "output '$out', status $rc"; fi
    if docker logs "$d" 2>&1 | grep -q '^started$'; then ok "docker logs"; else
        fail "docker logs" "$(docker logs "$d" 2>&1 | head -5)"; fi
    t0=$(date +%s)
    timeout 60 docker stop -t 10 "$d" >/dev/null 2>"$W/err"
    t=$(($(date +%s) - t0))
    code=$(docker inspect -f '{{.State.ExitCode}}' "$d" 2>/dev/null)
    if [ "$code" = 7 ] && [ "$t" -lt 10 ] && docker logs "$d" 2>&1 | grep -q '^bye$'; then
        ok "docker stop: SIGTERM reaches init's handler (${t}s, status 7)"
    else
        fail "docker stop" "status '$code' after ${t}s; $(cat "$W/err")"
    fi
    docker rm -f "$d" >/dev/null 2>&1
else
    fail "docker run -d" "$(cat "$W/err")"
fi

# Stop of an init that ignores SIGTERM: SIGKILL after the timeout.
d=$P-k
if "${RUN[@]}" -d --name "$d" "$IMG" sh -c 'trap "" TERM; while :; do sleep 1; done' >/dev/null 2>"$W/err"; then
    t0=$(date +%s)
    timeout 60 docker stop -t 2 "$d" >/dev/null 2>"$W/err"
    t=$(($(date +%s) - t0))
    code=$(docker inspect -f '{{.State.ExitCode}}' "$d" 2>/dev/null)
    running=$(docker inspect -f '{{.State.Running}}' "$d" 2>/dev/null)
    if [ "$running" = false ] && [ "$code" = 137 ] && [ "$t" -le 12 ]; then
        ok "docker stop: SIGKILL after the timeout (${t}s, status 137)"
    else
        fail "docker stop (SIGTERM ignored)" "running=$running status '$code' after ${t}s; $(cat "$W/err")"
    fi
    docker rm -f "$d" >/dev/null 2>&1
else
    fail "docker run -d (SIGTERM ignored)" "$(cat "$W/err")"
fi

# Resource limits land in the container's cgroup, and the cgroup goes with the container.
d=$P-c
if id=$("${RUN[@]}" -d --name "$d" --memory=64m --pids-limit=64 --cpu-shares=512 --cpus=0.5 "$IMG" sleep 100 2>"$W/err"); then
    if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
        cg=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "*$id*" 2>/dev/null | head -1)
        got="$(cat "$cg/memory.max" 2>/dev/null) $(cat "$cg/pids.max" 2>/dev/null) $(cut -d' ' -f1 "$cg/cpu.max" 2>/dev/null)"
    else
        m=$(find /sys/fs/cgroup/memory -maxdepth 3 -type d -name "*$id*" 2>/dev/null | head -1)
        p=$(find /sys/fs/cgroup/pids -maxdepth 3 -type d -name "*$id*" 2>/dev/null | head -1)
        c=$(find /sys/fs/cgroup/cpu -maxdepth 3 -type d -name "*$id*" 2>/dev/null | head -1)
        got="$(cat "$m/memory.limit_in_bytes" 2>/dev/null) $(cat "$p/pids.max" 2>/dev/null) $(cat "$c/cpu.cfs_quota_us" 2>/dev/null)"
    fi
    if [ "$got" = "67108864 64 50000" ]; then ok "cgroup limits (memory, pids, cpu quota) applied"; else
        fail "cgroup limits" "got '$got', wanted '67108864 64 50000'"; fi
    docker rm -f "$d" >/dev/null 2>&1
    sleep 0.5
    left=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "*$id*" 2>/dev/null | head -3)
    if [ -z "$left" ]; then ok "the cgroup is removed with the container"; else
        fail "cgroup removal" "left: $left"; fi
else
    fail "docker run with limits" "$(cat "$W/err")"
fi

# The sandbox process is confined.
d=$P-s
if "${RUN[@]}" -d --name "$d" "$IMG" sleep 100 >/dev/null 2>"$W/err"; then
    pid=$(docker inspect -f '{{.State.Pid}}' "$d")
    st=$(grep -E '^(Seccomp|CapEff|CapBnd|NoNewPrivs|Uid):' "/proc/$pid/status" | tr -s '\t ' ' ' | tr '\n' ';')
    want='Uid: 65534 65534 65534 65534;CapEff: 0000000000000000;CapBnd: 0000000000000000;NoNewPrivs: 1;Seccomp: 2;'
    same=
    for ns in user mnt pid ipc uts net; do
        [ "$(readlink "/proc/$pid/ns/$ns")" = "$(readlink "/proc/self/ns/$ns")" ] && same="$same $ns"
    done
    if [ "$st" = "$want" ] && [ -z "$same" ]; then ok "the sandbox process: seccomp, no capabilities, nobody, namespaces of its own"; else
        fail "sandbox confinement" "status '$st', namespaces shared with the host:${same:- none}"; fi
    docker rm -f "$d" >/dev/null 2>&1
else
    fail "docker run (confinement)" "$(cat "$W/err")"
fi

# docker run -it through a pseudo-terminal: the prompt, line editing (a backspace),
# ^C interrupting the foreground job, the exit status.
feed() {
    sleep 3
    printf 'echo in""side\r'
    sleep 1
    printf 'echo abX\177c\r'
    sleep 1
    printf 'sleep 100\r'
    sleep 1.5
    printf '\003'
    sleep 1
    printf 'echo after-int\r'
    sleep 1
    printf 'exit 5\r'
    sleep 3
}
t0=$(date +%s)
feed | timeout 60 script -qfec "docker run -it --rm --runtime=$RT $IMG sh" /dev/null >"$W/tty.out" 2>&1
rc=$?
t=$(($(date +%s) - t0))
txt=$(tr -d '\r' <"$W/tty.out")
if [ "$rc" = 5 ] && grep -qx 'inside' <<<"$txt" && grep -qx 'abc' <<<"$txt" && grep -qx 'after-int' <<<"$txt" && [ "$t" -lt 40 ]; then
    ok "docker run -it: typed commands, line editing, ^C, exit status"
else
    fail "docker run -it" "status $rc after ${t}s; terminal: $(cat -v "$W/tty.out" | tail -12 | tr '\n' '|')"
fi

# docker exec -it into a running container: a terminal of its own, ^C interrupting the
# exec'd shell's foreground job (not the shell, not the container), the exit status.
x=$P-x
if "${RUN[@]}" -d --name "$x" "$IMG" sleep 1000 >/dev/null 2>"$W/err"; then
    t0=$(date +%s)
    feed | timeout 60 script -qfec "docker exec -it $x sh" /dev/null >"$W/xtty.out" 2>&1
    rc=$?
    t=$(($(date +%s) - t0))
    txt=$(tr -d '\r' <"$W/xtty.out")
    running=$(docker inspect -f '{{.State.Running}}' "$x" 2>/dev/null)
    if [ "$rc" = 5 ] && grep -qx 'inside' <<<"$txt" && grep -qx 'after-int' <<<"$txt" && [ "$t" -lt 40 ] && [ "$running" = true ]; then
        ok "docker exec -it: typed commands, ^C, exit status; the container keeps running"
    else
        fail "docker exec -it" "status $rc after ${t}s, running=$running; terminal: $(cat -v "$W/xtty.out" | tail -12 | tr '\n' '|')"
    fi
    docker rm -f "$x" >/dev/null 2>&1
else
    fail "docker run -d (for exec -it)" "$(cat "$W/err")"
fi

# --- runsc uninstall --------------------------------------------------------------------
if "$RUNSC" uninstall --config-file "$W/daemon.json" --runtime "$RT" >/dev/null &&
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert "runtimes" not in c and c["log-level"]=="info", c' "$W/daemon.json"; then
    ok "runsc uninstall removes the runtime and keeps the rest"
else
    fail "runsc uninstall" "$(cat "$W/daemon.json")"
fi

if [ "$FAILED" != 0 ]; then
    say "$FAILED failed, $PASSED passed; dockerd log and runsc debug logs: $W (kept)"
    RVISOR_DOCKER_KEEP=1
    exit 1
fi
say "all $PASSED passed"
