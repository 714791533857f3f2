# pme: make help lists the targets.
.DEFAULT_GOAL := help
GO ?= go
BIN := bin/pme

.PHONY: help build demo test test-short lint bench fuzz tidy

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-11s %s\n", $$1, $$2}'

build: ## build bin/pme
	$(GO) build -o $(BIN) ./cmd/pme

demo: build ## a fresh data folder with synthetic data, run end to end: the first thing to try
	./$(BIN) demo

test: ## vet, format check and every test (store tests on PostgreSQL too when PME_TEST_DATABASE_URL is set)
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) test -count=1 ./...

test-short: ## the tests without the slow end-to-end and crash tests
	$(GO) test -short ./...

lint: ## go vet and gofmt
	$(GO) vet ./...
	gofmt -l .

bench: build ## national-scale benchmark against psql \copy, sqlite3 .import and pandas (see README)
	./scripts/bench.sh

fuzz: ## fuzz the readers for a minute each
	$(GO) test ./ingest -run XXX -fuzz FuzzReadCSV -fuzztime 60s
	$(GO) test ./ingest -run XXX -fuzz FuzzReadXLSX -fuzztime 60s
