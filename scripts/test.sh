#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need, builds dist/pulpo, runs
# every test with node's test runner. Usage: scripts/test.sh [test files...]
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-artifacts

scripts/setup-node.sh

# What keeps the code honest before anything runs: the types, and no import cycle in src/.
npx tsc --noEmit
node scripts/check-cycles.mjs

# The slow preparations run side by side: the Python venv with Prefect and the example's
# dependencies; a MongoDB-wire server; PostgreSQL's server binaries; kubeconform with the Kubernetes API's schemas; a Docker
# engine with Compose v1 and v2 and a local base image, then (it needs the engine's packages and
# that image) a three-node Docker Swarm with a registry; then the prod example's stand-in images.
scripts/setup-python.sh > test-artifacts/setup-python.log 2>&1 & py=$!
scripts/setup-mongodb.sh > test-artifacts/setup-mongodb.env 2> test-artifacts/setup-mongodb.log & mongo=$!
scripts/setup-postgres.sh > test-artifacts/setup-postgres.log 2>&1 & pg=$!
scripts/setup-kubernetes.sh > test-artifacts/setup-kubernetes.env 2> test-artifacts/setup-kubernetes.log & k8s=$!
( scripts/setup-docker.sh > test-artifacts/setup-docker.log 2>&1 || exit 1
  scripts/setup-swarm.sh > test-artifacts/setup-swarm.env 2> test-artifacts/setup-swarm.log || exit 2 ) & dock=$!
npm run build
failed() { echo "setup of $1 failed:" >&2; cat "test-artifacts/setup-$1.log" >&2; exit 1; }
wait "$py" || failed python
wait "$mongo" || failed mongodb
wait "$pg" || failed postgres
wait "$k8s" || failed kubernetes
wait "$dock" || { [ $? -eq 2 ] && failed swarm || failed docker; }
eval "$(cat test-artifacts/setup-mongodb.env)"
eval "$(cat test-artifacts/setup-kubernetes.env)"
eval "$(cat test-artifacts/setup-swarm.env)"
if [ $# -gt 0 ]; then files=("$@"); else files=(test/*/*.test.ts); fi
if printf '%s\n' "${files[@]}" | grep -qx 'test/e2e/prod.test.ts'; then
  # Stand-ins for the public images of the example's prod environment (test/e2e/prod.test.ts), in
  # the cluster's registry. After the other setups: it needs the cluster, FerretDB's binary and the
  # venv's Prefect version. Tagged by content, so a warm run only checks the registry.
  scripts/setup-prod-images.sh > test-artifacts/setup-prod-images.env 2> test-artifacts/setup-prod-images.log || failed prod-images
  eval "$(cat test-artifacts/setup-prod-images.env)"
fi
cat test-artifacts/setup-*.log >&2
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 "${files[@]}"
