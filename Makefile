# cordbank developer tasks. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

BUF := go tool -modfile=tools/go.mod buf
# npm tools (Redocly CLI), pinned by tools/npm/package-lock.json.
NPM_BIN := tools/npm/node_modules/.bin
OPENAPI_DIR := proto/cordbank/v1/openapi
BIN := bin/cordbank
# Benchmarks print figures for the README; BENCH narrows them (a regexp).
BENCH ?= .
BENCHTIME ?= 1x

.PHONY: help generate check-generated lint test bench build run proto-vendor npm-tools fuzz screenshot

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

proto-vendor: ## copy third-party .proto imports from pinned Go modules into third_party/ (git-ignored)
	./scripts/proto-vendor.sh

npm-tools: $(NPM_BIN)/redocly ## install the pinned npm tools (Redocly CLI) into tools/npm

$(NPM_BIN)/redocly: tools/npm/package.json tools/npm/package-lock.json
	cd tools/npm && npm ci --no-audit --no-fund --loglevel=error
	touch $@

generate: proto-vendor npm-tools ## lint the protos and regenerate Go, gateway and OpenAPI code (v2, v3, reference page)
	$(BUF) lint
	$(BUF) format -w proto
	rm -f proto/cordbank/v1/*.pb.go proto/cordbank/v1/*.pb.gw.go $(OPENAPI_DIR)/*.swagger.json $(OPENAPI_DIR)/*.openapi.json $(OPENAPI_DIR)/reference.html
	$(BUF) generate
	./scripts/openapi-finish.sh $(OPENAPI_DIR)

check-generated: proto-vendor npm-tools ## fail when the committed generated code differs from what the protos generate
	./scripts/check-generated.sh

lint: proto-vendor npm-tools ## go vet, gofmt, buf lint and format, Redocly lint of the OpenAPI documents, the API's AIP checks
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v -E '\.pb(\.gw)?\.go$$')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(BUF) lint
	$(BUF) format -d --exit-code proto
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(NPM_BIN)/redocly lint --config redocly.yaml --format=summary \
	  $(OPENAPI_DIR)/cordbank.swagger.json $(OPENAPI_DIR)/cordbank.openapi.json
	go test -count=1 ./$(OPENAPI_DIR)/

test: check-generated ## everything CI checks: generated code, vet, the SDK without cgo, every benchmark once at a small size, and all tests with -race
	go vet ./...
	CGO_ENABLED=0 go build ./client/...
	@# Benchmarks once, small (-short: internal/benchsize), so one broken by a
	@# schema or API change fails here rather than when its figure is next taken.
	out=$$(mktemp); go test -short -run '^$$' -bench . -benchtime 1x -timeout 20m ./... >$$out 2>&1 || { cat $$out; rm -f $$out; exit 1; }; grep -c '^Benchmark' $$out | sed 's/$$/ benchmarks ran once (small)/'; rm -f $$out
	go test -race -count=1 -timeout 30m ./...

bench: ## run the benchmarks whose figures the README quotes (BENCH=regexp to narrow)
	@# Micro-benchmarks (HLA reductions) need Go's own iteration count; the
	@# others run a fixed workload once and report their own metrics.
	go test -run '^$$' -bench '$(BENCH)' -benchmem ./bank/hla | tee bench.new.txt
	go test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -benchmem -timeout 60m $$(go list ./... | grep -v '/bank/hla$$') | tee -a bench.new.txt

fuzz: ## run each fuzz target for 30 s
	for t in $$(grep -rhoE '^func Fuzz[A-Za-z0-9]+' --include='*_test.go' . | sort -u | sed 's/func //'); do \
	  pkg=$$(grep -rlE "^func $$t\(" --include='*_test.go' . | head -1 | xargs dirname); \
	  go test -run '^$$' -fuzz "^$$t$$" -fuzztime 30s "$$pkg"; done

build: ## build bin/cordbank
	go build -o $(BIN) ./cmd/cordbank

run: build ## run the service on ./cordbank.db with a demo inventory
	./$(BIN) serve --demo

screenshot: ## regenerate the README's console screenshot (docs/console-freezer.png) with the browser tests
	CONSOLE_SCREENSHOTS=$(CURDIR)/docs go test -count=1 -run 'TestFreezerPlaceAndMove' ./internal/console/
