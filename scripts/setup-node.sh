#!/usr/bin/env bash
# Node dependencies, exactly as locked (npm ci), when missing or older than package-lock.json.
# A node_modules that is a symlink (a git worktree sharing another checkout's) is left alone: npm
# ci would empty the directory it points to.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -L node_modules ] && { [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  npm ci --no-audit --no-fund
fi
