#!/usr/bin/env bash
# Console pages at scale: seeds S subscribers and 10×S deliveries (default 1,000,000 and
# 10,000,000) in a scratch PostgreSQL database, starts CommsHub.Api on it and reports each
# console page's time p50/p95 over loopback. Uses the local PostgreSQL like ./test.sh does.
#   bench/console/run.sh [subscribers] [requests-per-page]
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local-infra.sh start >/dev/null
eval "$(deploy/local-infra.sh env)"
dotnet build -c Release src/CommsHub.Api -nodeReuse:false >/dev/null
dotnet run -c Release --project bench/console/ConsoleBench -- "${1:-1000000}" "${2:-200}"
