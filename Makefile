# Switchyard: `make run` for the main job on built-in defaults, `make test` for the tests.
SWIFT ?= swift
DEBIAN_PACKAGES := libzmq3-dev libopenmpi-dev openmpi-bin libopenblas-dev pkg-config curl
RELEASE_BIN := .build/release/switchyard
# mpirun refuses root without these; harmless for an ordinary user.
export OMPI_ALLOW_RUN_AS_ROOT := 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM := 1

.PHONY: deps build test run bench clean report-check fuzz

# Installs the native libraries only when pkg-config or mpirun cannot find them.
deps:
	@if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libzmq ompi openblas && command -v mpirun >/dev/null 2>&1 \
		&& command -v curl >/dev/null 2>&1; then \
		echo "deps: libzmq, Open MPI, OpenBLAS and curl found"; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "deps: installing $(DEBIAN_PACKAGES)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES); \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
		echo "deps: installing $(DEBIAN_PACKAGES) with sudo"; \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES); \
	else \
		echo "deps: missing native libraries and no root or sudo to install them." >&2; \
		echo "deps: as root, run: apt-get install $(DEBIAN_PACKAGES)" >&2; \
		exit 1; \
	fi
	@# tcpdump, for the packet capture of NetworkNamespaceTests; without it that part is skipped, so a failed install is no error.
	@if command -v tcpdump >/dev/null 2>&1 || [ -x /usr/sbin/tcpdump ] || [ -x /usr/bin/tcpdump ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "deps: installing tcpdump"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump) || echo "deps: tcpdump not installed; the packet capture test will be skipped"; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
		echo "deps: installing tcpdump with sudo"; \
		(sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump) || echo "deps: tcpdump not installed; the packet capture test will be skipped"; \
	else \
		echo "deps: no tcpdump and no root to install it; the packet capture test will be skipped"; \
	fi
	@# The serve tests drive the endpoint with the openai Python package: installed if missing; when
	@# pip cannot get it, that one client test says so and is skipped.
	@python3 -c "import openai" 2>/dev/null || python3 -m pip install -q openai 2>/dev/null \
		|| echo "deps: pip could not install the openai package; the openai client test will be skipped"

build: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) test

# The main job on built-in defaults: the mini model (128 experts, MLA, YaRN) in one process, then
# across the 8 expert hosts of cluster/local-dgx-b200.json over ZeroMQ, with its summary.
run: build
	$(RELEASE_BIN) doctor
	$(RELEASE_BIN) generate --model mini --tokens 1,20,300,4000,5,60,700,8000 --max-new-tokens 32
	$(RELEASE_BIN) run --cluster cluster/local-dgx-b200.json --model mini

# The raw-MPI peer that bench alltoall prints its round trip beside.
.build/raw_alltoall: bench/raw_alltoall.c
	@mkdir -p .build
	mpicc -O2 -o $@ $<

# The raw-ZeroMQ peer: libzmq alone on the same bytes, beside bench alltoall --transport zmq.
.build/raw_zmq_alltoall: bench/raw_zmq_alltoall.c
	@mkdir -p .build
	cc -O2 -Wall -o $@ $< -lzmq

bench: build .build/raw_alltoall .build/raw_zmq_alltoall
	$(RELEASE_BIN) bench machine --json .build/bench-machine.json
	$(RELEASE_BIN) bench experts --json .build/bench-experts.json
	$(RELEASE_BIN) bench model --model mini --batch 1 --json .build/bench-model-b1.json
	$(RELEASE_BIN) bench model --model mini --batch 8 --json .build/bench-model-b8.json
	$(RELEASE_BIN) bench simulator --json .build/bench-simulator.json
	$(RELEASE_BIN) bench alltoall --transport zmq --hosts 8 --tokens 256 --raw-mpi .build/raw_alltoall --raw-zmq .build/raw_zmq_alltoall
	$(RELEASE_BIN) bench alltoall --transport mpi --hosts 8 --tokens 256 --raw-mpi .build/raw_alltoall
	$(RELEASE_BIN) bench payload --model mini --prompts 16 --json .build/bench-payload.json
	$(RELEASE_BIN) bench faults --runs 4 --json .build/bench-faults.json
	# The simulator predicts this machine: a calibrated topology against the default run's exchanges
	# in flight and bench alltoall's round trip ("predicted X ms, measured Y ms, ratio R (within ±25%: yes/no)").
	scripts/calibration-check.sh $(RELEASE_BIN) .build/calibration
	# Last: it exits 1 if ping-pong's tokens differ from one batch's.
	$(RELEASE_BIN) bench overlap --batch 16 --delay-ms 2 --json .build/bench-overlap.json

# Renders the default run's report.html in headless Chromium (installed if missing, as root) to a
# PNG; fails on script errors or an empty page. Not part of `make test`.
report-check: build
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		echo "report-check: installing chromium"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; }
	$(RELEASE_BIN) run --quiet --out .build/report-check
	scripts/report-check.sh .build/report-check .build/report-check/report.png

# libFuzzer with the address sanitizer over each untrusted-input reader (Tests/Fuzz), linked with
# lld (gold fails on the sanitized objects): its own
# scratch folder, the committed seeds in Tests/Fuzz/corpus/TARGET (read, never written), new
# inputs in .build-fuzz/corpus/TARGET, crashes in .build-fuzz/crashes. FUZZ_SECONDS per target;
# FUZZ_TARGETS=rundir (say) runs one.
# A crash is replayed with `.build-fuzz/release/switchyard-fuzz` built plainly, or by copying it
# into Tests/Fuzz/regressions/TARGET/, which `make test` replays.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := wire safetensors config topology cluster rundir
FUZZ_BIN := .build-fuzz/release/switchyard-fuzz
fuzz: deps
	$(SWIFT) build --scratch-path .build-fuzz -c release --product switchyard-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
	@mkdir -p .build-fuzz/crashes
	@for target in $(FUZZ_TARGETS); do \
		mkdir -p .build-fuzz/corpus/$$target; \
		echo "fuzz: $$target for $(FUZZ_SECONDS) s"; \
		SWITCHYARD_FUZZ_TARGET=$$target $(FUZZ_BIN) .build-fuzz/corpus/$$target Tests/Fuzz/corpus/$$target \
			-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=4096 -print_final_stats=1 \
			-artifact_prefix=.build-fuzz/crashes/$$target- || exit 1; \
	done

clean:
	rm -rf .build .build-fuzz runs
