#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need, builds dist/pulpo, runs
# every test with node's test runner. Usage: scripts/test.sh [test files...]
set -euo pipefail
cd "$(dirname "$0")/.."

# Node dependencies, exactly as locked.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# Python venv with Prefect and the example's dependencies, and a MongoDB-wire server.
scripts/setup-python.sh
eval "$(scripts/setup-mongodb.sh)"

npm run build
mkdir -p test-artifacts
if [ $# -gt 0 ]; then files=("$@"); else files=(test/*/*.test.ts); fi
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 "${files[@]}"
