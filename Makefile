# keyward — developer entry points. The README names two of them:
#   make demo    the main job on the embedded default (a local SQLite file)
#   make check   installs what the tests need (Debian) and runs every test
SHELL := /bin/bash
GO ?= go
BIN ?= bin/keyward
# A commit tagged vX.Y.Z builds as X.Y.Z (as gh prints its version);
# any other as 0.0.0-dev+<commit> (.dirty with uncommitted changes).
COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
TAG := $(shell git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null)
DIRTY := $(shell git diff --quiet HEAD -- 2>/dev/null || echo .dirty)
VERSION ?= $(if $(TAG),$(patsubst v%,%,$(TAG)),0.0.0-dev+$(COMMIT)$(DIRTY))
LDFLAGS := -s -w -X github.com/keyward/keyward/internal/commands.version=$(VERSION) -X github.com/keyward/keyward/internal/commands.commit=$(COMMIT)
# Linux release binaries are static, so that they run on any Linux (musl,
# old glibc, a bare container): user and DNS lookups in Go rather than
# glibc's NSS (osusergo, netgo), and no dlopen (go-sqlite3's notes:
# sqlite_omit_load_extension), which a static glibc cannot do anyway.
STATIC_TAGS := osusergo,netgo,sqlite_omit_load_extension
STATIC_LDFLAGS := $(LDFLAGS) -linkmode external -extldflags '-static'
PREFIX ?= /usr/local
DESTDIR ?=
GORELEASER_VERSION := v2.15.0
GORELEASER := $(shell $(GO) env GOPATH)/bin/goreleaser
# CI's short runs count executions instead of timing them: Go 1.26's fuzzing
# engine can fail a run with "context deadline exceeded" when a -fuzztime
# duration runs out on a loaded machine (golang/go#75804, fixed in 1.27),
# which failed 1 `make check` in 6. A count never hits that path.
FUZZTIME ?= 20000x
# package:target pairs
FUZZ_TARGETS := keys:FuzzParseSecret keys:FuzzContainsSecret keys:FuzzFastSecretChecksAgree keys:FuzzParseDuration keys:FuzzParseResource keys:FuzzParseTime keys:FuzzParseRole keys:FuzzNames server:FuzzNoServerErrors

.PHONY: build build-static install release-snapshot release-check docs man demo check deps api-tools test vet fmt-check smoke fuzz fuzz-long bench bench-short bench-http completions clean pg-start pg-stop

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

# What the release's Linux archives hold (needs a C compiler and glibc's
# static libraries: Debian's libc6-dev).
build-static:
	CGO_ENABLED=1 $(GO) build -trimpath -tags '$(STATIC_TAGS)' -ldflags "$(STATIC_LDFLAGS)" -o $(BIN) .

# The binary, man pages and completions under $(DESTDIR)$(PREFIX), where
# man and each shell look for them.
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/keyward
	install -m 0644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 completions/keyward.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/keyward
	install -m 0644 completions/_keyward $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_keyward
	install -m 0644 completions/keyward.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/keyward.fish

# Completions, man pages (man/) and the Markdown reference (docs/), all
# checked in and kept current by cmd/gendocs's tests.
docs man: completions

$(GORELEASER):
	$(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)

# The release config's own check (CI checks it cheaply with a Go test in
# cmd/release instead; this needs GoReleaser, a long install).
release-check: $(GORELEASER)
	$(GORELEASER) check

# All release archives into dist/, from the working tree, without
# publishing: about 10 minutes on 2 cores. Needs the cross compilers
# (scripts/install-release-deps.sh). Not run by CI.
release-snapshot: $(GORELEASER)
	./scripts/install-release-deps.sh
	KEYWARD_COMMIT=$(COMMIT) $(GORELEASER) release --snapshot --clean

# The main job: create a first key in the default database
# ($$XDG_DATA_HOME/keyward/keyward.db) and verify its secret.
demo: build
	@./scripts/demo.sh $(BIN)

# Everything CI runs, from a fresh Debian machine.
check: deps test

deps:
	@./scripts/install-test-deps.sh

# The pinned tools the API-document tests run (oapi-codegen, Redocly,
# Spectral), cached in $KEYWARD_TOOLS or ~/.cache/keyward-tools; deps runs it.
api-tools:
	@./scripts/install-api-tools.sh

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

# CI's one pass of every benchmark: the Go benchmarks once each, and one
# short round of each script (they fail on a wrong answer, not on a slow
# one; figures from a shared CI machine are not kept).
bench-short: build
	$(GO) test ./internal/store ./internal/server ./internal/keys -run '^$$' -bench . -benchtime 1x
	./bench/http.sh $(BIN) 1 1
	./bench/cli.sh --short $(BIN)
	BENCH_SHORT=1 ./bench/writes.sh $(BIN)

# Verification under load (wrk against keyward serve on loopback), as
# ratios to a bare net/http handler (bench/http/floor) measured
# alternately in the same run: 5 s a run, 3 rounds.
bench-http: build
	./bench/http.sh $(BIN) 5 3

# Every target of BENCHMARKS.md against its floor, measured in the same run
# (about 20 minutes on 2 cores, most of it the Go benchmarks, the 1,000,000-key data set and
# the HTTP rounds): Go benchmarks, verification over HTTP, the CLI, writes.
bench: build
	$(GO) test ./internal/store ./internal/server ./internal/keys -run '^$$' -bench . -benchmem -count 5
	./bench/http.sh $(BIN) 5 3
	./bench/cli.sh $(BIN)
	./bench/writes.sh $(BIN) 3

completions:
	$(GO) run ./cmd/gendocs

clean:
	rm -rf bin dist

pg-start:
	@./scripts/postgres-test-server.sh start

pg-stop:
	@./scripts/postgres-test-server.sh stop --clean
