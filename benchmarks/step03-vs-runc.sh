#!/usr/bin/env bash
# Times step03 against runc, both starting /bin/true in new namespaces on the same rootfs, in
# one hyperfine run, and prints how many times slower step03 is. A benchmark, not a test.
set -euo pipefail

usage() {
  cat <<USAGE
Usage: benchmarks/step03-vs-runc.sh [RUNS]

Builds step03's jar (./mvnw package), makes a runc bundle of the workshop rootfs in a temporary
folder (runc spec, terminal false), then times, with hyperfine, RUNS runs (default 20) of
  java -cp <step03 jar>:<jna jar> Run rootfs /bin/true     (two JVMs: the runtime and its init)
  runc run --bundle <bundle> <id>                          (the same rootfs, /bin/true)
and prints the ratio of the medians. step03 runs through java, not jbang (jbang adds ~2 s).
Needs root, hyperfine and runc. Leaves nothing behind: the bundle, runc's state and the
container's cgroups are removed at the end.
USAGE
}

case "${1:-}" in -h|--help) usage; exit 0 ;; -*) echo "step03-vs-runc: unknown option $1" >&2; usage >&2; exit 2 ;; esac
runs=${1:-20}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
[ "$(id -u)" -eq 0 ] || { echo "step03-vs-runc: needs root (namespaces, runc): run with sudo" >&2; exit 1; }
for tool in hyperfine runc jq; do
  command -v "$tool" >/dev/null || { echo "step03-vs-runc: $tool is missing: bin/install-packages $tool" >&2; exit 1; }
done

bin/build-rootfs >/dev/null
rootfs=$top/rootfs
echo "building step03's jar (./mvnw -q -pl step03-pivot-root -am package -DskipTests)"
./mvnw -q -pl step03-pivot-root -am package -DskipTests
# The runtime class path Maven resolved (JNA), written by each module of the reactor to its target/.
./mvnw -q -pl step03-pivot-root -am dependency:build-classpath \
  -Dmdep.includeScope=runtime -Dmdep.outputFile=target/runtime.classpath
jar=$(ls step03-pivot-root/target/step03-pivot-root-*.jar)
classpath=$top/$jar:$(cat step03-pivot-root/target/runtime.classpath)
java=${JAVA_HOME:+$JAVA_HOME/bin/}java

work=$(mktemp -d /tmp/step03-vs-runc.XXXXXX)
id=workshop-bench-$$
# runc would create a relative cgroupsPath under its own cgroup: give it an absolute one.
cgroup=/workshop-bench-runc-$$
cleanup() {
  runc --root "$work/state" delete --force "$id" >/dev/null 2>&1 || true
  for dir in /sys/fs/cgroup/*"$cgroup" /sys/fs/cgroup"$cgroup"; do
    [ -d "$dir" ] && rmdir "$dir"
  done
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/bundle"
(cd "$work/bundle" && runc spec)
jq --arg root "$rootfs" --arg cgroup "$cgroup" \
  '.process.terminal = false | .process.args = ["/bin/true"] | .root.path = $root
   | .linux.cgroupsPath = $cgroup' "$work/bundle/config.json" > "$work/config.json"
mv "$work/config.json" "$work/bundle/config.json"

step03="$java -XX:-MaxFDLimit --enable-native-access=ALL-UNNAMED -cp $classpath Run $rootfs /bin/true"
runc="runc --root $work/state run --bundle $work/bundle $id"
hyperfine --warmup 3 --runs "$runs" --export-json "$work/times.json" \
  --command-name step03 "$step03" --command-name runc "$runc"

# Medians: a busy machine adds outliers that move a mean far more than a median.
jq -r '(.results[0].median / .results[1].median) as $ratio
  | "median: step03 \(.results[0].median * 1000 | round) ms, runc \(.results[1].median * 1000 | round) ms:"
    + " step03 takes \($ratio * 10 | round / 10)x as long as runc"' "$work/times.json"
