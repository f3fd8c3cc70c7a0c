# tastebud — the commands a user and CI run. `make test` works from nothing on a fresh machine.

CARGO  ?= cargo
DATA   ?= data/online-retail/online_retail.csv.gz
ML100K := .cache/ml-100k
TRAIN  := $(CARGO) run --release -q -p tastebud-train --
WASM   := --profile wasm --target wasm32-unknown-unknown
export CHROMEDRIVER ?= /usr/bin/chromedriver

.PHONY: demo edge-demo test lint setup pkg model bench bench-scale ml-100k catalog fuzz

## The storefront (www/) on the Online Retail catalog with the embedded default model, served on
## 127.0.0.1 (PORT=8080 by default).
demo: pkg catalog
	node www/serve.mjs

## The edge example (examples/edge): the Online Retail search API on 127.0.0.1:8787 and, in
## front of it, the worker that re-ranks its results from the shopper's token, with the demo
## page, on http://127.0.0.1:8788 (in Node; workerd and Deno run the same worker: see its README).
edge-demo: pkg catalog
	cd examples/edge && npm ci --no-audit --no-fund && { node origin.mjs & trap 'kill $$!' EXIT INT TERM; node node.mjs; }

## Everything CI checks: formatting, lints (native and wasm32), the native tests, the bindings'
## suite in Node and headless Chromium, the packed npm package used as a consumer would, its
## JavaScript boundary against hostile values and a seeded fuzzer of API call sequences, the
## profile's storage under faults in headless Chromium, the Vite and Next.js examples built and
## run, the fuzz targets' regressions and a short run of each, the edge worker example in
## workerd, Node and Deno, and the storefront end to end in headless Chromium. The GPU scorer's
## suite (its top-k, and the default model's rankings against the CPU's over 1k, 10k and 100k
## items) runs natively (lavapipe; and with no adapter), in Chromium on SwiftShader's WebGPU
## (gpu/webdriver.json; software scoring, hence the longer timeout), and in Chromium without
## WebGPU (the CPU ranks); the package's `tastebud/gpu` entry likewise (bindings/js/gpu.mjs).
test: setup lint ml-100k
	$(CARGO) test --workspace --exclude tastebud-wasm --release
	scripts/fuzz.sh regressions
	scripts/fuzz.sh smoke
	$(CARGO) test -p tastebud-wasm $(WASM)
	WASM_BINDGEN_TEST_TIMEOUT=600 $(CARGO) test -p tastebud-gpu $(WASM)
	TASTEBUD_GPU_ADAPTER=none WASM_BINDGEN_TEST_WEBDRIVER_JSON=$(CURDIR)/bindings/webdriver.json \
	  $(CARGO) test -p tastebud-gpu $(WASM) --test web
	scripts/pkg.sh
	node bindings/js/consumer.mjs
	node bindings/js/gpu.mjs
	node bindings/js/boundary.mjs
	node bindings/js/fuzz.mjs
	node bindings/js/storage.mjs
	node examples/vite/test.mjs
	node examples/next/test.mjs
	$(MAKE) -s catalog
	node examples/edge/test.mjs
	node www/test.mjs

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --release -- -D warnings
	$(CARGO) clippy -p tastebud -p tastebud-wasm -p tastebud-gpu --all-targets $(WASM) -- -D warnings
	$(CARGO) clippy -p tastebud-wasm --features gpu --all-targets $(WASM) -- -D warnings

setup:
	scripts/setup.sh

## The npm package in pkg/ (`npm pack pkg/` packs it).
pkg: setup
	scripts/pkg.sh

ml-100k:
	scripts/fetch-ml100k.sh

## The storefront's catalog, from the Online Retail data.
catalog: www/data/catalog.json

www/data/catalog.json: $(DATA)
	$(TRAIN) catalog --format online-retail --data $(DATA) --out $@

## The fuzz targets (fuzz/), each briefly: about a minute in all, after a build with the nightly
## toolchain (cargo-fuzz is installed if missing). `scripts/fuzz.sh campaign N` runs N
## executions per target.
fuzz:
	scripts/fuzz.sh smoke

## Retrain the default model on Online Retail (writes model/).
model:
	$(TRAIN) fit --format online-retail --data $(DATA) --out model

## The package's size, cold start, record and rank times in Node and headless Chromium; the
## edge worker under load in workerd (one core, 1 M requests; about 15 minutes); whole-catalog
## ranking over 10k, 100k and 1M items on the CPU and on each GPU here, natively (lavapipe) and
## in Chromium through the packed `tastebud/gpu` (SwiftShader's WebGPU);
## then training time and quality on ml-100k (the figures in the README).
bench: pkg ml-100k catalog
	scripts/bench-wasm.sh
	node www/bench.mjs
	node examples/edge/bench.mjs
	node bindings/js/bench/gpu.mjs
	scripts/bench.sh

## The trainer at 100k users × 100k items on generated data: time and peak memory.
bench-scale:
	scripts/bench-scale.sh
