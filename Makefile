# Cunjie (村洁). `make run` serves the demo town; `make test` runs every test.
GO      ?= go
BIN     := bin/cunjie
DATA    ?= ./data
FUZZTIME ?= 5s

.PHONY: all build run test test-go fuzz bench vet clean

all: build

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/cunjie

# Serve on :8080 with the embedded store in $(DATA); the demo town is loaded
# on first start. The URL and the admin login are printed.
run: build
	CUNJIE_DATA_DIR=$(DATA) ./$(BIN) serve --demo

test: vet test-go fuzz

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

test-go:
	$(GO) test -count=1 -timeout 15m ./...

# Each fuzz target runs briefly on top of its seed corpus.
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParseVillages$$' -fuzztime=$(FUZZTIME) ./geo

bench:
	$(GO) test -run='^$$' -bench=. -benchtime=1x -timeout 30m ./...

clean:
	rm -rf bin
