# Two commands on a fresh machine: `make demo` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
OUT    := out
SOAK_SECONDS ?= 600  # server soak length (make bench SOAK_SECONDS=60 for a short one)

.PHONY: setup system-packages assets real-clips demo test lint bench clean

setup: $(STAMP) system-packages assets

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.stamp-* && touch $@

system-packages:
	@scripts/install-system-packages.sh

assets: $(STAMP)
	@$(BIN)/talkingface models fetch --quiet
	@$(BIN)/python -c "from talkingface.samples import fetch_samples; fetch_samples()"
	@$(BIN)/python -c "from talkingface.render.kernels import warm; warm()"  # compiled once, cached

# real talking video with sound, for the self-reenactment tests and benchmark only (never the tool)
real-clips: $(STAMP) system-packages
	@$(BIN)/python -c "from talkingface.samples import fetch_real_clips; fetch_real_clips()"

demo: setup
	@mkdir -p $(OUT)
	$(BIN)/python scripts/demo.py $(OUT)/demo.mp4

lint: $(STAMP)
	$(BIN)/ruff check talkingface tests scripts
	$(BIN)/ruff format --check talkingface tests scripts

test: setup real-clips lint
	$(BIN)/pytest -q

bench: setup real-clips
	$(BIN)/python scripts/bench.py --out BENCHMARKS.md
	$(BIN)/python scripts/bench_encoder.py --out BENCHMARKS.md
	$(BIN)/python scripts/bench_e2e.py --out BENCHMARKS.md
	$(BIN)/python scripts/bench_provenance.py --out BENCHMARKS.md
	$(BIN)/python scripts/bench_memory.py --out BENCHMARKS.md
	$(BIN)/python scripts/bench_live.py --out BENCHMARKS.md
	$(BIN)/python scripts/bench_motion.py --out BENCHMARKS.md
	$(BIN)/python scripts/bench_lipsync.py --out BENCHMARKS.md
	$(BIN)/python scripts/bench_vad.py --out BENCHMARKS.md
	$(BIN)/python scripts/bench_portraits.py --out BENCHMARKS.md
	$(BIN)/python scripts/bench_batch.py --out BENCHMARKS.md
	$(BIN)/python scripts/bench_startup.py --out BENCHMARKS.md
	$(BIN)/python scripts/bench_server.py --out BENCHMARKS.md --seconds $(SOAK_SECONDS)
	$(BIN)/python scripts/bench_lids.py --out BENCHMARKS.md
	$(BIN)/python scripts/bench_reenact.py --out BENCHMARKS.md

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache
