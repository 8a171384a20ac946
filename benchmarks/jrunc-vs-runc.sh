#!/usr/bin/env bash
# Start-up cost of jrunc against runc and crun: "run" of /bin/true on the same busybox
# bundle, in one hyperfine run; then podman with --runtime jrunc against runc. Prints ratios.
# Needs root. A benchmark, not a test: numbers depend on the machine and its load.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,4p' "$0"; echo "Usage: sudo [RUNS=10] benchmarks/jrunc-vs-runc.sh"; exit 0 ;; esac

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-10}
work=$(mktemp -d /tmp/jrunc-bench.XXXXXX)
cleanup() {
  for h in /sys/fs/cgroup/*/libpod_parent; do
    [ -n "${had_libpod:-}" ] || { rmdir "$h/conmon" "$h" 2>/dev/null || true; }
  done
  rm -rf "$work"
}
trap cleanup EXIT
[ -d /sys/fs/cgroup/memory/libpod_parent ] && had_libpod=1

source "$top/benchmarks/bundle.sh"
# One bundle for all three (runc, crun, jrunc).
bundle=$work/bundle
bench_bundle "$bundle" /bin/true

# crun refuses a hybrid host unless it cannot see cgroup2 controllers: in a private mount
# namespace, an empty file over cgroup.controllers hides them (see machine.md).
crun_run() {
  cat >"$work/crun-run" <<SH
#!/bin/sh
mount --bind "$work/empty" /sys/fs/cgroup/unified/cgroup.controllers
exec crun --root "$work/crun-state" run --bundle "$bundle" bench-crun
SH
  chmod +x "$work/crun-run"
  : >"$work/empty"
}
crun_run

hyperfine --warmup 2 --runs "$runs" --export-json "$work/run.json" \
  --command-name runc "runc --root $work/runc-state run --bundle $bundle bench-runc" \
  --command-name crun "unshare --mount --propagation private $work/crun-run" \
  --command-name jrunc "$top/bin/jrunc --root $work/jrunc-state run --bundle $bundle bench-jrunc"

# podman: the same image (an OCI archive of the busybox rootfs) under both runtimes.
umoci init --layout "$work/oci" >/dev/null
umoci new --image "$work/oci:busybox" >/dev/null
umoci insert --image "$work/oci:busybox" "$top/rootfs" / >/dev/null
(cd "$work/oci" && tar -cf "$work/busybox.tar" .)
podman=(podman --root "$work/storage" --runroot "$work/run" --storage-driver vfs
  --cgroup-manager=cgroupfs --events-backend=file)
"${podman[@]}" load -i "$work/busybox.tar" >/dev/null
flags="run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 localhost/busybox:latest true"
hyperfine --warmup 1 --runs "$runs" --export-json "$work/podman.json" \
  --command-name "podman+runc" "${podman[*]} --runtime /usr/sbin/runc $flags" \
  --command-name "podman+jrunc" "${podman[*]} --runtime $top/bin/jrunc $flags"
"${podman[@]}" rmi --all --force >/dev/null 2>&1 || true
rm -rf "$work/storage" "$work/run"

python3 - "$work/run.json" "$work/podman.json" <<'PY'
import json, sys
for path, base in ((sys.argv[1], "runc"), (sys.argv[2], "podman+runc")):
    results = {r["command"]: r["mean"] for r in json.load(open(path))["results"]}
    for name, mean in results.items():
        print(f"{name:14} {mean * 1000:8.1f} ms   {mean / results[base]:5.1f} x {base}")
PY
