#!/usr/bin/env bash
# jrunc under Docker and containerd, as RUNTIME.adoc shows it: each tagged region is included
# there as written. DockerTest runs this file against its own dockerd and containerd (DOCKER_HOST
# and CONTAINERD_ADDRESS point at them; the image jrunc-busybox is loaded in both).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# tag::docker[]
docker run --rm --runtime jrunc --network none jrunc-busybox \
  sh -c 'echo hello from $(cat /proc/1/comm) under docker'
# end::docker[]
# tag::ctr[]
ctr run --rm --runtime io.containerd.runc.v2 --runc-binary "$PWD/bin/jrunc" \
  --snapshotter native --cgroup /jrunc-hello docker.io/library/jrunc-busybox:latest hello \
  sh -c 'echo hello from $(cat /proc/1/comm) under containerd'
# end::ctr[]
