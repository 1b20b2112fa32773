//! The `voiceport` binary as a whole process, against peers measured in the same run;
//! prints the ratios at the end.
//!
//! ```text
//! cargo bench -p voiceport-cli --bench process
//! ```
//!
//! 1. normalize: `voiceport normalize --what list` of each benchmark page (the pages of the
//!    library's own bench), output to a file, against a Python + pydantic normalizer of the
//!    same page (`benches/peers/normalize_pydantic.py`; skipped, saying why, when Python or
//!    pydantic is missing) and against `jq -c . PAGE`, a plain reformat: the floor. All
//!    three write compact JSON, as `voiceport` does to a file by default.
//! 2. peak memory: the largest resident set of one `normalize` process per page, against
//!    the page's size.
//! 3. export: `voiceport export --format jsonl` of every seeded HappyRobot call from the
//!    in-process sandbox, against a walk that only fetches the same pages (reqwest, the
//!    bytes read, nothing parsed) and against the library's own walk (`pages()`, fetch and
//!    decode, in process); and the export's peak memory at 4,000 and 12,993 calls.
//!
//! `VOICEPORT_BENCH_KEEP=1` keeps the pages (the folder is printed), for profiling.

#[path = "../../../benches/estimates.rs"]
mod estimates;
#[path = "../../../benches/loopback.rs"]
mod loopback;
#[path = "../../../benches/payloads.rs"]
mod payloads;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode};
use voiceport::ProviderKind;
use voiceport_sandbox::{HAPPYROBOT_DOCS_CALL_COUNT, Sandbox};

const VOICEPORT: &str = env!("CARGO_BIN_EXE_voiceport");
/// The page size of the export and its baseline walk: HappyRobot's largest.
const EXPORT_PAGE_SIZE: usize = 2_000;

/// Where this run's pages and outputs go.
fn work_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("voiceport-bench-process-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

/// The repository root (where `benches/peers/` is).
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("benches/peers").is_dir())
        .expect("the repository root above the CLI crate")
        .to_path_buf()
}

/// Runs `command` to the end with standard output into `out`; its wall time and largest
/// resident set in bytes. Panics when it fails: a failing run would time an error path.
fn run(command: &mut Command, out: &Path) -> (Duration, u64) {
    let output = std::fs::File::create(out).expect("an output file");
    let started = std::time::Instant::now();
    let child = command
        .stdout(output)
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let (success, max_rss) = wait_with_usage(child);
    let elapsed = started.elapsed();
    assert!(success, "{command:?} failed");
    (elapsed, max_rss)
}

/// The largest resident set of `command` in bytes, with its standard output into `out`.
///
/// Measured from a small launcher (this bench binary, started again with
/// [`PEAK_LAUNCHER`]): a child's peak as the kernel reports it includes the memory of the
/// process that started it, and this one holds the pages and criterion's samples.
fn peak_of(command: &Command, out: &Path) -> u64 {
    let launcher = std::env::current_exe().expect("the bench binary");
    let output = Command::new(launcher)
        .arg(PEAK_LAUNCHER)
        .arg(out)
        .arg(command.get_program())
        .args(command.get_args())
        .stderr(Stdio::inherit())
        .output()
        .expect("the launcher runs");
    let text = String::from_utf8_lossy(&output.stdout);
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("the launcher said {text:?}"))
}

/// The argument that makes this binary the launcher of [`peak_of`].
const PEAK_LAUNCHER: &str = "--peak-rss-launcher";

/// Launcher mode: `--peak-rss-launcher OUT PROGRAM ARGS…` runs the program, its output into
/// OUT, and prints its peak in bytes.
fn launch(args: &[std::ffi::OsString]) {
    let [out, program, rest @ ..] = args else {
        panic!("usage: {PEAK_LAUNCHER} OUT PROGRAM ARGS…");
    };
    let (_, peak) = run(Command::new(program).args(rest), Path::new(out));
    println!("{peak}");
}

