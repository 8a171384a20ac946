#!/usr/bin/env bash
# What jrunc costs under the engines: `docker run --rm IMAGE true`, `ctr run --rm` and
# `podman run --rm` with jrunc against runc, interleaved, the mean of
# RUNS rounds after one warm-up round.
# Starts its own containerd and dockerd (as DockerTest does: every path in a temporary folder,
# no network change) and stops them at the end. Needs root. A benchmark, not a test.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,6p' "$0"; echo "Usage: sudo [RUNS=10] benchmarks/engines-vs-runc.sh"; exit 0 ;; esac

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-10}
"$top/bin/install-packages" docker.io containerd python3 podman skopeo umoci
work=$(mktemp -d /tmp/jrunc-engines.XXXXXX)
parent=jrunc-bench-engines
made=()
for p in /etc/docker/key.json /run/docker /run/containerd; do [ -e "$p" ] || made+=("$p"); done
[ -d /sys/fs/cgroup/memory/libpod_parent ] && had_libpod=1
cleanup() {
  [ -n "${dockerd:-}" ] && { kill "$dockerd"; wait "$dockerd" || true; }
  [ -n "${containerd:-}" ] && { kill "$containerd"; wait "$containerd" || true; }
  for h in /sys/fs/cgroup/*; do
    [ -d "$h/$parent" ] && rmdir "$h/$parent"/* "$h/$parent" 2>/dev/null || true
    [ -n "${had_libpod:-}" ] || rmdir "$h/libpod_parent/conmon" "$h/libpod_parent" 2>/dev/null || true
  done
  rm -rf "$work" "${made[@]}"
}
trap cleanup EXIT

"$top/bin/build-rootfs" >/dev/null
"$top/bin/jrunc" --version >/dev/null   # builds the jar and its class-data archive once

c=$work/containerd
mkdir -p "$c"
cat >"$c/config.toml" <<TOML
version = 2
root = "$c/root"
state = "$c/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$c/containerd.sock"
[ttrpc]
  address = "$c/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$c/opt"
TOML
unshare --mount --propagation private containerd --config "$c/config.toml" >"$work/containerd.log" 2>&1 &
containerd=$!
until ctr --address "$c/containerd.sock" version >/dev/null 2>&1; do sleep 0.1; done
d=$work/docker
mkdir -p "$d"
echo '{}' >"$d/daemon.json"
unshare --mount --propagation private dockerd --add-runtime "jrunc=$top/bin/jrunc" \
  --config-file "$d/daemon.json" --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/dockerd.pid" \
  -H "unix://$d/docker.sock" --containerd "$c/containerd.sock" --exec-opt native.cgroupdriver=cgroupfs \
  --cgroup-parent "/$parent" --storage-driver vfs --bridge=none --iptables=false --ip6tables=false \
  --ip-forward=false --ip-masq=false --userland-proxy=false >"$work/dockerd.log" 2>&1 &
dockerd=$!
docker=(/usr/bin/docker --config "$work/client" -H "unix://$d/docker.sock")
until "${docker[@]}" version >/dev/null 2>&1; do sleep 0.1; done

# One image for all three engines: the busybox rootfs as an OCI layout, then a docker archive.
umoci init --layout "$work/oci" >/dev/null
umoci new --image "$work/oci:busybox" >/dev/null
umoci insert --image "$work/oci:busybox" "$top/rootfs" / >/dev/null
skopeo copy -q "oci:$work/oci:busybox" "docker-archive:$work/busybox.tar:jrunc-busybox:latest"
"${docker[@]}" load -i "$work/busybox.tar" >/dev/null
ctr=(ctr --address "$c/containerd.sock")
"${ctr[@]}" images import --snapshotter native --base-name docker.io/library/jrunc-busybox "$work/busybox.tar" >/dev/null
podman=(podman --root "$work/storage" --runroot "$work/run" --storage-driver vfs
  --cgroup-manager=cgroupfs --events-backend=file)
"${podman[@]}" load -q -i "$work/busybox.tar" >/dev/null

ctr_run() {  # RUNTIME-BINARY NAME
  echo "${ctr[*]} run --rm --runtime io.containerd.runc.v2 --runc-binary $1 --runc-root $work/$2-state" \
    "--snapshotter native --cgroup /$parent/$2 docker.io/library/jrunc-busybox:latest $2 true"
}
podman_run="run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 jrunc-busybox:latest true"
# Interleaved (runc, jrunc, runc, …) so that a change of load on the machine hits both alike.
python3 - "$runs" "$work/times.json" <<PY
import json, subprocess, sys, time
commands = {
    "docker+runc": "${docker[*]} run --rm --network none --runtime runc jrunc-busybox true",
    "docker+jrunc": "${docker[*]} run --rm --network none --runtime jrunc jrunc-busybox true",
    "ctr+runc": "$(ctr_run /usr/sbin/runc runc)",
    "ctr+jrunc": "$(ctr_run "$top/bin/jrunc" jrunc)",
    "podman+runc": "${podman[*]} --runtime /usr/sbin/runc $podman_run",
    "podman+jrunc": "${podman[*]} --runtime $top/bin/jrunc $podman_run",
}
times = {name: [] for name in commands}
for round in range(1 + int(sys.argv[1])):  # round 0 is the warm-up
    for name, command in commands.items():
        start = time.monotonic()
        subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL)
        if round: times[name].append(time.monotonic() - start)
json.dump(times, open(sys.argv[2], "w"))
PY
"${podman[@]}" rmi --all --force >/dev/null 2>&1 || true

python3 - "$work/times.json" <<'PY'
import json, statistics, sys
means = {name: statistics.mean(t) for name, t in json.load(open(sys.argv[1])).items()}
for engine in ("docker", "ctr", "podman"):
    runc, jrunc = means[engine + "+runc"], means[engine + "+jrunc"]
    print(f"{engine:7} runc {runc * 1000:7.0f} ms   jrunc {jrunc * 1000:7.0f} ms   {jrunc / runc:4.1f} x runc")
PY
