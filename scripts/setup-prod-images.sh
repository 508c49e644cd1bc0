#!/usr/bin/env bash
# Stand-ins for the public images the example's prod environment runs (mongo:7, prefecthq/prefect:3,
# postgres:16), for the test cluster, which can reach no public registry: each built FROM the
# offline base local/python:bookworm from test/prod-images/<name>/ and pushed to the cluster's
# registry (scripts/setup-swarm.sh). A user's cluster pulls the real images; these only stand in.
#
#   mongo     FerretDB's binary (scripts/setup-mongodb.sh builds it), listening like mongod on 27017
#   prefect   Prefect from PyPI, the version the example's venv resolved (else requirements.txt's range)
#   postgres  Debian's postgresql behind an entrypoint like the official image's
#
# They, and the example's own images on the test cluster, start FROM a base made here: the offline
# image trusting the machine's CA bundle (an egress that inspects TLS would fail pip otherwise).
# Each image is tagged with a digest of what goes into it (its build context and build args), so a
# run finds what the registry already has and neither rebuilds nor re-pushes it.
# Usage: scripts/setup-prod-images.sh   (after setup-swarm.sh; reads PULPO_SWARM_*, else runs it)
# Prints, for `eval`, PULPO_BASE_IMAGE, PULPO_DB_IMAGE, PULPO_PREFECT_IMAGE and PULPO_PG_IMAGE;
# progress on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "setup-prod-images: $*" >&2; }

if [ -z "${PULPO_SWARM_MANAGER:-}" ] || [ -z "${PULPO_SWARM_REGISTRY:-}" ]; then
  eval "$(scripts/setup-swarm.sh)"
fi
eval "$(scripts/setup-mongodb.sh)"
[ -n "${PULPO_FERRETDB:-}" ] || { log "needs FerretDB's binary (scripts/setup-mongodb.sh found mongod instead)"; exit 1; }

registry=$PULPO_SWARM_REGISTRY
base=local/python:bookworm
ca_bundle=${PULPO_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
[ -f "$ca_bundle" ] || { log "no CA bundle at $ca_bundle (set PULPO_CA_BUNDLE)"; exit 1; }
# The manager's daemon builds (it has the base loaded and trusts the plain-HTTP registry).
manager() { docker -H "$PULPO_SWARM_MANAGER" "$@"; }

# The Prefect the example runs with: what its venv resolved, else what requirements.txt allows.
prefect=$(.venv/bin/python -c 'import importlib.metadata as m; print("prefect==" + m.version("prefect"))' 2>/dev/null \
  || grep -E '^prefect' examples/requirements.txt)

in_registry() {
  python3 - "http://$registry/v2/$1/manifests/$2" <<'PY' 2>/dev/null
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], method='HEAD', headers={'Accept': 'application/vnd.docker.distribution.manifest.v2+json'})
urllib.request.urlopen(req, timeout=5)
PY
}

# Builds test/prod-images/NAME (plus a file SRC copied in as NAME, given as SRC:NAME) with build
# args; prints the pushed reference.
standin() {
  local name=$1 extra=$2; shift 2
  local ctx repo tag args=(--build-arg "BASE=$base")
  for a in "$@"; do args+=(--build-arg "$a"); done
  ctx=$(mktemp -d)
  cp -a "test/prod-images/$name/." "$ctx/"
  [ -z "$extra" ] || cp "${extra%:*}" "$ctx/${extra##*:}"
  # The tag: the context's files (names and contents, in a fixed order) and the build args.
  tag=$( (cd "$ctx" && find . -type f | LC_ALL=C sort | xargs sha256sum; printf '%s\n' "${args[@]}") | sha256sum | cut -c1-16)
  repo=pulpo-standins/$name
  if in_registry "$repo" "$tag"; then
    log "$name: $registry/$repo:$tag is in the registry"
  else
    log "$name: building $registry/$repo:$tag"
    manager build -q -t "$registry/$repo:$tag" "${args[@]}" "$ctx" >&2
    manager push -q "$registry/$repo:$tag" >&2
  fi
  rm -rf "$ctx"
  echo "$registry/$repo:$tag"
}

base=$(standin base "$ca_bundle:ca-certificates.crt")
db=$(standin mongo "$PULPO_FERRETDB:ferretdb")
pf=$(standin prefect "" "PREFECT=$prefect")
pg=$(standin postgres "")
cat <<EOF
export PULPO_BASE_IMAGE=$base
export PULPO_DB_IMAGE=$db
export PULPO_PREFECT_IMAGE=$pf
export PULPO_PG_IMAGE=$pg
EOF