/// Waits for `child`; whether it succeeded, and its largest resident set in bytes.
#[cfg(target_os = "linux")]
fn wait_with_usage(child: std::process::Child) -> (bool, u64) {
    let pid = child.id();
    let mut status = 0;
    // SAFETY: `rusage` is plain data, for which all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is a child of this process that nothing else waits for (its `Child`
    // handle is dropped without a wait); both pointers are to live locals.
    let waited = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert!(waited == pid as libc::pid_t, "wait4 failed");
    // Linux reports `ru_maxrss` in KiB.
    (status == 0, usage.ru_maxrss as u64 * 1024)
}

/// Elsewhere the peak is not measured (reported as 0).
#[cfg(not(target_os = "linux"))]
fn wait_with_usage(mut child: std::process::Child) -> (bool, u64) {
    let status = child.wait().expect("the child ends");
    (status.success(), 0)
}

/// Whether `program args` runs and succeeds; `false` (with the reason printed) otherwise.
fn available(program: &str, args: &[&str], what: &str) -> bool {
    let ok = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!(
            "skipping the {what} baseline: `{program} {}` does not run here",
            args.join(" ")
        );
    }
    ok
}

struct Page {
    vendor: &'static str,
    path: PathBuf,
    bytes: u64,
}

fn pages(dir: &Path) -> Vec<Page> {
    [
        ("happyrobot", payloads::happyrobot_page(2_000)),
        ("voicebot", payloads::voicebot_page(1_000)),
        ("rounded", payloads::rounded_page(1_000)),
    ]
    .into_iter()
    .map(|(vendor, body)| {
        let path = dir.join(format!("{vendor}.json"));
        std::fs::write(&path, &body).expect("a page file");
        Page {
            vendor,
            path,
            bytes: body.len() as u64,
        }
    })
    .collect()
}

/// `voiceport normalize` of `page`, compact: what it writes to a file or a pipe by default
/// (`voiceport normalize … > out.json`), given explicitly. Every side writes the same
/// form, one line of JSON: the peer without `indent`, `jq -c`.
fn normalize_command(page: &Page) -> Command {
    let mut command = Command::new(VOICEPORT);
    command
        .args([
            "--compact",
            "normalize",
            "--vendor",
            page.vendor,
            "--what",
            "list",
        ])
        .arg(&page.path);
    command
}

/// The Python peer's command for `page`.
fn peer_command(dir: &Path, page: &Page) -> Command {
    let mut command = Command::new("python3");
    command
        .arg(repository().join("benches/peers/normalize_pydantic.py"))
        .arg(page.vendor)
        .arg(&page.path)
        .arg(dir.join("peer.json"));
    command
}

/// How many voiceport/peer pairs [`in_turns`] times per page.
const PAIRS: usize = 10;

/// voiceport against the Python peer, one run of each in turns, `PAIRS` times: the
/// medians of both and of the per-pair ratios. Criterion's two windows come one after the
/// other, and the peer's time (its start-up and imports) moves by up to a half between
/// them on a busy machine; in turns, whatever else runs weighs on both alike.
fn in_turns(dir: &Path, page: &Page) -> (f64, f64, f64) {
    let out = dir.join("out.json");
    let turns: Vec<[f64; 2]> = estimates::in_turns(PAIRS, |side| {
        let mut command = match side {
            0 => normalize_command(page),
            _ => peer_command(dir, page),
        };
        run(&mut command, &out).0.as_secs_f64()
    });
    let median_of = |of: fn(&[f64; 2]) -> f64| estimates::median_of(&turns, of);
    (
        median_of(|[ours, _]| *ours),
        median_of(|[_, peer]| *peer),
        median_of(|[ours, peer]| ours / peer),
    )
}

/// `python`: whether the Python peer can run (else it is left out, as `available` said).
fn normalize(c: &mut Criterion, dir: &Path, pages: &[Page], python: bool) {
    let jq = available("jq", &["--version"], "jq");
    let out = dir.join("out.json");
    let mut group = c.benchmark_group("process_normalize");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    for page in pages {
        group.bench_function(BenchmarkId::new("voiceport", page.vendor), |b| {
            b.iter(|| run(&mut normalize_command(page), &out))
        });
        if python {
            group.bench_function(BenchmarkId::new("python_pydantic", page.vendor), |b| {
                b.iter(|| run(&mut peer_command(dir, page), &out))
            });
        }
        if jq {
            group.bench_function(BenchmarkId::new("jq", page.vendor), |b| {
                b.iter(|| run(Command::new("jq").arg("-c").arg(".").arg(&page.path), &out))
            });
        }
    }
    group.finish();
}

