# mrkenv: `make demo` plays the multi-Region story on a local KMS and DynamoDB,
# `make test` runs every test, `make bench` the benchmarks, `make dist`
# builds what users install. Each binding has its own Makefile in bindings-*/
# with `test` and `dist` targets; they are picked up here automatically.

BINDINGS := $(patsubst %/Makefile,%,$(wildcard bindings-*/Makefile))
CARGO ?= cargo

# `make demo V=1` shows the build and the details behind each step.
V ?=

.PHONY: demo demo-build test-demo test lint check-readme test-core test-kms kms-local kms-local-stop kms-local-status vectors bench bench-core bench-wheel bench-python bench-records bench-js dist $(BINDINGS:%=test-%) $(BINDINGS:%=dist-%)

test: lint check-readme test-core test-kms $(BINDINGS:%=test-%) test-demo
	@echo "make test: all suites passed"

# The demo (demo/run_demo.py): builds what it needs the way the binding suites
# do (the wheel into .venv, the npm package and its npm deps, the C examples),
# then plays the story on moto. The build's output goes to a log unless V=1.
DEMO_LOG := target/demo-build.log

demo: demo-build
	@.venv/bin/python demo/run_demo.py $(if $(V),--verbose)

demo-build:
	@mkdir -p target
	@echo "make demo: building the wheel, the npm package and the C example$(if $(V),, (log: $(DEMO_LOG)))"
	@{ $(MAKE) -C bindings-python venv dist && $(MAKE) -C bindings-wasm dist \
	   && $(MAKE) -C bindings-c examples; } $(if $(V),,> $(DEMO_LOG) 2>&1) \
	  || { $(if $(V),,tail -n 30 $(DEMO_LOG);) echo "make demo: the build failed$(if $(V),, (full log: $(DEMO_LOG)))"; exit 1; }
	@ln -sfn ../bindings-wasm/node_modules demo/node_modules

# The demo runs, and the README's recording of it is still its real output.
test-demo: demo-build
	python3 tests/scripts/check_demo_output.py

# A local KMS to try mrkenv against (tests/kms/moto_launcher.py): moto 5.2.5
# with the multi-Region key fix, in the background on 127.0.0.1 until
# `make kms-local-stop`. KMS_PORT=N picks the port (default: a free one). It
# prints the shell lines that point an AWS SDK at it (AWS_ENDPOINT_URL, dummy
# credentials, AWS_REGION): `eval "$$(make -s kms-local)"`. State and log:
# target/kms-local/ (KMS_STATE_DIR=DIR elsewhere). moto comes from the
# repository's .venv (made here).
KMS_PORT ?=
KMS_STATE_DIR ?=
KMS_LAUNCHER := tests/kms/moto_launcher.py
KMS_STATE_ARG = $(if $(KMS_STATE_DIR),--state-dir '$(KMS_STATE_DIR)')

kms-local:
	@$(MAKE) --no-print-directory -C bindings-python venv >&2
	@.venv/bin/python $(KMS_LAUNCHER) --background $(if $(KMS_PORT),--port $(KMS_PORT)) $(KMS_STATE_ARG)

kms-local-stop:
	@python3 $(KMS_LAUNCHER) --stop $(KMS_STATE_ARG)

# Exit 0 either way: it says whether one runs.
kms-local-status:
	@python3 $(KMS_LAUNCHER) --status $(KMS_STATE_ARG) || test $$? -eq 3

# The launcher as a command (--serve, --background/--status/--stop, the
# suites' stdin mode), then its self-check of moto's multi-Region behaviour.
test-kms:
	$(MAKE) -C bindings-python venv
	.venv/bin/python -m pytest -q tests/kms
	.venv/bin/python tests/kms/check_moto.py

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The README's quick starts must be the ones the binding suites run.
check-readme:
	python3 tests/scripts/check_readme.py

# The core, and its random generator crate (the vDSO path, fork, seccomp).
test-core:
	$(CARGO) test -p mrkenv -p mrkenv-random

