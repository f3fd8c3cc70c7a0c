# tastebud — the commands a user and CI run. `make test` works from nothing on a fresh machine.

CARGO  ?= cargo
DATA   ?= data/online-retail/online_retail.csv.gz
ML100K := .cache/ml-100k
TRAIN  := $(CARGO) run --release -q -p tastebud-train --

.PHONY: demo test lint setup model bench bench-scale ml-100k

## The main job on the embedded default model: replay a shopper, rank, explain.
demo:
	$(CARGO) run --release -q -p tastebud-train --example demo

## Everything CI checks: formatting, lints (native and wasm32), the wasm32 build, all tests.
test: setup lint ml-100k
	$(CARGO) build --lib --target wasm32-unknown-unknown
	$(CARGO) test --workspace --release

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --release -- -D warnings
	$(CARGO) clippy --lib --target wasm32-unknown-unknown -- -D warnings

setup:
	scripts/setup.sh

ml-100k:
	scripts/fetch-ml100k.sh

## Retrain the default model on Online Retail (writes model/).
model:
	$(TRAIN) fit --format online-retail --data $(DATA) --out model

## Training time and quality on ml-100k (the figures in the README).
bench: ml-100k
	scripts/bench.sh

## The trainer at 100k users × 100k items on generated data: time and peak memory.
bench-scale:
	scripts/bench-scale.sh
