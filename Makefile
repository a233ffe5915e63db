# Convene: `make run` starts everything on this machine, `make test` runs
# every test. Both install what is missing (see scripts/ensure-deps.sh).

GO      ?= go
BIN     := bin/convene
LDFLAGS := -s -w

.PHONY: run build test test-race bench generate check-generated clean

## run: build and start Postgres, Temporal + UI, the worker and the API (Ctrl-C stops)
run: build
	./$(BIN) dev

## build: build the convene binary into bin/
build:
	@scripts/ensure-deps.sh
	$(GO) build -trimpath -ldflags='$(LDFLAGS)' -o $(BIN) ./cmd/convene

## test: gofmt, go vet and every test (unit, workflow and integration)
test:
	scripts/test.sh

## test-race: the packages with concurrency (api, jobs, workflows, db, rate limits) under the race detector; CI runs it after test
test-race:
	scripts/test.sh --race

## bench: run the ticket-rush, fan-out, start-latency, approvals, leaderboard, quests and chat fan-out benchmarks (on demand, never in CI); e.g. BENCH_ARGS='-buyers 200 -capacity 50' FANOUT_ARGS='-recipients 20000' STARTLATENCY_ARGS='-calls 500' APPROVALS_ARGS='-items 100' LEADERBOARD_ARGS='-members 20000' QUESTS_ARGS='-members 200 -concurrency 16' CHATFANOUT_ARGS='-members 50 -messages 200'
bench:
	$(GO) run ./bench/ticketrush $(BENCH_ARGS)
	$(GO) run ./bench/fanout $(FANOUT_ARGS)
	$(GO) run ./bench/startlatency $(STARTLATENCY_ARGS)
	$(GO) run ./bench/approvals $(APPROVALS_ARGS)
	$(GO) run ./bench/leaderboard $(LEADERBOARD_ARGS)
	$(GO) run ./bench/quests $(QUESTS_ARGS)
	$(GO) run ./bench/chatfanout $(CHATFANOUT_ARGS)

## generate: regenerate Go code from proto/ with buf and local plugins
generate:
	scripts/generate.sh

## check-generated: fail if the committed generated code is stale
check-generated:
	scripts/check-generated.sh

clean:
	rm -rf bin