# Re-generate the shared vectors into tests/vectors (after a deliberate format change).
vectors:
	$(CARGO) run -p mrkenv --example generate_vectors -- tests/vectors

# Fuzzing (not part of `make test`): seeds every cargo-fuzz target of
# core/fuzz with the shared vectors (core/fuzz/corpus/, not committed), then a
# short smoke pass of each, FUZZ_SECONDS apiece. Installs cargo-fuzz when it
# is missing; RUSTC_BOOTSTRAP=1 lets the stable toolchain take the -Z flags
# cargo-fuzz passes. Findings land in core/fuzz/artifacts/.
FUZZ_TARGETS := parse_header decrypt stream_chunks arn record_decrypt cbor_nesting
FUZZ_SECONDS ?= 30

.PHONY: fuzz
fuzz:
	@$(CARGO) fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz
	cd core/fuzz && $(CARGO) run --quiet --example seed_corpus
	cd core/fuzz && for target in $(FUZZ_TARGETS); do \
	  echo "make fuzz: $$target for $(FUZZ_SECONDS) s"; \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run -O $$target -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 || exit 1; \
	done
	@echo "make fuzz: every target ran $(FUZZ_SECONDS) s without a finding"

# Benchmarks (not part of `make test`; about 20 minutes on 2 cores). Each
# target runs alone too, and writes its own section of BENCHMARKS.md:
#   bench-core     criterion: each message API next to raw aes-gcm (1 KiB and
#                  64 MiB, one thread, then 64 MiB with --features parallel),
#                  records and re-keying (bench/core_table.py)
#   bench-python   the wheel vs aws-encryption-sdk (1 KiB, 64 MiB, peak RSS),
#                  and 1 GiB through encrypt_stream/decrypt_stream
#   bench-records  records vs dynamodb-encryption-sdk
#   bench-js       the npm package on Node and Chromium (bindings-wasm)
# then bench/summary.py prints the one table of goals and writes it on top.
# The peers are pinned and installed with the wheel into .venv-bench.
BENCH_VENV := $(CURDIR)/.venv-bench
BENCH_PY   := $(BENCH_VENV)/bin/python
BENCH_REQS := dynamodb-encryption-sdk==3.3.0 aws-encryption-sdk==4.0.1
BENCH_MD   := $(CURDIR)/BENCHMARKS.md

bench: bench-core bench-python bench-records bench-js
	python3 bench/summary.py --write $(BENCH_MD)

bench-core:
	$(CARGO) bench -p mrkenv --bench throughput --bench records --bench rekey
	$(CARGO) bench -p mrkenv --features parallel --bench throughput -- 64MiB-parallel
	python3 bench/core_table.py --write $(BENCH_MD)

$(BENCH_VENV)/.stamp: Makefile
	@test -x $(BENCH_PY) || python3 -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --disable-pip-version-check $(foreach r,$(BENCH_REQS),'$(r)')
	@touch $@

# The wheel built from this tree (with the parallel feature), into .venv-bench.
bench-wheel: $(BENCH_VENV)/.stamp
	$(MAKE) -C bindings-python dist
	$(BENCH_PY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps dist/python/mrkenv-*.whl

bench-python: bench-wheel
	$(BENCH_PY) bench/messages.py --write $(BENCH_MD)
	$(BENCH_PY) bench/stream.py --write $(BENCH_MD)

bench-records: bench-wheel
	$(BENCH_PY) bench/records.py --write $(BENCH_MD)

# The npm package vs @aws-crypto/client-node in Node, and its WebCrypto vs
# pure-WebAssembly paths in headless Chromium (bindings-wasm/bench/).
bench-js:
	$(MAKE) -C bindings-wasm bench-compare

dist: $(BINDINGS:%=dist-%)
	@echo "make dist: artifacts are in dist/"

$(BINDINGS:%=test-%): test-%:
	$(MAKE) -C $* test

$(BINDINGS:%=dist-%): dist-%:
	$(MAKE) -C $* dist
