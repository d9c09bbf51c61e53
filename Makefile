# mmm-keepalived — build, test and lab targets. `make help` lists them.
GO      ?= go
BIN     := bin
PKG     := github.com/mmm-keepalived/mmm-keepalived
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X $(PKG)/internal/version.Version=$(VERSION)
CMDS    := $(notdir $(wildcard cmd/*))
# Packages with tests behind the integration build tag.
INTEGRATION_PKGS = $(sort $(dir $(shell grep -rl --include='*_test.go' '^//go:build integration' .)))

.PHONY: help deps build test lint check test-integration clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

deps: ## install MariaDB, keepalived and iproute2 with apt-get when missing
	@./scripts/deps

build: ## build every command into bin/
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/... ./test/cmd/...

test: ## unit tests with the race detector (real MariaDB where the layer needs it)
	$(GO) test -race -count=1 ./...

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags integration ./...

test-integration: build ## the lab suite: real MariaDB and keepalived in network namespaces
	$(GO) test -tags integration -count=1 -p 1 -timeout 30m $(INTEGRATION_PKGS)

check: deps lint test test-integration ## everything CI runs: the README's test command

clean: ## remove build output
	rm -rf $(BIN)
