# `make test` is the one command that runs the whole suite on a fresh machine:
# it installs and starts on loopback what the tests need, then runs them all.
export GOPROXY := https://proxy.golang.org
SERVICES ?= postgres,mysql,s3

.PHONY: test build bench services

test:
	@eval "$$(scripts/services.sh $(SERVICES))" && \
	  ARCA_TEST_REQUIRE=$(SERVICES) go test -race -count=1 -timeout 25m ./...

build:
	go build -o bin/arca ./cmd/arca

services:
	@scripts/services.sh $(SERVICES)
