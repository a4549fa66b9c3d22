#!/usr/bin/env bash
# Finishes the OpenAPI documents that buf generated into DIR: adds the error
# responses and converts to OpenAPI 3 (tools/openapi), then builds the
# offline reference page from the OpenAPI 3 document with Redocly (the
# Redoc scripts inlined: the page loads nothing from elsewhere).
# Used by `make generate` and scripts/check-generated.sh alike.
set -euo pipefail
dir=$(realpath "$1")
cd "$(dirname "$0")/.."
(cd tools && go run ./openapi "$dir")
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
if ! out=$(tools/npm/node_modules/.bin/redocly build-docs "$dir/cordbank.openapi.json" --inlineBundle \
  --title "cordbank API reference" --lint-config off -o "$dir/reference.html" 2>&1); then
  echo "$out" >&2
  exit 1
fi
