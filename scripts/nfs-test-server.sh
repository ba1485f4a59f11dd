#!/usr/bin/env bash
# A throwaway NFS server for the storage tests and benchmark (DESIGN §3.6).
#
#   scripts/nfs-test-server.sh install   apt-get the packages (as root; otherwise it says which)
#   scripts/nfs-test-server.sh start     start nfs-ganesha on 127.0.0.1, wait until a mount works
#   scripts/nfs-test-server.sh stop      stop it by PID (ganesha, then rpcbind)
#   scripts/nfs-test-server.sh status    exit 0 and print the URL when it is serving
#
# Settings (environment):
#   NFS_TEST_STATE_DIR   state dir: config, logs, pid files, the export   (/tmp/gmi-ieops-nfs)
#   NFS_TEST_EXPORT_DIR  directory exported                               ($STATE/export)
#   NFS_TEST_NFS_PORT    NFS port on 127.0.0.1                            (22049)
#   NFS_TEST_MOUNT_PORT  MOUNT port on 127.0.0.1                          (22050)
#   NFS_TEST_START_TIMEOUT  seconds to wait for a working mount           (20)
#
# How it runs: ganesha 4.3 refuses NFSv3 unless it can register with rpcbind, and we never
# want port 111 on the host. So rpcbind runs in a network namespace of its own, and both
# daemons share a private mount namespace in which $STATE/run is bind-mounted on /run, where
# ganesha finds rpcbind's /run/rpcbind.sock. Only the two ports above open, on 127.0.0.1.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"  # rpcbind lives in sbin; non-login shells may lack it

STATE="${NFS_TEST_STATE_DIR:-/tmp/gmi-ieops-nfs}"
EXPORT_DIR="${NFS_TEST_EXPORT_DIR:-$STATE/export}"
NFS_PORT="${NFS_TEST_NFS_PORT:-22049}"
MOUNT_PORT="${NFS_TEST_MOUNT_PORT:-22050}"
START_TIMEOUT="${NFS_TEST_START_TIMEOUT:-20}"
PSEUDO="/export"
PACKAGES=(nfs-ganesha nfs-ganesha-vfs rpcbind libnfs13 libnfs-utils iproute2 util-linux)

die() { echo "nfs-test-server: $*" >&2; exit 1; }

url() { echo "nfs://127.0.0.1${PSEUDO}?nfsport=${NFS_PORT}&mountport=${MOUNT_PORT}"; }

need_root() { [ "$(id -u)" = 0 ] || die "$1 needs root (nfs-ganesha and namespaces)"; }

cmd_install() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && { echo "nfs-test-server: packages present"; return 0; }
    if [ "$(id -u)" != 0 ]; then
        # Like scripts/setup.sh: a developer without root gets told, and the NFS tests skip.
        echo "nfs-test-server: not root; to run the NFS tests install: ${missing[*]}" >&2
        return 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    # The package lists of a fresh machine may be empty or old: update when a package is unknown.
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
}

# A killed daemon may linger as a zombie until PID 1 reaps it: that counts as stopped.
alive() { [ -r "/proc/$1/stat" ] && ! awk '{exit ($3 == "Z") ? 0 : 1}' "/proc/$1/stat"; }
pid_alive() { [ -f "$1" ] && alive "$(cat "$1")"; }

mount_works() { timeout 5 nfs-ls "$(url)" >/dev/null 2>&1; }

write_config() {
    cat >"$STATE/ganesha.conf" <<EOF
NFS_CORE_PARAM {
    Bind_addr = 127.0.0.1;
    NFS_Port = ${NFS_PORT};
    MNT_Port = ${MOUNT_PORT};
    Protocols = 3, 4;
    Enable_NLM = false;
    Enable_UDP = false;
    Enable_RQUOTA = false;
    mount_path_pseudo = true;
}
NFSv4 {
    Graceless = true;
    RecoveryBackend = fs;
    RecoveryRoot = "${STATE}/recovery";
}
NFS_KRB5 { Active_krb5 = false; }
EXPORT {
    Export_Id = 1;
    Path = "${EXPORT_DIR}";
    Pseudo = "${PSEUDO}";
    Protocols = 3, 4;
    Transports = TCP;
    Access_Type = RW;
    Squash = No_Root_Squash;
    SecType = sys;
    FSAL { Name = VFS; }
}
LOG { Default_Log_Level = WARN; }
EOF
}

