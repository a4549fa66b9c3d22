# cordbank developer tasks. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

BUF := go tool -modfile=tools/go.mod buf
BIN := bin/cordbank
# Benchmarks print figures for the README; BENCH narrows them (a regexp).
BENCH ?= .
BENCHTIME ?= 1x

.PHONY: help generate check-generated lint test bench build run proto-vendor fuzz screenshot

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

proto-vendor: ## copy third-party .proto imports from pinned Go modules into third_party/ (git-ignored)
	./scripts/proto-vendor.sh

generate: proto-vendor ## lint the protos and regenerate Go, gateway and OpenAPI code
	$(BUF) lint
	$(BUF) format -w proto
	rm -f proto/cordbank/v1/*.pb.go proto/cordbank/v1/*.pb.gw.go proto/cordbank/v1/openapi/*.swagger.json
	$(BUF) generate

check-generated: proto-vendor ## fail when the committed generated code differs from what the protos generate
	./scripts/check-generated.sh

lint: proto-vendor ## go vet, gofmt, buf lint and buf format
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v -E '\.pb(\.gw)?\.go$$')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(BUF) lint
	$(BUF) format -d --exit-code proto

test: check-generated ## everything CI checks: generated code, vet, the SDK without cgo, and all tests with -race
	go vet ./...
	CGO_ENABLED=0 go build ./client/...
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
