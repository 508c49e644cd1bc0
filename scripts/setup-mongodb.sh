#!/usr/bin/env bash
# Makes a MongoDB-wire server available to pulpo's kind: mongodb. Uses mongod when on PATH; else
# builds FerretDB (once, cached under ~/.cache/pulpo) from the Go module proxy.
# Prints `export PULPO_FERRETDB=...` for eval; progress goes to stderr.
set -euo pipefail
if command -v mongod >/dev/null 2>&1; then exit 0; fi
version=v1.24.2
cache="${XDG_CACHE_HOME:-$HOME/.cache}/pulpo/ferretdb-$version"
bin="$cache/ferretdb"
if [ ! -x "$bin" ]; then
  command -v go >/dev/null 2>&1 || { echo "setup-mongodb: neither mongod nor go is installed" >&2; exit 1; }
  echo "building FerretDB $version (once)..." >&2
  export GOFLAGS=-mod=mod
  go mod download github.com/FerretDB/FerretDB@$version >&2
  src="$(go env GOMODCACHE)/github.com/!ferret!d!b/!ferret!d!b@$version"
  work="$(mktemp -d)"
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  # The module as published lacks the version file its build embeds; FerretDB panics without it.
  echo "$version" > "$work/build/version/version.txt"
  mkdir -p "$cache"
  (cd "$work" && go build -o "$bin" ./cmd/ferretdb) >&2
  rm -rf "$work"
fi
echo "export PULPO_FERRETDB=$bin"
