# keyward — developer entry points. The README names two of them:
#   make demo    the main job on the embedded default (a local SQLite file)
#   make check   installs what the tests need (Debian) and runs every test
SHELL := /bin/bash
GO ?= go
BIN ?= bin/keyward
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
LDFLAGS := -s -w -X github.com/keyward/keyward/internal/commands.version=$(VERSION) -X github.com/keyward/keyward/internal/commands.commit=$(COMMIT)
# CI's short runs count executions instead of timing them: Go 1.26's fuzzing
# engine can fail a run with "context deadline exceeded" when a -fuzztime
# duration runs out on a loaded machine (golang/go#75804, fixed in 1.27),
# which failed 1 `make check` in 6. A count never hits that path.
FUZZTIME ?= 20000x
# package:target pairs
FUZZ_TARGETS := keys:FuzzParseSecret keys:FuzzContainsSecret keys:FuzzParseDuration keys:FuzzParseResource keys:FuzzParseTime keys:FuzzParseRole keys:FuzzNames server:FuzzNoServerErrors

.PHONY: build demo check deps test vet fmt-check smoke fuzz fuzz-long bench bench-short bench-http completions clean pg-start pg-stop

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

# The main job: create a first key in the default database
# ($$XDG_DATA_HOME/keyward/keyward.db) and verify its secret.
demo: build
	@./scripts/demo.sh $(BIN)

# Everything CI runs, from a fresh Debian machine.
check: deps test

deps:
	@./scripts/install-test-deps.sh

# PostgreSQL: KEYWARD_TEST_POSTGRES if set, else a throwaway cluster on
# loopback for the run (scripts/postgres-test-server.sh); its tests skip
# without one, except under CI=true.
test: vet fmt-check build
	@if [ -n "$$KEYWARD_TEST_POSTGRES" ]; then url=$$KEYWARD_TEST_POSTGRES; \
	elif url=$$(./scripts/postgres-test-server.sh start); then \
		trap './scripts/postgres-test-server.sh stop --clean' EXIT; \
	elif [ "$$CI" = true ]; then exit 1; \
	else url=; echo "test: no PostgreSQL server: its tests are skipped" >&2; fi; \
	echo "$(GO) test -count=1 -race ./..."; \
	KEYWARD_TEST_POSTGRES=$$url $(GO) test -count=1 -race ./...
	$(MAKE) --no-print-directory smoke fuzz bench-short
	./scripts/bench-http.sh $(BIN) 1

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

smoke: build
	@if [ -e ../shared/contract/smoke.sh ]; then ../shared/contract/smoke.sh $(BIN); \
	elif [ "$$CI" = true ]; then echo "smoke: ../shared/contract/smoke.sh is missing"; exit 1; \
	else echo "smoke: ../shared/contract/smoke.sh not found; skipped"; fi

# Short fuzz runs for CI (a count); `make fuzz-long` runs each target 10 minutes.
fuzz:
	@for pt in $(FUZZ_TARGETS); do \
		$(GO) test ./internal/$${pt%%:*} -run '^$$' -fuzz "^$${pt#*:}$$" -fuzztime $(FUZZTIME) || exit 1; \
	done

fuzz-long:
	$(MAKE) fuzz FUZZTIME=10m

bench-short:
	$(GO) test ./internal/store -run '^$$' -bench . -benchtime 1x

# Verification under load (wrk against keyward serve on loopback), as
# ratios to a bare net/http handler (bench/http/floor) measured
# alternately in the same run: 5 s a run, 3 rounds.
bench-http: build
	./bench/http.sh $(BIN) 5 3

bench:
	$(GO) test ./internal/store ./internal/keys -run '^$$' -bench . -benchmem -count 5

completions:
	$(GO) run ./cmd/gendocs

clean:
	rm -rf bin

pg-start:
	@./scripts/postgres-test-server.sh start

pg-stop:
	@./scripts/postgres-test-server.sh stop --clean
