# provreport — run `make` for the list of targets.
SHELL := /bin/bash
BIN   := bin/provreport
GO    ?= go

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

node_modules/.package-lock.json: package.json package-lock.json frontend/package.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: deps
deps: node_modules/.package-lock.json ## Install the frontend's npm packages.

.PHONY: frontend
frontend: deps ## Build the dashboard into frontend/dist (embedded by the Go build).
	npm run build

.PHONY: build
build: frontend ## Build the dashboard and the server binary (bin/provreport).
	$(GO) build -o $(BIN) ./cmd/provreport

.PHONY: run
run: build ## Build everything and serve the dashboard with demo data on SQLite.
	./$(BIN) serve --demo

.PHONY: test
test: build ## Run every test: Go (SQLite, and PostgreSQL when PROVREPORT_TEST_POSTGRES is set), Vitest, browser end-to-end.
	PROVREPORT_BIN=$(CURDIR)/$(BIN) $(GO) test ./... -count=1 -timeout 20m
	$(MAKE) --no-print-directory fuzz FUZZTIME=5s
	npm test
	$(GO) build -o bin/oidc-test-provider ./internal/oidctest/cmd
	PROVREPORT_BIN=$(CURDIR)/$(BIN) PROVREPORT_OIDC_TEST_PROVIDER=$(CURDIR)/bin/oidc-test-provider npm run e2e

.PHONY: test-go
test-go: ## Run the Go tests only.
	$(GO) test ./... -count=1 -timeout 20m

# Each fuzz target as package:Target; go test -fuzz takes one target of one package at a time.
FUZZ_TARGETS := ./internal/report:FuzzCursor ./internal/report:FuzzFilter ./graph:FuzzGlobalID \
	./internal/ingest:FuzzNDJSON ./internal/export:FuzzCSV ./internal/export:FuzzFileName ./internal/mail:FuzzHeaders
FUZZTIME ?= 60s
.PHONY: fuzz
fuzz: ## Fuzz every decoder and writer of untrusted input for FUZZTIME each (60s; make test runs 5s each).
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} ($${t%%:*}) for $(FUZZTIME)"; \
		$(GO) test $${t%%:*} -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME); \
	done

# The soak: real server processes under readers, subscribers and an agent for SOAKTIME per
# database (PostgreSQL when PROVREPORT_TEST_POSTGRES is set); figures in docs/RELIABILITY.md.
SOAKTIME ?= 60s
.PHONY: soak
soak: ## Load server processes for SOAKTIME (60s) on each database and print latencies, counts and memory.
	PROVREPORT_SOAK=$(SOAKTIME) $(GO) test ./internal/soak -run TestSoak -count=1 -v -timeout 30m

.PHONY: generate
generate: deps ## Regenerate ent, gqlgen, the frontend's GraphQL types and docs/schema.graphql.
	cd ent && $(GO) generate .
	npm run codegen
	$(GO) run ./cmd/provreport schema > docs/schema.graphql.tmp && mv docs/schema.graphql.tmp docs/schema.graphql

.PHONY: verify
verify: generate ## Fail when generated code differs from what is committed.
	@git diff --exit-code -- ent graph frontend/src/gql docs/schema.graphql gqlgen.yml go.mod go.sum || \
		(echo "generated code is out of date: run make generate and commit" >&2; exit 1)
	@test -z "$$(git status --porcelain -- ent graph frontend/src/gql)" || \
		(git status --porcelain -- ent graph frontend/src/gql; echo "untracked generated files" >&2; exit 1)

.PHONY: migration
migration: ## Write a new versioned migration for both databases: make migration NAME=add_x
	$(GO) run ./internal/store/migrations/generate.go $(NAME)

.PHONY: lint
lint: ## Vet the Go code, lint the frontend and lint the published schema (docs/schema.graphql).
	$(GO) vet ./...
	npm run lint
	npm run lint:schema

.PHONY: bench
bench: ## Run the benchmarks (see docs/BENCHMARKS.md).
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

# The documented benchmark run: PostgreSQL at PROVREPORT_BENCH_EVENTS events (kept and
# reused between runs), a 1,000,000-row export, and GOGC=400 (rare collections against a
# small live heap, as `provreport serve` collects); override any knob on the command line.
BENCH_EVENTS      ?= 1000000
BENCH_EXPORT_ROWS ?= 1000000
.PHONY: bench-report
bench-report: ## Benchmark the report at district scale (docs/BENCHMARKS.md): make bench-report BENCH_EVENTS=2000000
	PROVREPORT_TEST_POSTGRES=$${PROVREPORT_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable} \
	PROVREPORT_BENCH_DBS=$${PROVREPORT_BENCH_DBS:-postgres} \
	PROVREPORT_BENCH_EVENTS=$(BENCH_EVENTS) PROVREPORT_BENCH_EXPORT_ROWS=$(BENCH_EXPORT_ROWS) \
	PROVREPORT_BENCH_KEEP=$${PROVREPORT_BENCH_KEEP:-1} \
	GOGC=$${GOGC:-400} \
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./internal/bench | tee bench-report.txt
