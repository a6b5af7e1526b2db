#!/bin/sh
# Builds the word-count test image from busybox-static, offline:
#   examples/docker/wordcount/build.sh [tag]      (default shoal-examples/wordcount:latest)
# Prints the spec reference to use: <name>@<image ID> (a local image has no registry digest; the
# Docker executor accepts its image ID as the digest).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
tag="${1:-shoal-examples/wordcount:latest}"
busybox="${BUSYBOX:-/bin/busybox}"
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/app"
cp "$busybox" "$ctx/rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$ctx/rootfs/bin/$applet"
done
cp "$here/wordcount.sh" "$ctx/rootfs/app/wordcount.sh"
cp "$here/Dockerfile" "$ctx/Dockerfile"
docker build -q -t "$tag" "$ctx" >/dev/null
id="$(docker image inspect --format '{{.Id}}' "$tag")"
echo "${tag%:*}@$id"
