#!/usr/bin/env bash
# Starts a Docker engine for the Docker executor's tests, as ../../shared/TOOLCHAIN.md shows.
# Installs nothing (CI installs docker.io and busybox-static with apt first). Idempotent: if
# the socket already answers, it does nothing. Needs root (dockerd does).
#
#   scripts/ci/start-docker.sh            # start if needed, wait up to 60 s
#   DOCKER_WAIT_SEC=120 scripts/ci/start-docker.sh
set -euo pipefail

SOCK="${DOCKER_SOCK:-/var/run/docker.sock}"
LOG="${DOCKERD_LOG:-/tmp/dockerd.log}"
WAIT_SEC="${DOCKER_WAIT_SEC:-60}"

answers() {
  # The engine answers /_ping with "OK" (curl if present, else the docker CLI of docker.io).
  [ -S "$SOCK" ] || return 1
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1
  else
    timeout 5 docker -H "unix://$SOCK" version >/dev/null 2>&1
  fi
}

if answers; then
  echo "start-docker: engine already answering on $SOCK"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "start-docker: dockerd not found (apt-get install -y docker.io busybox-static)" >&2
  exit 1
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  # A stale pid file from a killed daemon would stop the new one.
  rm -f /var/run/docker.pid
  echo "start-docker: starting dockerd (log: $LOG)"
  # No iptables and no default bridge: jobs run with --network none, and the machine may not
  # allow iptables. setsid + nohup: the daemon outlives this script.
  setsid nohup dockerd --iptables=false --bridge=none >"$LOG" 2>&1 </dev/null &
else
  echo "start-docker: dockerd already running, waiting for $SOCK"
fi

for _ in $(seq 1 $((WAIT_SEC * 2))); do
  if answers; then
    echo "start-docker: engine answering on $SOCK"
    exit 0
  fi
  sleep 0.5
done

echo "start-docker: no answer on $SOCK after ${WAIT_SEC}s; last lines of $LOG:" >&2
tail -n 30 "$LOG" >&2 || true
exit 1
