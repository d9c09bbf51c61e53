# mmm-keepalived — build, test and lab targets. `make help` lists them.
GO      ?= go
BIN     := bin
PKG     := github.com/mmm-keepalived/mmm-keepalived
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X $(PKG)/internal/version.Version=$(VERSION)
CMDS    := $(notdir $(wildcard cmd/*))
# Packages with tests behind the integration build tag.
INTEGRATION_PKGS = $(sort $(dir $(shell grep -rl --include='*_test.go' '^//go:build integration' .)))

.PHONY: help deps build test lint check test-integration clean demo demo-down

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

deps: ## install MariaDB, keepalived and iproute2 with apt-get when missing
	@./scripts/deps

build: ## build every command into bin/
	@mkdir -p $(BIN)
	@# Static: no dynamic loader at every start (mmm-check runs every second;
	@# make bench-check measures the difference).
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ $(addsuffix /...,$(wildcard ./cmd ./test/cmd))

test: ## unit tests with the race detector (real MariaDB where the layer needs it)
	$(GO) test -race -count=1 ./...
	@# The race build cuts the state machine's randomized test to 1,000
	@# sequences; run all 10,000 without it.
	$(GO) test -count=1 -run 'TestRandom' ./coordinator/fsm/

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags integration ./...

test-integration: build ## the lab suite: real MariaDB and keepalived in network namespaces
	@# The lab's TestMain tears down its lab (prefix mmmt); mmm-lab down also
	@# covers what it cannot: a panic on timeout, a SIGKILL.
	$(GO) test -tags integration -count=1 -p 1 -timeout 30m $(INTEGRATION_PKGS); \
	status=$$?; $(BIN)/mmm-lab --prefix mmmt down >/dev/null || status=1; exit $$status

# ALLOW_MISSING=1 packages the commands that exist so far; a release
# without it fails when one of the four is missing.
ALLOW_MISSING ?=
.PHONY: package test-package
package: ## .deb and .rpm for amd64 and arm64 in dist/, versioned by git describe
	@start=$$(date +%s%N); \
	$(GO) run ./packaging/cmd/mkpkg --describe '$(VERSION)' --ldflags '$(LDFLAGS)' --go '$(GO)' \
		--out dist $(if $(ALLOW_MISSING),--allow-missing) && \
	echo "make package took $$($(elapsed))"

test-package: deps package ## install the .deb for real (root): files, modes, removal; systemd-analyze, lintian, rpm -qp
	@start=$$(date +%s%N); \
	MMM_PACKAGE_DIR=$(CURDIR)/dist MMM_PACKAGE_ALLOW_MISSING=$(ALLOW_MISSING) \
		$(GO) test -count=1 -v -run '^TestPackage' ./packaging/ && \
	echo "make test-package took $$($(elapsed))"

check: deps lint test test-integration test-package ## everything CI runs: the README's test command

DEMO_PREFIX ?= mmm
# The time since $$start (date +%s%N), in seconds with two decimals.
elapsed = ms=$$(( ($$(date +%s%N) - start) / 1000000 )); printf '%d.%02d s' $$((ms / 1000)) $$((ms % 1000 / 10))

demo: ## bring up a local cluster (network namespaces, MariaDB, and what else is built); reuses a healthy one
	@start=$$(date +%s%N); \
	./scripts/deps && $(MAKE) --no-print-directory build && \
	$(BIN)/mmm-lab --prefix $(DEMO_PREFIX) up || { \
		echo "demo: failed; removing what was created" >&2; \
		[ ! -x $(BIN)/mmm-lab ] || $(BIN)/mmm-lab --prefix $(DEMO_PREFIX) down; exit 1; }; \
	BIN=$(BIN) ./scripts/demo-show $(DEMO_PREFIX); \
	echo "make demo took $$($(elapsed))"

demo-down: ## remove the demo cluster: processes, namespaces, state directory
	@start=$$(date +%s%N); \
	if [ -x $(BIN)/mmm-lab ]; then $(BIN)/mmm-lab --prefix $(DEMO_PREFIX) down; \
	else $(GO) run ./test/cmd/mmm-lab --prefix $(DEMO_PREFIX) down; fi && \
	echo "make demo-down took $$($(elapsed))"

clean: ## remove build output
	rm -rf $(BIN)

.PHONY: bench-check
BENCH_CHECK_ARGS ?=
bench-check: ## mmm-check's wall time and RSS beside mariadb-admin ping and mariadb -e 'select 1' (throwaway MariaDB; root)
	@mkdir -p $(BIN)
	@# Static (CGO_ENABLED=0): no dynamic loader at every start; the cgo build is measured beside it.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/mmm-check ./cmd/mmm-check
	CGO_ENABLED=1 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/mmm-check-cgo ./cmd/mmm-check
	$(GO) run ./test/cmd/mmm-checkbench --bin $(BIN)/mmm-check --variant cgo=$(BIN)/mmm-check-cgo $(BENCH_CHECK_ARGS)

.PHONY: bench-failover
# Quick mode: make bench-failover BENCH_FAILOVER_ARGS='-trials 1 -scenarios mysqld-kill,host-kill'
BENCH_FAILOVER_ARGS ?=
bench-failover: build ## failover benchmark, ours vs keepalived + shell scripts, in the lab (root; long): bench/failover.{json,svg}
	@start=$$(date +%s%N); \
	$(BIN)/mmm-failbench -json bench/failover.json -svg bench/failover.svg $(BENCH_FAILOVER_ARGS); \
	status=$$?; $(BIN)/mmm-lab --prefix mmmw down >/dev/null || status=1; \
	echo "make bench-failover took $$($(elapsed))"; exit $$status

.PHONY: bench-patient
# The faults where a client may wait on the old writer, with a client that
# waits up to 10 s per statement as applications do.
BENCH_PATIENT_ARGS ?= -trials 10
bench-patient: build ## failover benchmark with a 10 s client: writer cut off, mysqld frozen (root; long): bench/patient.{json,svg}
	@start=$$(date +%s%N); \
	$(BIN)/mmm-failbench -attempt 10s -scenarios cut-off-20s,mysqld-freeze-15s -json bench/patient.json -svg bench/patient.svg $(BENCH_PATIENT_ARGS); \
	status=$$?; $(BIN)/mmm-lab --prefix mmmw down >/dev/null || status=1; \
	echo "make bench-patient took $$($(elapsed))"; exit $$status

# The chaos campaign (test/cmd/mmm-chaos): 100 seeded faults in a row on
# one lab (prefix mmmx), results in bench/chaos.json. CHAOS_ARGS passes
# flags, e.g. CHAOS_ARGS='-faults 30 -seed 42' replays a sequence.
CHAOS_ARGS ?=
.PHONY: chaos
chaos: build ## the chaos campaign: seeded faults in a row, invariants checked all along (CHAOS_ARGS='-faults 30 -seed 42')
	@start=$$(date +%s%N); \
	$(BIN)/mmm-chaos $(CHAOS_ARGS); status=$$?; \
	[ $$status -eq 0 ] || $(BIN)/mmm-lab --prefix mmmx down >/dev/null 2>&1; \
	echo "make chaos took $$($(elapsed))"; exit $$status
