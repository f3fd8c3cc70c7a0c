//! `rank_catalog` of the default model over 10k, 100k and 1M items, k = 100, for a shopper with
//! a history: on the CPU and on the GPU wgpu finds (Mesa's lavapipe on the test machine: Vulkan
//! on the CPU), alternating in one run. Prints a Markdown table: each backend's median time
//! (and range) over the rounds, the GPU's first ranking of a catalog (it works out the
//! catalog's moments), and the memory each adds (the process's resident set: a software
//! adapter's buffers are host memory).
//!
//! `cargo bench -p tastebud-gpu --bench rank [-- 10000 100000]`; with `--json`, a line of JSON
//! per size instead, as `make bench`'s bindings/js/bench/gpu.mjs reads them, to print them
//! beside the same ranking in Chromium, on the CPU and on SwiftShader's WebGPU.

#[cfg(not(target_arch = "wasm32"))]
#[path = "../../tests/common/mod.rs"]
mod shop;

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use std::time::Instant;

    use pollster::block_on;
    use shop::{default_model, many_items, shopper_of, NOW};
    use tastebud::{Personalizer, RankOptions};
    use tastebud_gpu::{Backend, Scorer};

    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000, 1_000_000]
    } else {
        sizes
    };
    let mut scorer = block_on(Scorer::new());
    let adapter = match scorer.backend() {
        Backend::Gpu(adapter) => adapter,
        Backend::Cpu(why) => {
            eprintln!("no GPU to compare with: {why}");
            std::process::exit(1);
        }
    };
    if !json {
        println!("GPU: {adapter}; k = 100; a shopper of six events; times in ms\n");
        println!("| items | CPU | GPU | CPU / GPU | GPU, first ranking | catalog, host | + GPU copy | prepare |");
        println!("|---|---|---|---|---|---|---|---|");
    }
    let options = RankOptions {
        k: Some(100),
        ..RankOptions::default()
    };
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
    for n in sizes {
        let items = many_items(n);
        let mut p = Personalizer::new(default_model(), shopper_of(&items));
        let before = resident_mib();
        let started = Instant::now();
        let catalog = p.catalog(items).expect("the items are valid");
        let prepare = ms(started);
        let host = resident_mib() - before;
        let before = resident_mib();
        let mut prepared = scorer.prepare(catalog);
        let started = Instant::now();
        block_on(scorer.rank_catalog(&mut p, &mut prepared, &options, NOW)).expect("ranks");
        let first = ms(started);
        let on_gpu = resident_mib() - before;

        let rounds = if n >= 1_000_000 { 5 } else { 15 };
        let (mut cpu, mut gpu) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let started = Instant::now();
            let a = p
                .rank_catalog(prepared.catalog(), &options, NOW)
                .expect("ranks");
            cpu.push(ms(started));
            let started = Instant::now();
            let b =
                block_on(scorer.rank_catalog(&mut p, &mut prepared, &options, NOW)).expect("ranks");
            gpu.push(ms(started));
            assert!(
                matches!(scorer.backend(), Backend::Gpu(_)),
                "{:?}",
                scorer.backend()
            );
            assert_eq!(
                a.iter().map(|r| &r.id).collect::<Vec<_>>(),
                b.iter().map(|r| &r.id).collect::<Vec<_>>()
            );
        }
        if json {
            let row = serde_json::json!({
                "n": n, "adapter": adapter, "cpuMs": cpu, "gpuMs": gpu, "firstGpuMs": first,
                "catalogMiB": host, "gpuCopyMiB": on_gpu, "prepareMs": prepare,
            });
            println!("{row}");
            continue;
        }
        let (c, g) = (median(&mut cpu), median(&mut gpu));
        println!(
            "| {n} | {} | {} | {:.2}× | {first:.1} | {host:.0} MiB | {on_gpu:.0} MiB | {:.0} |",
            range(c, &cpu),
            range(g, &gpu),
            c / g,
            prepare
        );
    }

    fn median(xs: &mut [f64]) -> f64 {
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    }

    fn range(median: f64, xs: &[f64]) -> String {
        let (lo, hi) = (xs[0], xs[xs.len() - 1]);
        format!("{median:.2} ({lo:.2}–{hi:.2})")
    }

    /// The process's resident set, in MiB (Linux).
    fn resident_mib() -> f64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
}
