#!/usr/bin/env bash
# Audit log at scale: seeds N entries (default 1,000,000) in a scratch PostgreSQL database, then
# times the product's own chaining (AuditChain.ChainPendingAsync) and verification (VerifyAsync,
# what GET /api/audit/verify runs). Starts the local PostgreSQL like ./test.sh does.
#   bench/audit/run.sh [entries]
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local-infra.sh start >/dev/null
eval "$(deploy/local-infra.sh env)"
dotnet run -c Release --project bench/audit/AuditBench -- "${1:-1000000}"
