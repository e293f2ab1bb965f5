# Cunjie (村洁). `make run` serves the demo town; `make test` runs every test.
GO       ?= go
BIN      := bin/cunjie
DATA     ?= ./data
# Fuzzing budgets are counts of runs, not durations: with a duration, Go
# 1.26's fuzz coordinator can fail a target with "context deadline exceeded"
# as the time runs out on a busy machine (go.dev/issue/75804, fixed in 1.27).
# Each is about 5 s here; the API targets run a handler per input.
FUZZ_GEO ?= 100000x
FUZZ_API ?= 5000x
NPM      ?= npm

.PHONY: all build pwa run test vet test-go fuzz e2e bench bench-go bench-web soak clean

all: build

# The web app is built by esbuild into pwa/build, which the binary embeds.
pwa: pwa/node_modules/.package-lock.json
	cd pwa && node build.mjs

pwa/node_modules/.package-lock.json: pwa/package-lock.json
	cd pwa && $(NPM) ci --no-audit --no-fund

e2e/node_modules/.package-lock.json: e2e/package-lock.json
	cd e2e && $(NPM) ci --no-audit --no-fund

build: pwa
	$(GO) build -trimpath -o $(BIN) ./cmd/cunjie

# Serve on :8080 with the embedded store in $(DATA); the demo town is loaded
# on first start. The URL and the admin login are printed.
run: build
	CUNJIE_DATA_DIR=$(DATA) ./$(BIN) serve --demo

test: vet test-go fuzz e2e

vet: pwa
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path '*/node_modules/*'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

test-go: pwa
	$(GO) test -count=1 -timeout 20m ./...

# Each fuzz target runs briefly on top of its seed corpus.
fuzz: pwa
	$(GO) test -run='^$$' -fuzz='^FuzzParseVillages$$' -fuzztime=$(FUZZ_GEO) ./geo
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeBoundary$$' -fuzztime=$(FUZZ_GEO) ./geo
	$(GO) test -run='^$$' -fuzz='^FuzzFeatureWrite$$' -fuzztime=$(FUZZ_API) ./api
	$(GO) test -run='^$$' -fuzz='^FuzzSyncRequest$$' -fuzztime=$(FUZZ_API) ./api

# Browser tests: playwright-core driving Debian's Chromium against a real
# server process (built by the tests).
e2e: build e2e/node_modules/.package-lock.json
	cd e2e && node --test --test-concurrency=1

bench: bench-go bench-web

# Ingest through /sync, and the map reads with 100,000 features.
bench-go: pwa
	$(GO) test -run='^$$' -bench=. -benchtime=1x -timeout 30m ./...

# First load and offline reload on an emulated cheap phone.
bench-web: build e2e/node_modules/.package-lock.json
	cd e2e && node measure.mjs && node measure-workbench.mjs

# 200 simulated phones sync against the real server (embedded store, demo
# town) at a fixed arrival rate, 40 batches/s (~220 ops/s), with map and
# coverage reads beside them; prints latency, errors and memory and fails
# when a target is missed. SOAK_DURATION=30s make soak for a quick check.
SOAK_DURATION ?= 5m
SOAK_RATE ?= 40
soak: build
	$(GO) build -o bin/soak ./cmd/soak
	./bin/soak -bin $(BIN) -duration $(SOAK_DURATION) -rate $(SOAK_RATE)

clean:
	rm -rf bin pwa/build
