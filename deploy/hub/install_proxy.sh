#!/usr/bin/env bash
# Install JupyterHub's proxy (configurable-http-proxy, a Node package) into build/node/,
# project-local and git-ignored, unless it is there already. Needs node and npm.
# Used by `make hub` and by .ci/run; the hub tests and benchmarks/class_load.py look
# for build/node/node_modules/.bin/configurable-http-proxy (then for one on PATH).
set -euo pipefail
cd "$(dirname "$0")/../.."
PREFIX=build/node
if [ -x "$PREFIX/node_modules/.bin/configurable-http-proxy" ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: install Node.js and npm (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi
mkdir -p "$PREFIX"
# configurable-http-proxy 5 runs on Node 20 (npm may warn that a dependency wants a newer Node).
npm install --prefix "$PREFIX" --no-audit --no-fund --loglevel=error configurable-http-proxy@5
"$PREFIX/node_modules/.bin/configurable-http-proxy" --version
