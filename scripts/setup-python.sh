#!/usr/bin/env bash
# Creates .venv with Prefect 3 and the example's dependencies (examples/requirements.txt), once.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.pulpo-requirements
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && cmp -s examples/requirements.txt "$stamp"; then exit 0; fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r examples/requirements.txt
cp examples/requirements.txt "$stamp"
echo "python venv ready: $(.venv/bin/python -c 'import prefect; print("prefect", prefect.__version__)')" >&2
