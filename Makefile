# Thin front end: CMake is the one build description; this file only forwards verbs.
.PHONY: all deps build release run test bench lint fuzz clean format

JOBS ?= $(shell nproc)

all: build

deps:
	@scripts/deps.sh build

build: deps
	@cmake --preset dev >/dev/null
	@cmake --build build/dev -j$(JOBS)

release: deps
	@cmake --preset release >/dev/null
	@cmake --build build/release -j$(JOBS)

# Builds the release binary and starts Huard on its embedded default (SQLite under ./data).
run: release
	./build/release/huard serve --data ./data $(ARGS)

test:
	@scripts/deps.sh test
	@scripts/test.sh

bench:
	@scripts/deps.sh bench
	@scripts/bench.sh

lint: build
	@scripts/lint.sh

fuzz:
	@scripts/deps.sh build
	@cmake --preset fuzz >/dev/null
	@cmake --build build/fuzz -j$(JOBS)
	@scripts/fuzz.sh

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf build
