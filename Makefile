# A thin wrapper: meson builds, meson test runs the suites.  `make run` and
# `make test` first install whatever is missing (scripts/install-deps.sh).

BUILD := build
ASAN  := build-asan
RELEASE := build-release
FUZZ  := build-fuzz
FUZZ_SECONDS ?= 60
PORT  ?= 8080
HOST  ?= 127.0.0.1

.PHONY: all deps deps-test build run test test-asan fuzz bench clean container container-test

all: build

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

$(BUILD)/build.ninja:
	meson setup $(BUILD)

$(RELEASE)/build.ninja:
	meson setup $(RELEASE) --buildtype=release

$(ASAN)/build.ninja:
	meson setup $(ASAN) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The bundled rasa sample (data/): both runs, their source, on $(HOST):$(PORT).
run: build
	$(BUILD)/pstatsviz data/rasa_maxsize1000.prof data/rasa_maxsize1000.mprof.dat \
	  data/rasa_maxsize1000.mem.txt data/rasa_maxsize5000.prof \
	  data/rasa_maxsize5000.mprof.dat data/rasa_maxsize5000.mem.txt \
	  --host $(HOST) --port $(PORT) --db $(BUILD)/sample.db --source-root data/rasa_sample

# Every suite, then all of them again under AddressSanitizer + UBSan.  The
# release build (what the Containerfile ships) is compiled too: at -O3 gcc
# warns where the debug build does not, and warnings are errors.
test: deps-test $(BUILD)/build.ninja $(ASAN)/build.ninja $(RELEASE)/build.ninja
	ninja -C $(BUILD)
	meson test -C $(BUILD) --print-errorlogs
	ninja -C $(RELEASE) pstatsviz
	ninja -C $(ASAN)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  meson test -C $(ASAN) --print-errorlogs --timeout-multiplier 4
	FUZZ_BUILD=$(FUZZ) FUZZ_FRESH=1 tests/fuzz/run.sh 5

# The libFuzzer targets (clang, ASan+UBSan, in $(FUZZ)/), FUZZ_SECONDS each.
fuzz: deps-test
	FUZZ_BUILD=$(FUZZ) tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: build deps-test
	bench/ingest
	bench/api
	bench/abuse
	bench/render
	bench/tree
	bench/diff
	bench/diffpage
	bench/list

# Not part of `make test`: needs root, podman and minutes (see README).
container:
	scripts/container.sh build

container-test:
	scripts/container.sh test

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ) $(RELEASE)
