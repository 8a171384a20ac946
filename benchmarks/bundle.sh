# Sourced by the benchmarks: one busybox bundle that runc, crun and jrunc all run.
# bench_bundle DIR PROGRAM [ARG...] builds the workshop rootfs and bin/jrunc's jar and archive
# (once), then writes DIR with runc's defaults, no terminal, PROGRAM as the process and an
# absolute cgroup (runc and crun would put a relative one under their caller's cgroup).
bench_bundle() {
  local bundle=$1
  shift
  "$top/bin/build-rootfs" >/dev/null
  "$top/bin/jrunc" --version >/dev/null
  mkdir -p "$bundle"
  cp -a "$top/rootfs" "$bundle/rootfs"
  runc spec --bundle "$bundle"
  python3 - "$bundle/config.json" "$@" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["process"]["terminal"] = False
config["process"]["args"] = sys.argv[2:]
config["linux"]["cgroupsPath"] = "/jrunc-bench"
json.dump(config, open(path, "w"), indent=1)
PY
}
