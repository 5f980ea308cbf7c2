# mrkenv: `make test` runs every test, `make bench` the benchmarks, `make dist`
# builds what users install. Each binding has its own Makefile in bindings-*/
# with `test` and `dist` targets; they are picked up here automatically.

BINDINGS := $(patsubst %/Makefile,%,$(wildcard bindings-*/Makefile))
CARGO ?= cargo

.PHONY: test lint check-readme test-core vectors bench dist $(BINDINGS:%=test-%) $(BINDINGS:%=dist-%)

test: lint check-readme test-core $(BINDINGS:%=test-%)
	@echo "make test: all suites passed"

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

bench:
	$(CARGO) bench -p mrkenv --bench throughput

dist: $(BINDINGS:%=dist-%)
	@echo "make dist: artifacts are in dist/"

$(BINDINGS:%=test-%): test-%:
	$(MAKE) -C $* test

$(BINDINGS:%=dist-%): dist-%:
	$(MAKE) -C $* dist
