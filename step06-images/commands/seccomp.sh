#!/usr/bin/env bash
# The seccomp "Try it" of RUNTIME.adoc and the slides: each tagged region is included there as
# written, and RuntimeCommandsTest runs this file (with /tmp/ moved to a temp folder).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# tag::try[]
mkdir -p /tmp/sec && cp -a rootfs /tmp/sec/rootfs
bin/jrunc spec --bundle /tmp/sec
jq '.process.terminal = false
  | .process.args = ["sh", "-c", "grep ^Seccomp: /proc/self/status; mkdir /dev/shm/d && echo made /dev/shm/d"]
  | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}' \
  /tmp/sec/config.json > /tmp/sec/seccomp.json && mv /tmp/sec/seccomp.json /tmp/sec/config.json
bin/jrunc run --bundle /tmp/sec sec || echo "exit status $?"
# end::try[]
# tag::kill[]
jq '.linux.seccomp.syscalls[0].action = "SCMP_ACT_KILL_PROCESS"' /tmp/sec/config.json > /tmp/sec/kill.json
mv /tmp/sec/kill.json /tmp/sec/config.json
bin/jrunc run --bundle /tmp/sec sec || echo "exit status $?"
# end::kill[]
