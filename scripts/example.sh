#!/usr/bin/env bash
# pulpo's main job on the example project, from a fresh clone: build pulpo, prepare what the
# example's local mode needs (a Python venv with Prefect, a MongoDB-wire server), bring the stack
# up, show it, and run the scraping flow. The stack keeps running; stop it with
#   dist/pulpo down -c pulpo.example.yaml
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build
scripts/setup-python.sh
eval "$(scripts/setup-mongodb.sh)"

pulpo() { dist/pulpo "$@" -c pulpo.example.yaml; }
pulpo validate
pulpo up
pulpo status
pulpo prefect run scraping_flow --param keywords=python

cat <<TXT

The example stack is up:
  UI       http://127.0.0.1:3000        (the jobs the flow stored)
  API      http://127.0.0.1:8000/jobs
  Prefect  http://127.0.0.1:4200        (the flow runs)
Stop it with: dist/pulpo down -c pulpo.example.yaml
TXT
