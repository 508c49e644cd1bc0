#!/usr/bin/env bash
# pulpo's main job on the example project, from a fresh clone: build pulpo, prepare what the
# example's local mode needs (a Python venv with Prefect, a MongoDB-wire server, PostgreSQL's
# server binaries), bring the stack
# up, show it, and run the scraping flow. The stack keeps running; stop it with
#   dist/pulpo down -c pulpo.example.yaml
#
# scripts/example.sh --prod does the same in production: the prod environment on a three-node Docker
# Swarm made on this machine (scripts/setup-swarm.sh, root), see scripts/example-prod.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --prod ]; then exec scripts/example-prod.sh; fi

scripts/setup-node.sh
npm run build
scripts/setup-python.sh
eval "$(scripts/setup-mongodb.sh)"
scripts/setup-postgres.sh

pulpo() { dist/pulpo "$@" -c pulpo.example.yaml; }
pulpo validate
pulpo up
pulpo status
pulpo prefect run scraping_flow --param keywords=python

# Where to look, from the resolved config (ports as pulpo.yaml says).
dist/pulpo config --json -c pulpo.example.yaml | node -e '
  const p = JSON.parse(require("fs").readFileSync(0, "utf8")).services
  console.log(`
The example stack is up:
  UI       http://127.0.0.1:${p.ui.port}        (the jobs the flow stored)
  API      http://127.0.0.1:${p.api.port}/jobs
  Prefect  http://127.0.0.1:${p.prefect.port}        (the flow runs)
Stop it with: dist/pulpo down -c pulpo.example.yaml`)'