/// A sandbox holding `calls` HappyRobot calls, and a configuration file for it.
fn sandbox(runtime: &tokio::runtime::Runtime, dir: &Path, calls: usize) -> (Sandbox, PathBuf) {
    let sandbox = runtime
        .block_on(
            Sandbox::builder()
                .calls(ProviderKind::HappyRobot, calls)
                .calls(ProviderKind::Voicebot, 0)
                .calls(ProviderKind::Rounded, 0)
                .start(),
        )
        .expect("the sandbox starts");
    let kind = ProviderKind::HappyRobot;
    let config = dir.join(format!("voiceport-{calls}.toml"));
    std::fs::write(
        &config,
        format!(
            "[providers.happyrobot]\nkind = \"happyrobot\"\napi_key = \"{}\"\nbase_url = \"{}\"\n",
            sandbox.api_key(kind),
            sandbox.base_url(kind)
        ),
    )
    .expect("a config file");
    // Readable by its owner alone, as the CLI asks of a file holding a key (it warns on
    // every run otherwise).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600))
            .expect("the config file's permissions");
    }
    (sandbox, config)
}

fn export_command(config: &Path) -> Command {
    let mut command = Command::new(VOICEPORT);
    command
        .arg("--config")
        .arg(config)
        .args(["export", "--format", "jsonl", "--page-size"])
        .arg(EXPORT_PAGE_SIZE.to_string());
    command
}

/// Every page through `VoiceProviderExt::pages`, at the export's page size; how many calls.
async fn library_walk(provider: &dyn voiceport::VoiceProvider) -> usize {
    use futures::TryStreamExt;
    use voiceport::VoiceProviderExt;
    let query = voiceport::CallQuery {
        page_size: Some(EXPORT_PAGE_SIZE as u32),
        ..voiceport::CallQuery::default()
    };
    provider
        .pages(query)
        .try_fold(0, |n, page| async move { Ok(n + page.calls.len()) })
        .await
        .expect("the walk")
}

/// The baseline: fetch every page of the listing, reading the bytes and nothing more.
async fn fetch_pages(client: &reqwest::Client, sandbox: &Sandbox, total: usize) -> usize {
    let kind = ProviderKind::HappyRobot;
    let url = format!("{}/calls", sandbox.base_url(kind));
    let auth = format!("Bearer {}", sandbox.api_key(kind));
    let mut bytes = 0;
    for skip in (0..total).step_by(EXPORT_PAGE_SIZE) {
        let body = client
            .get(&url)
            .query(&[("limit", EXPORT_PAGE_SIZE), ("skip", skip)])
            .header("authorization", &auth)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("a page")
            .bytes()
            .await
            .expect("a page's body");
        bytes += body.len();
    }
    bytes
}

