#!/usr/bin/env bash
# The fault suite at soak size (docs/reliability.md): 100,000-delivery fan-outs through broker
# restarts and worker kills, 5,000 scheduled jobs through a Hangfire kill, and the rest.
#
#   tests/CommsHub.FaultTests/soak.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Broker]
#
# Starts the shared PostgreSQL and RabbitMQ like ./test.sh (the suite starts its own second pair
# itself), builds in Release, runs tests/CommsHub.FaultTests with COMMSHUB_FAULT_SIZE=soak and prints
# each row's figures. Logs of every CommsHub process: TestResults/faults/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 UseSharedCompilation=false
deploy/local-infra.sh start
eval "$(deploy/local-infra.sh env)"
dotnet build CommsHub.sln -c Release -nodeReuse:false
COMMSHUB_FAULT_SIZE=soak dotnet test tests/CommsHub.FaultTests -c Release --no-build \
    --logger "console;verbosity=detailed" --results-directory TestResults/soak --logger "trx;LogFileName=soak.trx" "$@"
