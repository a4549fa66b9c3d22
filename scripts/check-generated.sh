#!/usr/bin/env bash
# Regenerates the API code into a scratch directory and compares it with
# the committed files, so a proto change without `make generate` fails CI.
# It never touches the working tree.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
BUF="go tool -modfile=tools/go.mod buf"
$BUF lint
$BUF format -d --exit-code proto
$BUF generate -o "$tmp"
./scripts/openapi-finish.sh "$tmp/proto/cordbank/v1/openapi"
status=0
want=$(cd "$tmp" && find proto -type f \( -name '*.go' -o -name '*.json' -o -name '*.html' \) | sort)
have=$(find proto -type f \( -name '*.pb.go' -o -name '*.pb.gw.go' -o -name '*.swagger.json' -o -name '*.openapi.json' -o -name 'reference.html' \) | sort)
if [ "$want" != "$have" ]; then
  echo "generated files differ in name:"; diff <(echo "$have") <(echo "$want") || true
  status=1
fi
for f in $want; do
  if ! cmp -s "$tmp/$f" "$f"; then
    echo "stale generated file: $f (run 'make generate' and commit)"; diff -u "$f" "$tmp/$f" | head -20 || true
    status=1
  fi
done
[ $status -eq 0 ] && echo "generated code is up to date"
exit $status