/// `benchmark_mode`: whether the peak memory is measured too.
fn export(c: &mut Criterion, dir: &Path, benchmark_mode: bool) -> Vec<(usize, u64)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let out = dir.join("export.jsonl");
    let (all, config) = sandbox(&runtime, dir, HAPPYROBOT_DOCS_CALL_COUNT);
    let client = loopback::client();
    // Once first, to check that the export writes every call.
    run(&mut export_command(&config), &out);
    let exported = std::fs::read_to_string(&out).map_or(0, |text| text.lines().count());
    assert_eq!(
        exported, HAPPYROBOT_DOCS_CALL_COUNT,
        "the export wrote every call"
    );
    let mut group = c.benchmark_group("process_export");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(8));
    group.bench_function("voiceport_export", |b| {
        b.iter(|| run(&mut export_command(&config), &out))
    });
    group.bench_function("fetch_pages", |b| {
        b.iter(|| runtime.block_on(fetch_pages(&client, &all, HAPPYROBOT_DOCS_CALL_COUNT)))
    });
    // The library's own walk (fetch and decode every page, in this process): the export is
    // this plus a process, the writing and its output.
    let provider = voiceport::connect(&all.provider_config(ProviderKind::HappyRobot))
        .expect("a provider for the sandbox");
    group.bench_function("library_walk", |b| {
        b.iter(|| runtime.block_on(library_walk(provider.as_ref())))
    });
    group.finish();
    drop(all);

    // Peak memory by account size, from two full pages up: flat means the export holds
    // pages, not the account.
    [2 * EXPORT_PAGE_SIZE, HAPPYROBOT_DOCS_CALL_COUNT]
        .into_iter()
        .filter(|_| benchmark_mode)
        .map(|calls| {
            let (_sandbox, config) = sandbox(&runtime, dir, calls);
            (calls, peak_of(&export_command(&config), &out))
        })
        .collect()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(rest) = args
        .iter()
        .position(|a| a == PEAK_LAUNCHER)
        .map(|at| &args[at + 1..])
    {
        return launch(rest);
    }
    estimates::note_start();
    // Outside benchmark mode (`--test`, `--list`, `--profile-time`) criterion's windows
    // run (or not) without measuring: the passes beside them and the summary are skipped.
    let benchmark_mode = estimates::benchmark_mode();
    let dir = work_dir();
    let pages = pages(&dir);
    let mut c = Criterion::default().configure_from_args();
    let python = available("python3", &["-c", "import pydantic"], "Python + pydantic");
    normalize(&mut c, &dir, &pages, python);
    let paired: Vec<(&Page, (f64, f64, f64))> = match python && benchmark_mode {
        true => pages
            .iter()
            .map(|page| (page, in_turns(&dir, page)))
            .collect(),
        false => Vec::new(),
    };
    let peaks: Vec<(&Page, u64)> = pages
        .iter()
        .filter(|_| benchmark_mode)
        .map(|page| {
            (
                page,
                peak_of(&normalize_command(page), &dir.join("out.json")),
            )
        })
        .collect();
    let export_peaks = export(&mut c, &dir, benchmark_mode);
    c.final_summary();
    if !benchmark_mode {
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }

    println!("\n== ratios (same run) ==");
    for page in &pages {
        let v = page.vendor;
        estimates::print_ratio(
            &format!("normalize {v}: voiceport / python+pydantic"),
            &format!("process_normalize/voiceport/{v}"),
            &format!("process_normalize/python_pydantic/{v}"),
            "<= 0.08x",
        );
        estimates::print_ratio(
            &format!("normalize {v}: voiceport / jq . (floor)"),
            &format!("process_normalize/voiceport/{v}"),
            &format!("process_normalize/jq/{v}"),
            "report",
        );
    }
    if !paired.is_empty() {
        println!(
            "\n== normalize against the peer, {PAIRS} runs of each in turns (median of the per-pair ratios; steadier on a busy machine)"
        );
    }
    for (page, (ours, peer, ratio)) in &paired {
        println!(
            "normalize {:<11} voiceport {:>8.3} ms vs python+pydantic {:>8.3} ms   ratio {ratio:.3}x   (bar: <= 0.08x)",
            page.vendor,
            ours * 1e3,
            peer * 1e3,
        );
    }
    estimates::print_ratio(
        "export 12,993 calls: voiceport / library walk",
        "process_export/voiceport_export",
        "process_export/library_walk",
        "<= 1.2x",
    );
    estimates::print_ratio(
        "export 12,993 calls: voiceport / fetch only",
        "process_export/voiceport_export",
        "process_export/fetch_pages",
        "report",
    );
    println!("\n== peak memory (largest resident set of the process) ==");
    for (page, peak) in &peaks {
        println!(
            "normalize {:<11} page {:>6.1} MiB  peak {:>6.1} MiB  ratio {:.2}x  (bar <= 3x)",
            page.vendor,
            mib(page.bytes),
            mib(*peak),
            *peak as f64 / page.bytes as f64
        );
    }
    for (calls, peak) in &export_peaks {
        println!("export {calls:>6} calls  peak {:>6.1} MiB", mib(*peak));
    }
    if let [(_, small), (_, large)] = export_peaks[..] {
        println!(
            "export peak, 12,993 / 4,000 calls: {:.2}x  (flat: about 1x)",
            large as f64 / small as f64
        );
    }
    if std::env::var_os("VOICEPORT_BENCH_KEEP").is_some() {
        println!("\nthe pages are kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
