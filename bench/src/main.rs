//! The performance appendix's measurements: `cargo run --release -p bench`.
//!
//! Times the kernels and the training epoch on this machine (medians of repeats; the variants
//! compared are interleaved so that a change in the machine's load hits them alike), and writes
//! `book/src/generated/performance/{tables.md, performance.json}`. Timings are never snapshotted
//! or asserted: they belong to the machine that built the book. If
//! `book/src/generated/performance/peers.json` exists (written by `bench/peers.py`, which times
//! NumPy/OpenBLAS on the same shapes), the tables add the peers' figures beside ours.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use serde::{Deserialize, Serialize};

use bench::{
    PageBuffer, Product, Trainer, activation_inputs, activations, mc_model, mlp_step_products, net,
};
use book_pipeline::clock::seconds;
use book_pipeline::report::{Table, write_atomic, write_json};
use lab::mc_dropout::{mc_loop, mc_shared_first};
use lab::stats::median;

/// The allocator of this binary and of every chapter's. A training step allocates and frees
/// short-lived arrays (a shard's 64 × 784 inputs, its activations and gradients, 0.2–1 MB each).
/// glibc's malloc serves those from fresh `mmap`ed memory, or from its heaps, depending on what
/// the process freed before (its mmap threshold rises after a large block is freed), and returns
/// memory to the system and faults it in again step after step: the same epoch ran 1.35× slower
/// (784-300-100-10, 1 thread) and 1.3× slower (20×100, 2 threads) after this bench's matrix
/// products than in a fresh process, with five times the page faults. mimalloc keeps freed
/// memory in per-thread free lists for reuse, and the epochs take the same time whatever ran
/// first.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(about = "Time the book's kernels and write the performance appendix's tables")]
struct Args {
    /// Fewer repeats and a smaller epoch (a quick look, not for the book).
    #[arg(long)]
    quick: bool,
    /// Where to write the tables.
    #[arg(long, default_value = "book/src/generated/performance")]
    out: PathBuf,
    /// Run the whole measurement this many times, each in a fresh process, and report the
    /// median of the runs with the spread (slowest and fastest run) of every epoch time: a
    /// process can land in a slower mode (memory placement, which core its threads get) that
    /// repeats within one run cannot show.
    #[arg(long, default_value_t = 1)]
    runs: usize,
}

