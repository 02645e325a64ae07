# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make run    set up .venv from requirements.lock, then run the example consortium
#   make test   set up .venv from requirements.lock, then run the whole test suite
#   make unlock remove the lock of a run that was killed (refused while a run is live)
#   make slurm-env  add the SLURM executor plugin (requirements-slurm.lock) for profiles/slurm
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-lock
SLURM_STAMP := $(VENV)/.installed-slurm-lock
CORES ?= all
export PATH := $(BIN):$(PATH)

.PHONY: run unlock test lint format bench example clean-results slurm-env

# Times the workflow on simulated consortia of 10, 100 and 1,000 sites: bench/RESULTS.md;
# the moderator, subgroup and influence analyses against pooling: bench/MODERATORS.md; and
# what every snakemake call pays before its first job: bench/PARSE.md.
# The whole workflow at 10, 100 and 1,000 sites (bench/RESULTS.md), then each stage's own
# work on the finished 1,000-site consortium it leaves in bench/work/sites1000.
BENCH_RUN = bench/work/sites1000
bench: $(STAMP)
	python bench/bench_parse.py
	python bench/bench_moderators.py
	python bench/run_bench.py
	python bench/bench_site_stats.py --sites 100
	python bench/bench_pool_steps.py --consortium $(BENCH_RUN)
	python bench/bench_report_steps.py $(BENCH_RUN)
	python bench/bench_site_pages.py $(BENCH_RUN)
	python bench/bench_pooling.py

# One live run at a time: 'revmentor run' holds a lock for the whole run, and removes
# Snakemake's lock when a killed run left it behind. Extra Snakemake arguments: ARGS=...
run: $(STAMP)
	revmentor run --cores $(CORES) -- $(ARGS)

unlock: $(STAMP)
	revmentor unlock

# On every core (pytest-xdist; a module's tests stay on one worker, so its shared run is
# made once; modules in the order tests/conftest.py gives, end-to-end runs first), then,
# alone, the tests whose timing another test's load would disturb.
test: $(STAMP)
	python -m pytest -n auto --dist loadscope --no-loadscope-reorder -m "not serial"
	python -m pytest -m serial

lint: $(STAMP)
	ruff check src tests workflow/scripts bench
	ruff format --check src tests workflow/scripts bench
	snakefmt --check Snakefile workflow/Snakefile workflow/rules
	python -m pytest -q tests/workflow/test_lint.py

format: $(STAMP)
	ruff check --fix src tests workflow/scripts bench
	ruff format src tests workflow/scripts bench
	snakefmt Snakefile workflow/Snakefile workflow/rules

# Rebuild the bundled synthetic example consortium from the simulator.
example: $(STAMP)
	revmentor simulate-example --out data/example --sites config/sites.tsv

clean-results:
	rm -rf results .snakemake

# An environment made while requirements.lock still held the SLURM executor plugin keeps it
# (pip install never removes a package): it is removed here unless `make slurm-env` asked for it.
$(STAMP): requirements.lock pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	test -e $(SLURM_STAMP) || $(VENV)/bin/python -m pip uninstall -qq --yes snakemake-executor-plugin-slurm snakemake-executor-plugin-slurm-jobstep
	touch $(STAMP)

# The SLURM route only (README, profiles/slurm). On import the plugin runs `scontrol show
# config`, which costs every snakemake call up to 10 s where no SLURM controller answers, so
# the environment of `make run` and `make test` goes without it.
slurm-env: $(SLURM_STAMP)

$(SLURM_STAMP): $(STAMP) requirements-slurm.lock
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-slurm.lock
	touch $(SLURM_STAMP)
