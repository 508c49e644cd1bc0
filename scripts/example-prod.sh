#!/usr/bin/env bash
# The example in production (scripts/example.sh --prod): pulpo.example.yaml's prod environment on
# a three-node Docker Swarm made on this machine, from a fresh clone. Needs root (the cluster).
#   1. the cluster and its registry (scripts/setup-docker.sh, scripts/setup-swarm.sh)
#   2. stand-ins for the public images (no public registry needs to be reachable:
#      scripts/setup-prod-images.sh), and the variables that point the environment at them
#   3. pulpo compile, build --push, up, status -e prod
#   4. the scraping flow run by the cluster's runner through the prod Prefect server
#   5. the URLs to open (node addresses)
# The stack keeps running; stop it with: dist/pulpo down -c pulpo.example.yaml -e prod (with the
# variables this prints), or remove the whole cluster with scripts/setup-swarm.sh --down.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-artifacts

scripts/setup-node.sh
npm run build
# The venv runs `pulpo prefect run` on this machine (it starts the deployment's run and waits).
scripts/setup-python.sh
scripts/setup-docker.sh >&2
eval "$(scripts/setup-swarm.sh)"
eval "$(scripts/setup-prod-images.sh)"

# The environment's variables for this cluster (the README's "The example in production").
export PULPO_PROD_DOCKER_HOST=$PULPO_SWARM_MANAGER PULPO_REGISTRY=$PULPO_SWARM_REGISTRY
# This machine's kernel has no IPVS: names resolve to tasks, ports are published per node.
export PULPO_ENDPOINT_MODE=dnsrr PULPO_PUBLISH_MODE=host
# The prod database's password: made once, kept in .env (not in git; pulpo reads it).
if ! grep -qs '^PG_PASSWORD=' .env; then
  echo "PG_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')" >> .env
fi

pulpo() { dist/pulpo "$@" -c pulpo.example.yaml -e prod; }
pulpo validate
pulpo compile
pulpo build --push
pulpo up
pulpo status
pulpo prefect run scraping_flow --param keywords=python --deployment

# Where to look: the nodes that run the UI, the API and Prefect (host-mode ports).
node_of() { docker -H "$PULPO_SWARM_MANAGER" service ps "jobs_$1" --filter desired-state=running --format '{{.Node}}' | head -n1; }
addr_of() { docker -H "$PULPO_SWARM_MANAGER" node inspect "$(node_of "$1")" --format '{{.Status.Addr}}'; }
cat <<MSG

The example runs in production on the cluster:
  UI       http://$(addr_of ui):3000        (the jobs the flow stored)
  API      http://$(addr_of api):8000/jobs   (2 replicas: each node that runs one answers)
  Prefect  http://$(addr_of prefect):4200        (the flow runs)
Stop it with:
  PULPO_PROD_DOCKER_HOST=$PULPO_PROD_DOCKER_HOST PULPO_REGISTRY=$PULPO_REGISTRY PULPO_ENDPOINT_MODE=dnsrr PULPO_PUBLISH_MODE=host \\
    dist/pulpo down -c pulpo.example.yaml -e prod
MSG
