#!/usr/bin/env bash
# A Docker engine for docker mode and its tests, on a machine with no image registry:
# installs Debian's docker.io, docker-compose (v1) and debootstrap when missing, starts dockerd when
# it does not answer, and builds (once) the local base image local/python:bookworm — Debian with
# python3 and the venv module, made offline with debootstrap from the machine's own apt mirror.
set -euo pipefail
log() { echo "setup-docker: $*" >&2; }

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker-compose >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  log "installing docker.io, docker-compose, debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose debootstrap >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  (dockerd >/var/log/pulpo-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { log "dockerd did not answer; see /var/log/pulpo-dockerd.log"; exit 1; }
fi

# Compose v2 (the `docker compose` plugin most users have) is not in Debian 12: build it once from
# the Go module proxy, so both v1 and v2 are exercised. PULPO_SKIP_COMPOSE_V2=1 skips it.
compose_version=v2.29.7
plugin="$HOME/.docker/cli-plugins/docker-compose"
if [ -z "${PULPO_SKIP_COMPOSE_V2:-}" ] && ! docker compose version >/dev/null 2>&1; then
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/pulpo/compose-$compose_version"
  if [ ! -x "$cache/docker-compose" ]; then
    log "building Docker Compose $compose_version (once, several minutes)"
    mkdir -p "$cache"
    GOBIN="$cache" go install -ldflags "-X github.com/docker/compose/v2/internal.Version=$compose_version" \
      "github.com/docker/compose/v2/cmd@$compose_version" >&2
    mv "$cache/cmd" "$cache/docker-compose"
  fi
  mkdir -p "$(dirname "$plugin")"
  ln -sf "$cache/docker-compose" "$plugin"
fi

image=local/python:bookworm
if ! docker image inspect "$image" >/dev/null 2>&1; then
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
  [ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  [ -n "$mirror" ] || { log "no apt mirror found for debootstrap"; exit 1; }
  rootfs=$(mktemp -d)
  log "building $image with debootstrap (about a minute)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$rootfs" "$mirror" >/dev/null
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - "$image" >/dev/null
  rm -rf "$rootfs"
fi
log "docker ready: engine $(docker version --format '{{.Server.Version}}'), compose $(docker compose version --short 2>/dev/null || echo 'v2 absent'), $(docker-compose version --short), image $image"