cmd_start() {
    need_root start
    command -v ganesha.nfsd >/dev/null || die "nfs-ganesha is not installed: run '$0 install'"
    command -v rpcbind >/dev/null || die "rpcbind is not installed: run '$0 install'"
    command -v nfs-ls >/dev/null || die "libnfs-utils is not installed: run '$0 install'"
    if pid_alive "$STATE/ganesha.pid"; then
        mount_works && { url; return 0; }
        die "a ganesha (pid $(cat "$STATE/ganesha.pid")) runs on $STATE but does not serve"
    fi
    # A ganesha that crashed (or was killed) leaves its rpcbind: stop it before a new one.
    stop_pid rpcbind "$STATE/rpcbind.pid"
    mkdir -p "$STATE/run/rpcbind" "$STATE/recovery" "$EXPORT_DIR"
    STATE="$(cd "$STATE" && pwd)"
    EXPORT_DIR="$(cd "$EXPORT_DIR" && pwd)"
    rm -f "$STATE/run/rpcbind.sock" "$STATE/run/rpcbind.lock" "$STATE/ganesha.pid"
    write_config
    # One private mount namespace for both daemons; rpcbind also gets its own network.
    # shellcheck disable=SC2016  # the inner script expands its own variables
    STATE="$STATE" setsid unshare --mount --propagation private bash -c '
        set -e
        mount --bind "$STATE/run" /run
        unshare --net rpcbind -f -w </dev/null >"$STATE/rpcbind.log" 2>&1 &
        echo $! >"$STATE/rpcbind.pid"
        for _ in $(seq 1 200); do [ -S /run/rpcbind.sock ] && break; sleep 0.01; done
        [ -S /run/rpcbind.sock ] || { echo "rpcbind did not start" >&2; exit 1; }
        exec ganesha.nfsd -F -f "$STATE/ganesha.conf" -L "$STATE/ganesha.log" \
            -p "$STATE/ganesha.pid" -N NIV_WARN </dev/null >>"$STATE/ganesha.log" 2>&1
    ' </dev/null >/dev/null 2>"$STATE/start.err" &
    echo $! >"$STATE/ganesha.pid"
    local deadline=$((SECONDS + START_TIMEOUT))
    while [ $SECONDS -lt $deadline ]; do
        if mount_works; then url; return 0; fi
        pid_alive "$STATE/ganesha.pid" || break
        sleep 0.1
    done
    echo "--- $STATE/start.err" >&2; cat "$STATE/start.err" >&2 || true
    echo "--- $STATE/ganesha.log (tail)" >&2; tail -n 20 "$STATE/ganesha.log" >&2 || true
    cmd_stop >/dev/null 2>&1 || true
    die "ganesha did not serve $(url) within ${START_TIMEOUT}s"
}

stop_pid() {  # stop_pid NAME PIDFILE: TERM, wait up to 5 s, then KILL
    local name="$1" file="$2" pid
    [ -f "$file" ] || return 0
    pid="$(cat "$file")"
    if alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
        if alive "$pid"; then
            echo "nfs-test-server: $name ($pid) ignored TERM, killing" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$file"
}

cmd_stop() {
    stop_pid ganesha "$STATE/ganesha.pid"
    stop_pid rpcbind "$STATE/rpcbind.pid"
    echo "nfs-test-server: stopped"
}

cmd_status() {
    if pid_alive "$STATE/ganesha.pid" && mount_works; then
        url
    else
        echo "nfs-test-server: not serving on $(url)" >&2
        return 1
    fi
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    url) url ;;
    *) echo "usage: $0 install|start|stop|status|url" >&2; exit 2 ;;
esac