/// `AnonHugePages` of this process (Linux's `/proc/self/smaps_rollup`), in MiB.
fn huge_page_mib() -> Option<f64> {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").ok()?;
    let line = rollup.lines().find(|l| l.starts_with("AnonHugePages:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
}

#[derive(Serialize, Deserialize, Clone, Default)]
struct Performance {
    cpu: String,
    /// GFLOP/s of the eight products of a 784-300-100-10 step at batch 128, per thread count.
    step_products_gflops: BTreeMap<usize, f64>,
    products: Vec<(String, f64, f64)>,
    /// Forward and backward Gelem/s on 10⁷ elements, 1 thread, on 2 MiB pages (as the peers'
    /// NumPy buffers), and the same on 4 KiB pages.
    activations: Vec<(String, f64, f64)>,
    #[serde(default)]
    activations_small_pages: Vec<(String, f64, f64)>,
    /// MiB of the process's memory on 2 MiB pages while the first set ran (Linux), to show
    /// that the system granted them.
    #[serde(default)]
    huge_page_mib: Option<f64>,
    /// (net, batch, threads) → median seconds per epoch on 60,000 rows.
    epochs: Vec<(String, usize, usize, f64)>,
    /// GFLOP/s of a 1024×1024·1024×1024 product, 1 thread: the rate behind the floor.
    big_gflops: f64,
    /// The same on 2 threads.
    big_gflops_2: f64,
    /// Median extra time of a `rayon::join` of two 200 µs tasks after 1 ms of idleness, in
    /// seconds: what waking the second thread costs.
    wake_seconds: f64,
    /// MC Dropout on 10,000 rows, 1 thread: (T, looped seconds, batched seconds); one pass.
    mc_one_pass: f64,
    mc: Vec<(usize, f64, f64)>,
    /// NumPy/OpenBLAS on the same shapes (from `bench/peers.py`), if measured.
    peers: Option<serde_json::Value>,
    /// With `--runs N`: every run's median epoch time, in the order of `epochs`.
    #[serde(default)]
    epoch_runs: Vec<Vec<f64>>,
}

fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut perf = if args.runs > 1 {
        separate_runs(&args)?
    } else {
        measure(&args)
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let peers_path = args.out.join("peers.json");
    if let Ok(text) = std::fs::read_to_string(&peers_path) {
        let value = serde_json::from_str(&text)
            .with_context(|| format!("reading {}", peers_path.display()))?;
        perf.peers = Some(value);
    }
    write_json(&args.out.join("performance.json"), &perf)?;
    write_atomic(&args.out.join("tables.md"), tables(&perf).as_bytes())?;
    println!("{}", tables(&perf));
    Ok(())
}

/// `args.runs` runs of this binary, one after the other, each in its own process writing into
/// a temporary folder; the result is the median of the runs, field by field, with every run's
/// epoch times kept in `epoch_runs`.
fn separate_runs(args: &Args) -> Result<Performance> {
    let exe = std::env::current_exe().context("finding this binary")?;
    let mut runs = Vec::new();
    for i in 0..args.runs {
        eprintln!("run {} of {}…", i + 1, args.runs);
        let dir = std::env::temp_dir().join(format!("bench-run-{}-{i}", std::process::id()));
        let mut cmd = std::process::Command::new(&exe);
        cmd.arg("--out").arg(&dir).args(["--runs", "1"]);
        if args.quick {
            cmd.arg("--quick");
        }
        let status = cmd
            .stdout(std::process::Stdio::null())
            .status()
            .context("running the bench")?;
        anyhow::ensure!(status.success(), "run {} of the bench failed", i + 1);
        let path = dir.join("performance.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        runs.push(serde_json::from_str::<Performance>(&text)?);
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(median_of_runs(&runs))
}

/// The median over runs of every measured figure (the first run's labels and CPU name).
fn median_of_runs(runs: &[Performance]) -> Performance {
    let of = |f: &dyn Fn(&Performance) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    let mut p = runs[0].clone();
    for (th, g) in p.step_products_gflops.iter_mut() {
        *g = of(&|r| r.step_products_gflops[th]);
    }
    // Rows of a label and two figures: each figure's median over the runs, row by row.
    fn pairs<L: Clone>(
        runs: &[Performance],
        rows: fn(&Performance) -> &Vec<(L, f64, f64)>,
    ) -> Vec<(L, f64, f64)> {
        let of = |i: usize, f: fn(&(L, f64, f64)) -> f64| {
            median(&runs.iter().map(|r| f(&rows(r)[i])).collect::<Vec<_>>())
        };
        (0..rows(&runs[0]).len())
            .map(|i| (rows(&runs[0])[i].0.clone(), of(i, |r| r.1), of(i, |r| r.2)))
            .collect()
    }
    p.products = pairs(runs, |r| &r.products);
    p.activations = pairs(runs, |r| &r.activations);
    p.activations_small_pages = pairs(runs, |r| &r.activations_small_pages);
    p.mc = pairs(runs, |r| &r.mc);
    p.epoch_runs = (0..p.epochs.len())
        .map(|i| runs.iter().map(|r| r.epochs[i].3).collect())
        .collect();
    for (row, times) in p.epochs.iter_mut().zip(&p.epoch_runs) {
        row.3 = median(times);
    }
    p.big_gflops = of(&|r| r.big_gflops);
    p.big_gflops_2 = of(&|r| r.big_gflops_2);
    p.wake_seconds = of(&|r| r.wake_seconds);
    p.mc_one_pass = of(&|r| r.mc_one_pass);
    p
}

/// One run of every measurement.
fn measure(args: &Args) -> Performance {
    let repeats = if args.quick { 5 } else { 31 };
    let mut perf = Performance {
        cpu: cpu_name(),
        ..Default::default()
    };
    let threads = [1usize, 2];

    // Matrix products: the eight of one training step at batch 128.
    eprintln!("products…");
    let mut products = mlp_step_products(128);
    let mut times = vec![[Vec::new(), Vec::new()]; products.len()];
    let pools = [pool(1), pool(2)];
    for _ in 0..repeats * 4 {
        for (p, t) in products.iter_mut().zip(&mut times) {
            for (ti, pool) in pools.iter().enumerate() {
                t[ti].push(pool.install(|| seconds(|| p.run())));
            }
        }
    }
    let flops: f64 = products.iter().map(Product::flops).sum();
    for (ti, &th) in threads.iter().enumerate() {
        let total: f64 = times.iter().map(|t| median(&t[ti])).sum();
        perf.step_products_gflops.insert(th, flops / total / 1e9);
    }
    for (p, t) in products.iter().zip(&times) {
        let g = |ti: usize| p.flops() / median(&t[ti]) / 1e9;
        perf.products.push((p.label.clone(), g(0), g(1)));
    }
    let mut big = Product::new("big", (1024, 1024, 1024), false, false);
    let big_times: Vec<f64> =
        pools[0].install(|| (0..repeats.min(9)).map(|_| seconds(|| big.run())).collect());
    perf.big_gflops = big.flops() / median(&big_times) / 1e9;
    let big_times: Vec<f64> =
        pools[1].install(|| (0..repeats.min(9)).map(|_| seconds(|| big.run())).collect());
    perf.big_gflops_2 = big.flops() / median(&big_times) / 1e9;
    let spin = |micros: u64| {
        let t = Instant::now();
        while t.elapsed().as_micros() < u128::from(micros) {
            std::hint::spin_loop();
        }
    };
    let joins: Vec<f64> = pools[1].install(|| {
        (0..repeats * 4)
            .map(|_| {
                spin(1000);
                seconds(|| {
                    rayon::join(|| spin(200), || spin(200));
                }) - 200e-6
            })
            .collect()
    });
    perf.wake_seconds = median(&joins);

    // Activations, forward and backward, 10⁷ elements, 1 thread, on 2 MiB pages then 4 KiB.
    eprintln!("activations…");
    let n = 10_000_000;
    let (z, g) = activation_inputs(n);
    for huge in [true, false] {
        let buffer = |v: &[f32]| PageBuffer::new(v, huge).expect("anonymous memory");
        let (z, g) = (buffer(&z), buffer(&g));
        let (mut a, mut gz) = (buffer(&vec![0.0; n]), buffer(&vec![0.0; n]));
        if huge {
            perf.huge_page_mib = huge_page_mib();
        }
        // Each pass timed as `peers.py` times the peers': one warm-up, then `repeats` passes in a
        // row. (Alternating forward and backward passes instead runs the memory-bound ones a
        // third slower: the four buffers, 160 MB, no longer stay in the last-level cache.)
        let rate = |pass: &mut dyn FnMut()| {
            pass();
            let times: Vec<f64> = (0..repeats.min(11)).map(|_| seconds(&mut *pass)).collect();
            n as f64 / median(&times) / 1e9
        };
        for act in activations() {
            let row = (
                act.name(),
                rate(&mut || act.forward_slice(z.as_slice(), a.as_mut_slice())),
                rate(&mut || act.backward_slice(z.as_slice(), g.as_slice(), gz.as_mut_slice())),
            );
            if huge {
                perf.activations.push(row);
            } else {
                perf.activations_small_pages.push(row);
            }
        }
    }

    // Training epochs on 60,000 synthetic rows.
    eprintln!("epochs…");
    let rows = if args.quick { 6_000 } else { 60_000 };
    let epochs = if args.quick { 2 } else { 5 };
    // All configurations are built first and their epochs interleaved (A, B, C, …, A, B, C, …),
    // so that a change in the machine's speed hits them alike.
    let nets = [
        ("784-300-100-10", 128),
        ("20×100", 128),
        ("784-300-100-10", 32),
    ];
    let configs: Vec<(&str, usize, usize)> = nets
        .into_iter()
        .flat_map(|(name, batch)| threads.iter().map(move |&th| (name, batch, th)))
        .collect();
    // One data set for all of them, as the peers' scripts have.
    let data = std::sync::Arc::new(bench::synthetic(rows, 784, 10));
    let mut trainers: Vec<Trainer> = configs
        .iter()
        .map(|&(name, batch, _)| Trainer::on(&net(name), data.clone(), batch))
        .collect();
    let mut secs = vec![Vec::new(); configs.len()];
    for round in 0..=epochs {
        for ((trainer, &(_, _, th)), s) in trainers.iter_mut().zip(&configs).zip(&mut secs) {
            let t = pools[th - 1].install(|| seconds(|| trainer.epoch()));
            if round > 0 {
                s.push(t); // round 0 is the warm-up
            }
        }
    }
    for (&(name, batch, th), s) in configs.iter().zip(secs) {
        let per_epoch = median(&s) * 60_000.0 / rows as f64;
        perf.epochs.push((name.into(), batch, th, per_epoch));
        eprintln!("  {name} batch {batch}, {th} thread(s): {per_epoch:.3} s");
    }

    // MC Dropout on 10,000 rows, 1 thread: T passes in a loop vs batched (first layer shared).
    eprintln!("MC Dropout…");
    let model = mc_model();
    let x = bench::synthetic(10_000, 784, 10).x;
    let mc_repeats = if args.quick { 1 } else { 3 };
    pools[0].install(|| {
        let one: Vec<f64> = (0..mc_repeats * 3)
            .map(|_| {
                seconds(|| {
                    std::hint::black_box(model.forward(x.view()));
                })
            })
            .collect();
        perf.mc_one_pass = median(&one);
        for t in [10, 30] {
            let (mut looped, mut batched) = (Vec::new(), Vec::new());
            for _ in 0..mc_repeats {
                looped.push(seconds(|| {
                    std::hint::black_box(mc_loop(&model, x.view(), 1, t));
                }));
                batched.push(seconds(|| {
                    std::hint::black_box(mc_shared_first(&model, x.view(), 1, t));
                }));
            }
            perf.mc.push((t, median(&looped), median(&batched)));
        }
    });
    perf
}

/// The appendix's tables, in markdown.
fn tables(p: &Performance) -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut out = format!("Measured on: {} ({cpus} logical CPUs).\n\n", p.cpu);
    let peer = |threads: &str| p.peers.as_ref().map(|v| &v["threads"][threads]);
    let (peer1, peer2) = (peer("1"), peer("2"));
    let mut headers = vec!["product (batch 128)", "ours, 1 thread", "ours, 2 threads"];
    if p.peers.is_some() {
        headers.extend([
            "OpenBLAS, 1 thread",
            "OpenBLAS, 2 threads",
            "ours / OpenBLAS, 1 thread",
        ]);
    }
    let mut t = Table::new(headers);
    let gflops = |v: Option<&serde_json::Value>, i: usize| {
        v.and_then(|v| v["products"][i][1].as_f64())
            .unwrap_or(f64::NAN)
    };
    for (i, (label, g1, g2)) in p.products.iter().enumerate() {
        let mut row = vec![label.clone(), format!("{g1:.0}"), format!("{g2:.0}")];
        if p.peers.is_some() {
            let (o1, o2) = (gflops(peer1, i), gflops(peer2, i));
            row.extend([
                format!("{o1:.0}"),
                format!("{o2:.0}"),
                format!("{:.2}", g1 / o1),
            ]);
        }
        t.row(row);
    }
    let (g1, g2) = (p.step_products_gflops[&1], p.step_products_gflops[&2]);
    let mut row = vec![
        "**all eight (time-weighted)**".to_string(),
        format!("**{g1:.0}**"),
        format!("**{g2:.0}**"),
    ];
    if p.peers.is_some() {
        let total = |v: Option<&serde_json::Value>| {
            v.and_then(|v| v["step_products_gflops"].as_f64())
                .unwrap_or(f64::NAN)
        };
        let (o1, o2) = (total(peer1), total(peer2));
        row.extend([
            format!("**{o1:.0}**"),
            format!("**{o2:.0}**"),
            format!("**{:.2}**", g1 / o1),
        ]);
    }
    t.row(row);
    out += "GFLOP/s of the eight products of one training step of 784-300-100-10 at batch 128 \
            (medians of interleaved repeats):\n\n";
    out += &t.to_markdown();
    out += &format!(
        "\nA 1024×1024·1024×1024 product runs at {:.0} GFLOP/s on 1 thread and {:.0} on 2 \
         ({:.2}×). Waking the second thread for a `rayon::join` of two 200 µs tasks after 1 ms \
         of idleness costs {:.0} µs (median).\n\n",
        p.big_gflops,
        p.big_gflops_2,
        p.big_gflops_2 / p.big_gflops,
        p.wake_seconds * 1e6
    );

    // The fastest peer (1 thread) at one activation, forward or backward: (rate, which).
    let fastest = |name: &str, backward: bool| -> Option<(f64, &str)> {
        let v = peer1?;
        let candidates = [
            ("NumPy", &v["elementwise"][name], false),
            ("PyTorch", &v["pytorch_elementwise"]["forward"][name], false),
            ("PyTorch", &v["pytorch_elementwise"]["backward"][name], true),
            ("Keras", &v["keras_elementwise"]["forward"][name], false),
        ];
        candidates
            .into_iter()
            .filter(|c| c.2 == backward)
            .filter_map(|(who, x, _)| x.as_f64().map(|g| (g, who)))
            .max_by(|a, b| a.0.total_cmp(&b.0))
    };
    let mut t = Table::new([
        "activation",
        "forward, Gelem/s",
        "backward, Gelem/s",
        "backward / forward time",
        "fastest peer forward, Gelem/s",
        "ours / peer, forward",
        "fastest peer backward, Gelem/s",
        "ours / peer, backward",
    ]);
    let vs = |ours: f64, peer: Option<(f64, &str)>| match peer {
        Some((g, who)) => (format!("{g:.2} ({who})"), format!("{:.2}", ours / g)),
        None => ("–".to_string(), "–".to_string()),
    };
    for (name, f, b) in &p.activations {
        let (pf, rf) = vs(*f, fastest(name, false));
        let (pb, rb) = vs(*b, fastest(name, true));
        t.row([
            name.clone(),
            format!("{f:.2}"),
            format!("{b:.2}"),
            format!("{:.2}", f / b),
            pf,
            rf,
            pb,
            rb,
        ]);
    }
    out += "Elementwise passes over 10⁷ `f32` on 1 thread, timed alike on both sides (one warm-up, \
            then the median of 11 passes in a row), every buffer on 2 MiB pages:\n\n";
    out += &t.to_markdown();
    if !p.activations_small_pages.is_empty() {
        // What the page size is worth: the same passes on 4 KiB pages (a `Vec`'s default here).
        let ratio = |i: usize, f: &dyn Fn(&(String, f64, f64)) -> f64| {
            f(&p.activations[i]) / f(&p.activations_small_pages[i])
        };
        let k = p.activations.len();
        let gain = |f: &dyn Fn(&(String, f64, f64)) -> f64| {
            ((0..k).map(|i| ratio(i, f).ln()).sum::<f64>() / k as f64).exp()
        };
        let relu = p.activations_small_pages.iter().find(|r| r.0 == "ReLU");
        let granted = p
            .huge_page_mib
            .map(|m| {
                format!("; {m:.0} MiB of the process were on 2 MiB pages during the first set")
            })
            .unwrap_or_default();
        out += &format!(
            "\nThe same passes on 4 KiB pages: 2 MiB pages are {:.2}× as fast forward and {:.2}× \
             backward (geometric means over the activations){}{granted}.\n",
            gain(&|r| r.1),
            gain(&|r| r.2),
            relu.map(|r| format!(
                "; ReLU on 4 KiB pages: {:.2} Gelem/s forward, {:.2} backward",
                r.1, r.2
            ))
            .unwrap_or_default()
        );
    }
    out += "\n";

    // FLOPs of one epoch (the products only) for the floor: forward, weight gradients, and
    // input gradients for every layer but the first.
    let epoch_flops = |name: &str| -> f64 {
        let sizes = net(name).sizes;
        let macs: usize = sizes.windows(2).map(|w| w[0] * w[1]).sum();
        let first = sizes[0] * sizes[1];
        2.0 * 60_000.0 * (3 * macs - first) as f64
    };
    // The fastest peer's epoch (PyTorch or Keras) at one thread count: (seconds, which).
    let fastest_epoch = |threads: &str, key: &str| -> Option<(f64, &str)> {
        let v = peer(threads)?;
        [("PyTorch", "pytorch_epochs"), ("Keras", "keras_epochs")]
            .into_iter()
            .filter_map(|(who, part)| v[part][key].as_f64().map(|s| (s, who)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    };
    let has_torch = fastest_epoch("1", "784-300-100-10, batch 128").is_some();
    let mut headers = vec![
        "net",
        "batch",
        "1 thread, s",
        "2 threads, s",
        "speed-up",
        "floor at the 1024³ rate, s",
    ];
    if has_torch {
        headers.extend([
            "fastest peer, 1 thread, s",
            "peer / ours, 1 thread",
            "fastest peer, 2 threads, s",
            "peer / ours, 2 threads",
        ]);
    }
    let mut t = Table::new(headers);
    // The median, and with several runs the slowest and fastest run.
    let cell = |i: usize| match p.epoch_runs.get(i) {
        Some(times) if times.len() > 1 => {
            let lo = times.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = times.iter().copied().fold(0.0, f64::max);
            format!("{:.3} ({lo:.3}–{hi:.3})", p.epochs[i].3)
        }
        _ => format!("{:.3}", p.epochs[i].3),
    };
    for (j, chunk) in p.epochs.chunks(2).enumerate() {
        let (name, batch, _, s1) = &chunk[0];
        let s2 = chunk[1].3;
        let mut row = vec![
            name.clone(),
            batch.to_string(),
            cell(2 * j),
            cell(2 * j + 1),
            format!("{:.2}×", s1 / s2),
            format!("{:.3}", epoch_flops(name) / (p.big_gflops * 1e9)),
        ];
        if has_torch {
            let key = format!("{name}, batch {batch}");
            for (threads, ours) in [("1", *s1), ("2", s2)] {
                match fastest_epoch(threads, &key) {
                    Some((t, who)) => {
                        row.extend([format!("{t:.3} ({who})"), format!("{:.2}×", t / ours)])
                    }
                    None => row.extend(["–".to_string(), "–".to_string()]),
                }
            }
        }
        t.row(row);
    }
    out += "One training epoch (60,000 rows, SGD; medians of 5 interleaved epochs after one \
            warm-up";
    if let Some(times) = p.epoch_runs.first().filter(|t| t.len() > 1) {
        out += &format!(
            "; the median of {} separate runs of the bench, with the slowest and fastest run in \
             brackets",
            times.len()
        );
    }
    out += "):\n\n";
    out += &t.to_markdown();
    out += "\n";

    let mut t = Table::new(["MC Dropout, 10,000 rows, 1 thread", "T = 10", "T = 30"]);
    let cells = |f: &dyn Fn(&(usize, f64, f64)) -> String| p.mc.iter().map(f).collect::<Vec<_>>();
    let mut row = vec!["T passes in a loop, × one pass".to_string()];
    row.extend(cells(&|m| format!("{:.1}×", m.1 / p.mc_one_pass)));
    t.row(row);
    let mut row = vec!["batched (first layer once), × one pass".to_string()];
    row.extend(cells(&|m| format!("{:.1}×", m.2 / p.mc_one_pass)));
    t.row(row);
    let mut row = vec!["batched / looped".to_string()];
    row.extend(cells(&|m| format!("{:.2}", m.2 / m.1)));
    t.row(row);
    out += &t.to_markdown();
    out += &format!(
        "\nOne deterministic pass over the 10,000 rows: {:.1} ms.\n",
        p.mc_one_pass * 1e3
    );
    out
}
