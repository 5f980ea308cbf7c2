# mrkenv: `make demo` plays the multi-Region story on a local KMS and DynamoDB,
# `make test` runs every test, `make bench` the benchmarks, `make dist`
# builds what users install. Each binding has its own Makefile in bindings-*/
# with `test` and `dist` targets; they are picked up here automatically.

BINDINGS := $(patsubst %/Makefile,%,$(wildcard bindings-*/Makefile))
CARGO ?= cargo

# `make demo V=1` shows the build and the details behind each step.
V ?=

.PHONY: demo demo-build test-demo test lint check-readme test-core vectors bench bench-core bench-records dist $(BINDINGS:%=test-%) $(BINDINGS:%=dist-%)

test: lint check-readme test-core $(BINDINGS:%=test-%) test-demo
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

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The README's quick starts must be the ones the binding suites run.
check-readme:
	python3 tests/scripts/check_readme.py

test-core:
	$(CARGO) test -p mrkenv

# Re-generate the shared vectors into tests/vectors (after a deliberate format change).
vectors:
	$(CARGO) run -p mrkenv --example generate_vectors -- tests/vectors

# Fuzzing (not part of `make test`): seeds every cargo-fuzz target of
# core/fuzz with the shared vectors (core/fuzz/corpus/, not committed), then a
# short smoke pass of each, FUZZ_SECONDS apiece. Needs `cargo install
# cargo-fuzz`; RUSTC_BOOTSTRAP=1 lets the stable toolchain take the -Z flags
# cargo-fuzz passes. Findings land in core/fuzz/artifacts/.
FUZZ_TARGETS := parse_header decrypt stream_chunks arn record_decrypt cbor_nesting
FUZZ_SECONDS ?= 30

.PHONY: fuzz
fuzz:
	cd core/fuzz && $(CARGO) run --quiet --example seed_corpus
	cd core/fuzz && for target in $(FUZZ_TARGETS); do \
	  echo "make fuzz: $$target for $(FUZZ_SECONDS) s"; \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run -O $$target -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 || exit 1; \
	done
	@echo "make fuzz: every target ran $(FUZZ_SECONDS) s without a finding"

# Benchmarks (not part of `make test`): the core's criterion benches, then the
# records comparison with the DynamoDB Encryption Client for Python, installed
# with the wheel into its own venv (.venv-bench). Results go to BENCHMARKS.md.
BENCH_VENV := $(CURDIR)/.venv-bench
BENCH_PY   := $(BENCH_VENV)/bin/python
BENCH_REQS := dynamodb-encryption-sdk==3.3.0

bench: bench-core bench-records

bench-core:
	$(CARGO) bench -p mrkenv --bench throughput --bench records --bench rekey

$(BENCH_VENV)/.stamp: Makefile
	@test -x $(BENCH_PY) || python3 -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --disable-pip-version-check '$(BENCH_REQS)'
	@touch $@

bench-records: $(BENCH_VENV)/.stamp
	$(MAKE) -C bindings-python dist
	$(BENCH_PY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps dist/python/mrkenv-*.whl
	$(BENCH_PY) bench/records.py --write BENCHMARKS.md

dist: $(BINDINGS:%=dist-%)
	@echo "make dist: artifacts are in dist/"

$(BINDINGS:%=test-%): test-%:
	$(MAKE) -C $* test

$(BINDINGS:%=dist-%): dist-%:
	$(MAKE) -C $* dist
