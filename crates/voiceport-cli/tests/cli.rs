//! The built `voiceport` binary, run as a user would, against the sandbox.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use voiceport_sandbox::Sandbox;

struct Env {
    _sandbox: Sandbox,
    config: PathBuf,
}

/// Every vendor with 30 calls, whose dialed calls end by themselves after 100 ms.
async fn env() -> Env {
    env_talking(std::time::Duration::from_millis(60)).await
}

/// The same, with dialed calls that talk for `talk` once answered (40 ms after the dial).
async fn env_talking(talk: std::time::Duration) -> Env {
    let mut builder = Sandbox::builder();
    for &kind in voiceport_sandbox::EMULATED {
        builder = builder.calls(kind, 30);
    }
    let sandbox = builder
        .timing(
            voiceport_sandbox::Timing::default()
                .with_queued(std::time::Duration::from_millis(20))
                .with_ringing(std::time::Duration::from_millis(20))
                .with_talk(talk),
        )
        .start()
        .await
        .unwrap();
    let mut toml = String::from("default = \"happyrobot\"\n");
    for &kind in voiceport_sandbox::EMULATED {
        toml.push_str(&sandbox.provider_toml(kind.as_str(), kind));
    }
    let dir = std::env::temp_dir().join(format!(
        "voiceport-cli-{}-{}",
        std::process::id(),
        sandbox.addr().port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("voiceport.toml");
    std::fs::write(&config, toml).unwrap();
    Env {
        _sandbox: sandbox,
        config,
    }
}

/// `toml` written as a config file that only its owner may read (else the first line of
/// what the binary says is a warning), in a directory of its own named after `tag`.
fn private_config(tag: &str, toml: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("voiceport-{tag}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("voiceport.toml");
    std::fs::write(&path, toml).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    path
}

/// The binary, in an environment of the test's own: no `RUST_LOG` (which would add log
/// lines to what a test reads), and an empty directory as home and working directory (no
/// configuration found by chance).
fn voiceport_bin() -> Command {
    static EMPTY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let empty = EMPTY.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("voiceport-home-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    });
    let mut command = Command::new(env!("CARGO_BIN_EXE_voiceport"));
    command
        .env_remove("RUST_LOG")
        .env_remove("XDG_CONFIG_HOME")
        .env("HOME", empty)
        .current_dir(empty);
    // The environment's proxy would sit between the binary and the test's servers.
    for proxy in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"] {
        command
            .env_remove(proxy)
            .env_remove(proxy.to_ascii_lowercase());
    }
    // A configuration named by the environment, or described in it, would be found.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("VOICEPORT_") {
            command.env_remove(name);
        }
    }
    command
}

/// An HTTP client for the test's own requests, never through the environment's proxy.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// How long one run may take before it is killed: a regression that makes a command hang
/// (a server left running) fails the test instead of stalling the suite.
const RUN_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Runs `command` to its end, with its output; killed and failed past [`RUN_LIMIT`].
async fn output(mut command: Command) -> Output {
    use std::process::Stdio;
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    wait_output(command.spawn().unwrap()).await
}

/// Waits for `child` to end, with its output; killed and failed past [`RUN_LIMIT`].
/// Sends `child` a Ctrl-C (SIGINT) once `server` has received `requests` requests (a
/// walk's page being asked for, say), and waits for its output; `what` names the case.
async fn interrupt_once_asked(
    server: &wiremock::MockServer,
    child: std::process::Child,
    requests: usize,
    what: &str,
) -> Output {
    let started = std::time::Instant::now();
    while server.received_requests().await.unwrap_or_default().len() < requests {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{what}: {requests} request(s) never came"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    wait_output(child).await
}

async fn wait_output(child: std::process::Child) -> Output {
    tokio::task::spawn_blocking(move || {
        let pid = child.id().to_string();
        let (done, finished) = std::sync::mpsc::channel::<()>();
        let watched = pid.clone();
        let watchdog = std::thread::spawn(move || {
            let over = finished.recv_timeout(RUN_LIMIT).is_err();
            if over {
                let _ = Command::new("kill").args(["-9", &watched]).status();
            }
            over
        });
        let out = child.wait_with_output().unwrap();
        let _ = done.send(());
        assert!(
            !watchdog.join().unwrap(),
            "voiceport (pid {pid}) ran over {RUN_LIMIT:?} and was killed"
        );
        out
    })
    .await
    .unwrap()
}

async fn run(env: Option<&Env>, args: &[&str]) -> Output {
    let mut command = voiceport_bin();
    if let Some(env) = env {
        command.arg("--config").arg(&env.config);
    }
    command.args(args);
    output(command).await
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{} {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

/// Standard output as JSON Lines, one value per line.
fn json_lines(output: &Output) -> Vec<Value> {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_list_get_transcript_recording() {
    let env = env().await;
    let list = json(&run(Some(&env), &["calls", "list", "--limit", "5", "--json"]).await);
    let calls = list["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 5);
    assert!(list["next_cursor"].is_string());
    let completed = calls
        .iter()
        .find(|c| c["status"] == "completed")
        .or(calls.first())
        .unwrap();
    let id = completed["id"].as_str().unwrap();

    let got = json(&run(Some(&env), &["calls", "get", id, "--json"]).await);
    assert_eq!(got["id"], id);
    assert_eq!(got["provider"], "happyrobot");
    // The vendor's own JSON of the same call: HappyRobot's keys, none of voiceport's.
    let vendor = json(&run(Some(&env), &["calls", "get", id, "--vendor-json"]).await);
    assert_eq!(vendor["id"], id, "{vendor}");
    assert!(vendor["use_case"].is_object(), "{vendor}");
    assert!(vendor.get("vendor_status").is_none(), "{vendor}");

    // `--all --json` streams JSON Lines, one call per line.
    let all = json_lines(
        &run(
            Some(&env),
            &[
                "calls",
                "list",
                "--all",
                "--limit",
                "7",
                "--status",
                "completed",
                "--json",
            ],
        )
        .await,
    );
    assert!(!all.is_empty());
    assert!(all.iter().all(|c| c["status"] == "completed"));

    let table = stdout(
        &run(
            Some(&env),
            &["-p", "rounded", "calls", "list", "--limit", "3"],
        )
        .await,
    );
    assert!(table.starts_with("ID"), "{table}");
    assert_eq!(table.lines().count(), 4);

    let done = json_lines(
        &run(
            Some(&env),
            &[
                "-p",
                "voicebot",
                "calls",
                "list",
                "--all",
                "--json",
                "--status",
                "completed",
            ],
        )
        .await,
    );
    let vid = done[0]["id"].as_str().unwrap().to_owned();
    let transcript = json(
        &run(
            Some(&env),
            &["-p", "voicebot", "calls", "transcript", &vid, "--json"],
        )
        .await,
    );
    assert!(!transcript["utterances"].as_array().unwrap().is_empty());
    let recording = json(
        &run(
            Some(&env),
            &["-p", "voicebot", "calls", "recording", &vid, "--json"],
        )
        .await,
    );
    assert!(
        recording["mono_url"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dial_update_end_cancel_delete_and_notes() {
    // The dialed call talks for ten minutes: `calls end` must be what ends it.
    let env = env_talking(std::time::Duration::from_secs(600)).await;
    let dialed = json(
        &run(
            Some(&env),
            &[
                "-p",
                "rounded",
                "calls",
                "dial",
                "--to",
                "+14155550199",
                "--var",
                "first_name=Ada",
                "--json",
            ],
        )
        .await,
    );
    let id = dialed["call_id"].as_str().unwrap().to_owned();
    // Rounded answers a dial with the id only.
    assert!(dialed["call"].is_null(), "{dialed}");
    let updated = json(
        &run(
            Some(&env),
            &[
                "-p",
                "rounded",
                "calls",
                "update",
                &id,
                "--metadata",
                "crm=42",
                "--json",
            ],
        )
        .await,
    );
    assert_eq!(updated["metadata"]["crm"], 42);
    let replaced = json(
        &run(
            Some(&env),
            &[
                "-p",
                "rounded",
                "calls",
                "update",
                &id,
                "--metadata",
                "only=yes",
                "--replace",
                "--json",
            ],
        )
        .await,
    );
    assert_eq!(replaced["metadata"], serde_json::json!({"only": "yes"}));
    let ended = json(
        &run(
            Some(&env),
            &["-p", "rounded", "calls", "end", &id, "--json"],
        )
        .await,
    );
    assert_eq!(ended["result"], "ended");
    let after = json(
        &run(
            Some(&env),
            &["-p", "rounded", "calls", "get", &id, "--json"],
        )
        .await,
    );
    // Canceled when it was still ringing, completed when it was answered: either way over
    // long before its ten minutes.
    assert!(
        ["canceled", "completed"].contains(&after["status"].as_str().unwrap_or_default()),
        "ended by `calls end`: {after}"
    );

    let list = json(
        &run(
            Some(&env),
            &["-p", "voicebot", "calls", "list", "--limit", "1", "--json"],
        )
        .await,
    );
    let vid = list["calls"][0]["id"].as_str().unwrap().to_owned();
    let renamed = json(
        &run(
            Some(&env),
            &[
                "-p", "voicebot", "calls", "update", &vid, "--name", "Renewal", "--json",
            ],
        )
        .await,
    );
    assert_eq!(renamed["name"], "Renewal");
    // The table shows the name it changed.
    let table = stdout(&run(Some(&env), &["-p", "voicebot", "calls", "get", &vid]).await);
    let row =
        (table.lines().find(|line| line.starts_with("name"))).unwrap_or_else(|| panic!("{table}"));
    assert!(row.contains("Renewal"), "{row}");
    let nothing = run(Some(&env), &["-p", "voicebot", "calls", "update", &vid]).await;
    assert_eq!(nothing.status.code(), Some(2));

    let scheduled = json(
        &run(
            Some(&env),
            &[
                "calls",
                "dial",
                "--to",
                "+14155550199",
                "--at",
                "2099-01-01T10:00:00Z",
                "--json",
            ],
        )
        .await,
    );
    // One shape whatever the vendor answers: the id, and the call when it came back.
    let hid = scheduled["call_id"].as_str().unwrap().to_owned();
    assert_eq!(scheduled["call"]["id"], hid.as_str());
    assert_eq!(scheduled["call"]["status"], "scheduled");
    // The table says when it is to be placed, after when it was created.
    let shown = stdout(&run(Some(&env), &["calls", "get", &hid]).await);
    let rows: Vec<&str> = shown.lines().collect();
    let created = rows.iter().position(|row| row.starts_with("created "));
    let at = rows.iter().position(|row| row.starts_with("scheduled "));
    assert_eq!(at, created.map(|i| i + 1), "{shown}");
    assert!(shown.contains("2099-01-01T10:00:00+00:00"), "{shown}");
    json(&run(Some(&env), &["calls", "cancel", &hid, "--json"]).await);
    let canceled = json(&run(Some(&env), &["calls", "get", &hid, "--json"]).await);
    assert_eq!(canceled["status"], "canceled");

    let notes = json(
        &run(
            Some(&env),
            &["notes", "add", &hid, "call back", "--flag", "--json"],
        )
        .await,
    );
    let note = notes
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["content"] == "call back")
        .unwrap();
    let note_id = note["id"].as_str().unwrap().to_owned();
    assert_eq!(note["flagged"], true);
    let notes = json(
        &run(
            Some(&env),
            &[
                "notes",
                "update",
                &hid,
                &note_id,
                "call back Friday",
                "--json",
            ],
        )
        .await,
    );
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["content"] == "call back Friday" && n["flagged"] == true),
        "{notes}"
    );
    // The flag alone, the text kept; an update that changes nothing is refused (exit 4 or
    // 2: a usage error either way, nothing sent).
    let unflag = ["notes", "update", &hid, &note_id, "--unflag", "--json"];
    let notes = json(&run(Some(&env), &unflag).await);
    assert!(
        (notes.as_array().unwrap().iter())
            .any(|n| n["content"] == "call back Friday" && n["flagged"] == false),
        "{notes}"
    );
    // Said by the command's arguments, not the library's fields (`content`, `flagged`).
    let nothing = run(Some(&env), &["notes", "update", &hid, &note_id]).await;
    assert_eq!(nothing.status.code(), Some(2), "{}", stderr(&nothing));
    assert!(
        stderr(&nothing).contains("changes nothing without a new TEXT, --flag or --unflag"),
        "{}",
        stderr(&nothing)
    );
    let both = run(
        Some(&env),
        &["notes", "update", &hid, &note_id, "--flag", "--unflag"],
    )
    .await;
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
    let notes = json(&run(Some(&env), &["notes", "delete", &hid, &note_id, "--json"]).await);
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["id"] != note_id.as_str())
    );

    json(&run(Some(&env), &["calls", "delete", &hid, "--json"]).await);
    let gone = run(Some(&env), &["calls", "get", &hid]).await;
    assert_eq!(gone.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&gone.stderr).contains("not found"));
}

#[tokio::test(flavor = "multi_thread")]
async fn export_jsonl_and_csv() {
    let env = env().await;
    let jsonl = stdout(&run(Some(&env), &["-p", "voicebot", "export"]).await);
    assert_eq!(jsonl.lines().count(), 30);
    for line in jsonl.lines() {
        let call: Value = serde_json::from_str(line).unwrap();
        assert_eq!(call["provider"], "voicebot");
    }
    let path = env.config.with_file_name("calls.csv");
    let out = run(
        Some(&env),
        &[
            "-p",
            "rounded",
            "export",
            "--format",
            "csv",
            "-o",
            path.to_str().unwrap(),
        ],
    )
    .await;
    assert!(out.status.success());
    let csv = std::fs::read_to_string(&path).unwrap();
    assert!(csv.starts_with("id,provider,status"));
    assert_eq!(csv.lines().count(), 31);
    // Created for its owner alone: it holds numbers, names and what was said.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // The columns added later come last: the end reason's category, where a transfer went,
    // the cost's currency.
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(
        header.ends_with(",cost,end_reason,transfer_destination,cost_currency"),
        "{header}"
    );
    let rows: Vec<&str> = lines.collect();
    let reasons: Vec<&str> = rows
        .iter()
        .filter_map(|row| row.rsplit(',').nth(2))
        .filter(|reason| !reason.is_empty())
        .collect();
    assert!(
        reasons.iter().any(|r| voiceport::EndReasonCategory::ALL
            .iter()
            .any(|c| c.as_str() == *r)),
        "{csv}"
    );
    // Appended to a file that is not there yet, the rows still get their header; to one
    // that has rows, they do not.
    let fresh = env.config.with_file_name("fresh.csv");
    let append = [
        "-p", "rounded", "export", "--format", "csv", "--append", "-o",
    ];
    let fresh_arg = fresh.to_str().unwrap();
    for (time, rows) in [(1, 31), (2, 61)] {
        let out = run(Some(&env), &[&append[..], &[fresh_arg]].concat()).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let csv = std::fs::read_to_string(&fresh).unwrap();
        assert!(csv.starts_with("id,provider,status"), "{time}: {csv}");
        assert_eq!(csv.lines().count(), rows, "{time}");
        assert_eq!(csv.matches("id,provider,status").count(), 1, "{time}");
    }
    // A file whose last row was cut (an export killed mid-write) is refused, untouched:
    // the next row would join the cut one.
    let mut cut = std::fs::read(&fresh).unwrap();
    cut.extend_from_slice(b"call-9,rounded,compl");
    std::fs::write(&fresh, &cut).unwrap();
    let out = run(Some(&env), &[&append[..], &[fresh_arg]].concat()).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("half-written row"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&fresh).unwrap(), cut);
    // Rows that would not read with the file's own are refused, the file untouched: JSON
    // Lines appended to CSV, CSV to JSON Lines, CSV rows under other columns (an older
    // export's, or a merged one's with `provider_name` first).
    let older = "id,provider,status,vendor_status,direction,from,to,created_at,duration_secs,summary,tags,cost,end_reason,transfer_destination\n";
    let csv_append = [
        "-p", "rounded", "export", "--format", "csv", "--append", "-o", fresh_arg,
    ];
    let jsonl_append = ["-p", "rounded", "export", "--append", "-o", fresh_arg];
    let merged_append = [
        "export",
        "--providers",
        "rounded",
        "--format",
        "csv",
        "--append",
        "-o",
        fresh_arg,
    ];
    let cases: [(&str, &[&str], &str); 4] = [
        (older, &csv_append, "other CSV columns"),
        (older, &jsonl_append, "does not hold JSON Lines"),
        (
            "{\"id\":\"call-1\"}\n",
            &csv_append,
            "holds JSON Lines, not CSV",
        ),
        (older, &merged_append, "other CSV columns"),
    ];
    for (text, args, said) in cases {
        std::fs::write(&fresh, text).unwrap();
        let out = run(Some(&env), args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(said), "{args:?}: {}", stderr(&out));
        assert_eq!(std::fs::read_to_string(&fresh).unwrap(), text, "{args:?}");
    }
    // A resume into the file without the `--append` its advice gives is warned of: it
    // replaces what the export wrote before.
    let page = json(
        &run(
            Some(&env),
            &["-p", "rounded", "calls", "list", "--limit", "2", "--json"],
        )
        .await,
    );
    let cursor = page["next_cursor"].as_str().unwrap();
    std::fs::write(&fresh, "id,provider\ncall-1,rounded\n").unwrap();
    let resume = [
        "-p", "rounded", "export", "--format", "csv", "-o", fresh_arg, "--cursor", cursor,
    ];
    let out = run(Some(&env), &resume).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is replaced once the first page is in"),
        "{}",
        stderr(&out)
    );
    let with_append = [&resume[..], &["--append"]].concat();
    std::fs::write(
        &fresh,
        std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_owned()
            + "\n",
    )
    .unwrap();
    let out = run(Some(&env), &with_append).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("is replaced"), "{}", stderr(&out));
}

/// An export that fails before its first page (a filter the vendor lacks, a refused key)
/// leaves an existing `-o` file as it was, one provider or merged; one that completes
/// replaces it, even with no call to write (the CSV header alone).
#[tokio::test(flavor = "multi_thread")]
async fn an_export_refused_before_its_first_page_leaves_the_file_as_it_was() {
    let env = env().await;
    let path = env.config.with_file_name("yesterday.csv");
    let file = path.to_str().unwrap();
    let yesterday = "id,provider,status\ncall-1,rounded,completed\n";
    let refused: [(&[&str], i32); 4] = [
        // Voicebot Studio cannot filter by tag: refused before any request (exit 4).
        (&["-p", "voicebot", "export", "--tag", "vip"], 4),
        (
            &["export", "--providers", "voicebot,rounded", "--tag", "vip"],
            4,
        ),
        // The vendor refuses the key (exit 3).
        (&["-p", "refused", "export"], 3),
        // Kept going past it, with nothing else to export (exit 3).
        (&["export", "--providers", "refused", "--keep-going"], 3),
    ];
    let refused_key = format!(
        "{}\n[providers.refused]\nkind = \"rounded\"\napi_key = \"wrong-key-8\"\nbase_url = \"{}\"\n\
         [providers.refused.options]\nfrom_number = \"+16175550142\"\nagent_id = \"3407d20e-0e63-4a9f-9837-dd4df2fa2aee\"\n",
        std::fs::read_to_string(&env.config).unwrap(),
        env._sandbox.base_url(voiceport::ProviderKind::Rounded),
    );
    let config = private_config("refused-export", &refused_key);
    for (args, code) in refused {
        std::fs::write(&path, yesterday).unwrap();
        let args = [args, &["--format", "csv", "-o", file]].concat();
        let out = run_with(&config, &args).await;
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            yesterday,
            "{args:?}"
        );
    }
    // Where there was no file, there is none after (not an empty one, with or without
    // --append): a script checking for it would take the export as started.
    let new = env.config.with_file_name("never-written.csv");
    // The merged export too, refused by one account's key once its output is open.
    let merged: (&[&str], i32) = (&["export", "--providers", "rounded,refused"], 3);
    for (args, code) in refused.into_iter().chain([merged]) {
        for append in [&[][..], &["--append"][..]] {
            let output = ["--format", "csv", "-o", new.to_str().unwrap()];
            let args = [args, append, &output].concat();
            let out = run_with(&config, &args).await;
            assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
            assert!(!new.exists(), "{args:?} left {}", new.display());
        }
    }
    // A resumed export refused so: nothing was written, so the advice is the same command
    // (with --append, it would add to yesterday's rows).
    std::fs::write(&path, yesterday).unwrap();
    let cursor = r#"{"mode":"token","token":"2026-11-01T00:00:00Z"}"#;
    let resumed = ["-p", "refused", "export", "--cursor", cursor, "-o", file];
    let out = run_with(&config, &resumed).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), yesterday);
    let said = stderr(&out);
    // (The warning before it says the file would be replaced, without --append.)
    let advice = said
        .lines()
        .find(|line| line.contains("--cursor"))
        .unwrap_or_default();
    assert!(
        said.contains("is replaced once the first page is in") && !advice.contains("--append"),
        "{said}"
    );
    // An output that is no regular file has nothing to empty: written as it is.
    #[cfg(unix)]
    {
        let out = run_with(&config, &["-p", "rounded", "export", "-o", "/dev/null"]).await;
        assert!(out.status.success(), "{}", stderr(&out));
    }
    // No call matches: the export is complete, and the file holds the header alone.
    for (args, header) in [
        (&["-p", "rounded", "export"][..], "id,provider,status"),
        (
            &["export", "--providers", "voicebot,rounded"][..],
            "provider_name,id,provider,status",
        ),
    ] {
        std::fs::write(&path, yesterday).unwrap();
        let args = [
            args,
            &["--since", "2099-01-01", "--format", "csv", "-o", file],
        ]
        .concat();
        let out = run_with(&config, &args).await;
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let csv = std::fs::read_to_string(&path).unwrap();
        assert!(csv.starts_with(header), "{args:?}: {csv}");
        assert_eq!(csv.lines().count(), 1, "{args:?}: {csv}");
    }
}

/// A walk printed page by page keeps its columns where the first page put them: the
/// status, direction and time columns are as wide as their widest value from the header
/// on, so a later page's longer status does not shift the rows after it.
#[tokio::test(flavor = "multi_thread")]
async fn a_table_printed_page_by_page_keeps_its_columns() {
    let env = env().await;
    let out = run(
        Some(&env),
        &["-p", "rounded", "calls", "list", "--all", "--limit", "4"],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    let starts = |line: &str| {
        let header = table.lines().next().unwrap_or_default();
        ["VENDOR STATUS", "DIR", "FROM", "DURATION"].map(|column| {
            let at = header.find(column).expect(column);
            // Each row's cell starts where its header does.
            line.get(at..).is_some_and(|rest| !rest.starts_with(' '))
                && line.get(..at).is_some_and(|before| before.ends_with(' '))
        })
    };
    for line in table.lines() {
        assert_eq!(starts(line), [true; 4], "{table}");
    }
    // The status column is as wide as the widest status, whatever the page holds.
    let widest = voiceport::CallStatus::ALL
        .iter()
        .map(|s| s.to_string().len())
        .max()
        .unwrap();
    let header = table.lines().next().unwrap();
    let status_at = header.find("STATUS").unwrap();
    assert!(
        header.find("VENDOR STATUS").unwrap() > status_at + widest,
        "{header}"
    );
}

/// Standard error is captured here, so it is no terminal: the progress display of long
/// commands stays off, and no bar, spinner or carriage return reaches a log file.
#[tokio::test(flavor = "multi_thread")]
async fn no_progress_is_written_when_stderr_is_not_a_terminal() {
    let env = env().await;
    let path = env.config.with_file_name("progress.jsonl");
    let path = path.to_str().unwrap();
    let runs: [(&[&str], usize); 4] = [
        // HappyRobot says how many calls there are (a bar); Vapi does not (a count).
        (&["calls", "list", "--all", "--limit", "7"], 30),
        (
            &["-p", "vapi", "calls", "list", "--all", "--limit", "7"],
            30,
        ),
        (&["export", "--page-size", "7"], 30),
        (&["export", "--page-size", "7", "-o", path], 0),
    ];
    for (args, rows) in runs {
        let out = run(Some(&env), args).await;
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let rows_printed = stdout(&out).lines().count();
        // A table has a header line; JSON Lines have none.
        assert!(rows_printed == rows || rows_printed == rows + 1, "{args:?}");
        let err = stderr(&out);
        for progress in ["\r", "\u{1b}[", "fetched", "calls ("] {
            assert!(!err.contains(progress), "{args:?}: {err:?}");
        }
        // Besides the test configuration's permission warning, only what the command says.
        let err = without_config_warning(&err);
        let expected = if args.contains(&"-o") {
            "exported 30 calls\n"
        } else {
            ""
        };
        assert_eq!(err, expected, "{args:?}");
    }
    assert_eq!(std::fs::read_to_string(path).unwrap().lines().count(), 30);
    // `check` (a spinner on a terminal) prints its table and nothing on standard error.
    let out = run(Some(&env), &["-p", "rounded", "check"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("passed"));
    assert_eq!(without_config_warning(&stderr(&out)), "");
}

fn without_config_warning(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|line| !line.contains("holds an API key"))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// A call id holding a `:` that names no provider, with -p: the configuration is read
/// once, and its permission warning said once.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_colon_id_of_the_p_provider_reads_the_configuration_once() {
    let env = env().await;
    std::fs::set_permissions(
        &env.config,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let out = run(Some(&env), &["-p", "rounded", "calls", "get", "nosuch:abc"]).await;
    let said = stderr(&out);
    assert_eq!(said.matches("holds an API key").count(), 1, "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn capabilities_table_and_json() {
    let env = env().await;
    let table = stdout(&run(Some(&env), &["capabilities"]).await);
    assert!(
        table.contains("notes") && table.contains("happyrobot (happyrobot)"),
        "{table}"
    );
    // A listing order is said as a word, its absence as a dash (not `null`).
    let row = (table.lines())
        .find(|line| line.starts_with("listing_order"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(row.contains("descending") && row.contains('-'), "{row}");
    assert!(!row.contains("null") && !row.contains('"'), "{row}");
    // In JSON, keyed by provider name, each with its kind.
    let caps = json(&run(Some(&env), &["capabilities", "--json"]).await);
    assert_eq!(caps["happyrobot"]["notes"], true);
    assert_eq!(caps["voicebot"]["notes"], false);
    assert_eq!(caps["voicebot"]["kind"], "voicebot");
    assert_eq!(caps["voicebot"]["listing_order"], "descending");
    assert_eq!(caps["happyrobot"]["listing_order"], Value::Null);
    // `-p NAME`: that provider alone.
    let one = json(&run(Some(&env), &["-p", "vapi", "capabilities", "--json"]).await);
    let names: Vec<&String> = one.as_object().unwrap().keys().collect();
    assert_eq!(names, ["vapi"], "{one}");
    let table = stdout(&run(Some(&env), &["-p", "vapi", "capabilities"]).await);
    let header = table.lines().next().unwrap_or_default();
    assert!(
        header.contains("vapi (vapi)") && !header.contains("retell"),
        "{table}"
    );
}

/// What a provider supports needs no key: a provider whose key variable is not set here
/// is listed all the same; a table with another error is not.
#[tokio::test(flavor = "multi_thread")]
async fn capabilities_need_no_key() {
    let config = private_config(
        "caps-keyless",
        "[providers.live]\nkind = \"retell\"\napi_key_env = \"VOICEPORT_TEST_CAPS_KEY_UNSET_83\"\n\
         [providers.other]\nkind = \"rounded\"\napi_key = \"k\"\n",
    );
    let caps = json(&run_with(&config, &["capabilities", "--json"]).await);
    assert_eq!(caps["live"]["kind"], "retell", "{caps}");
    assert_eq!(caps["other"]["kind"], "rounded", "{caps}");
    let broken = private_config(
        "caps-broken",
        "[providers.live]\nkind = \"retell\"\napi_key = \"k\"\nbase_url = \"ftp://example.com\"\n",
    );
    let out = run_with(&broken, &["capabilities"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("base_url"), "{}", stderr(&out));
    // Beside a sound one: the sound one is shown, the broken one said, and it still fails.
    let beside = private_config(
        "caps-beside",
        "[providers.live]\nkind = \"retell\"\napi_key = \"k\"\nbase_url = \"ftp://example.com\"\n\
         [providers.other]\nkind = \"rounded\"\napi_key = \"k\"\n",
    );
    for args in [&["capabilities"][..], &["capabilities", "--json"]] {
        let out = run_with(&beside, args).await;
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stdout(&out).contains("other"), "{args:?}: {}", stdout(&out));
        assert!(!stdout(&out).contains("live"), "{args:?}: {}", stdout(&out));
        let said = stderr(&out);
        assert!(
            said.contains("`live` left out") && said.contains("base_url"),
            "{said}"
        );
    }
    // One provider named: its own error, and nothing on standard output (no `{}` to take
    // for "nothing configured").
    for (name, needle) in [("ghost", "ghost"), ("live", "base_url")] {
        for json in [false, true] {
            let args = [
                &["-p", name, "capabilities"][..],
                &["--json"][..usize::from(json)],
            ]
            .concat();
            let out = run_with(&beside, &args).await;
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
            assert_eq!(stdout(&out), "", "{args:?}");
            let said = stderr(&out);
            assert!(said.contains(needle), "{args:?}: {said}");
            assert!(!said.contains("left out"), "{args:?}: {said}");
        }
    }
}

/// A call reads the same in every command's JSON: its own field order (`id` first), never
/// sorted by key as a generic JSON tree would be.
#[tokio::test(flavor = "multi_thread")]
async fn calls_keep_one_field_order_in_every_json_output() {
    let env = env().await;
    let got = stdout(
        &run(
            Some(&env),
            &["-p", "vapi", "--json", "calls", "list", "--limit", "1"],
        )
        .await,
    );
    assert!(got.starts_with(r#"{"calls":[{"id":"#), "{got}");
    let id = serde_json::from_str::<Value>(&got).unwrap()["calls"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let one = stdout(&run(Some(&env), &["-p", "vapi", "--json", "calls", "get", &id]).await);
    assert!(one.starts_with(r#"{"id":"#), "{one}");
    let merged = [
        "--json",
        "calls",
        "list",
        "--providers",
        "vapi,retell",
        "--limit",
        "2",
    ];
    let merged = stdout(&run(Some(&env), &merged).await);
    assert!(merged.starts_with(r#"{"calls":[{"id":"#), "{merged}");
    // The provider's name after the call's own fields.
    let name_at = merged.find(r#""provider_name":"#).unwrap_or(0);
    let status_at = merged.find(r#""vendor_status":"#).unwrap_or(usize::MAX);
    assert!(status_at < name_at, "{merged}");
    let dial = [
        "-p",
        "vapi",
        "--json",
        "calls",
        "dial",
        "--to",
        "+14155550187",
    ];
    let dialed = stdout(&run(Some(&env), &dial).await);
    assert!(
        dialed.starts_with(r#"{"call_id":"#) && dialed.contains(r#""call":{"id":"#),
        "{dialed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unsupported_operations_exit_4() {
    let env = env().await;
    let list = json(
        &run(
            Some(&env),
            &["-p", "voicebot", "calls", "list", "--limit", "1", "--json"],
        )
        .await,
    );
    let id = list["calls"][0]["id"].as_str().unwrap().to_owned();
    let out = run(
        Some(&env),
        &["-p", "voicebot", "notes", "add", &id, "hello"],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("does not support add_note"), "{said}");
    // The library's name of the operation, said as the command typed.
    assert!(
        said.contains("on the command line: `voiceport notes add`"),
        "{said}"
    );
    // A listing's refusal comes from `calls list` or `export` alike: no command is named,
    // but the flag typed is, for the filter the library names (`sort`, `tags`).
    let export = run(
        Some(&env),
        &["-p", "voicebot", "export", "--sort", "oldest"],
    )
    .await;
    assert_eq!(export.status.code(), Some(4), "{}", stderr(&export));
    assert!(
        !stderr(&export).contains("`voiceport ")
            && stderr(&export).contains(
                "on the command line: --sort oldest (this vendor lists newest first only)"
            ),
        "{}",
        stderr(&export)
    );
    let tagged = ["-p", "voicebot", "calls", "list", "--tag", "vip"];
    let tagged = run(Some(&env), &tagged).await;
    assert_eq!(tagged.status.code(), Some(4), "{}", stderr(&tagged));
    assert!(
        stderr(&tagged).contains("on the command line: --tag"),
        "{}",
        stderr(&tagged)
    );
    // A schedule refused points at `capabilities`, which has its row (`dial_scheduled`).
    let at = [
        "-p",
        "rounded",
        "calls",
        "dial",
        "--to",
        "+14155550187",
        "--at",
        "2099-01-01T10:00:00Z",
    ];
    let scheduled = run(Some(&env), &at).await;
    assert_eq!(scheduled.status.code(), Some(4), "{}", stderr(&scheduled));
    assert!(
        stderr(&scheduled).contains("capabilities"),
        "{}",
        stderr(&scheduled)
    );
    // Where to see what it does support, rather than -v (which would add only its kind).
    assert!(
        said.contains("what it supports: voiceport --config ")
            && said.contains(" -p 'voicebot' capabilities")
            && !said.contains("run with -v"),
        "{said}"
    );
    // A metadata mode the vendor lacks names the flag for the other (Retell replaces
    // metadata whole), not the library's `MetadataMode`.
    let listed = json(
        &run(
            Some(&env),
            &["-p", "retell", "--json", "calls", "list", "--limit", "1"],
        )
        .await,
    );
    let id = listed["calls"][0]["id"].as_str().unwrap().to_owned();
    let merge = ["-p", "retell", "calls", "update", &id, "--metadata", "a=1"];
    let out = run(Some(&env), &merge).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("pass all of it with --replace") && !said.contains("MetadataMode"),
        "{said}"
    );
}

/// `--extra` reaches the vendor's dial body: Retell's advice for a setting of the agent
/// (an `agent_override` in `extra`) can be followed from the CLI, and a key voiceport
/// sets itself is refused before anything is sent.
#[tokio::test(flavor = "multi_thread")]
async fn dial_extra_fields_reach_the_vendor_body() {
    let env = env().await;
    let dial = ["-p", "retell", "calls", "dial", "--to", "+14155550199"];
    let with = |more: &[&'static str]| [&dial[..], more].concat();
    let out = run(Some(&env), &with(&["--language", "de-DE"])).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("`agent_override` in `extra`"));
    // The request's fields it names, said with the flags that set them.
    assert!(
        stderr(&out)
            .contains("\n  on the command line: `language` is --language, `extra` is --extra\n"),
        "{}",
        stderr(&out)
    );
    // Not pointed at `capabilities`, which has no row for a dial's fields.
    assert!(!stderr(&out).contains("capabilities"), "{}", stderr(&out));

    let out = run(Some(&env), &with(&["--extra", "to_number=+14155550100"])).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("`extra` key `to_number` collides"), "{said}");

    let overridden = [
        "--extra",
        r#"agent_override={"language":"de-DE"}"#,
        "--json",
    ];
    let out = run(Some(&env), &with(&overridden)).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(json(&out)["call_id"].is_string());

    let out = run(Some(&env), &with(&["--extra", "no-equals"])).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--extra \"no-equals\": expected KEY=VALUE"));
}

/// A dial refused with advice naming a library method (Rounded takes no metadata on a
/// dial: "set it after the dial with update_call") names the command that does it.
#[tokio::test(flavor = "multi_thread")]
async fn a_dial_refusal_names_the_command_its_advice_means() {
    let env = env().await;
    let dial = [
        "-p",
        "rounded",
        "calls",
        "dial",
        "--to",
        "+14155550187",
        "--metadata",
        "crm=42",
    ];
    let out = run(Some(&env), &dial).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "\n  on the command line: `metadata` is --metadata, `update_call` is `voiceport calls update CALL_ID`\n"
        ),
        "{}",
        stderr(&out)
    );
}

/// `calls dial --check` refuses what the dial refuses, said as the dial says it and with
/// its exit code, and sends nothing where the dial would be sent.
#[tokio::test(flavor = "multi_thread")]
async fn dial_check_refuses_what_the_dial_refuses_and_sends_nothing() {
    let env = env().await;
    let number = "+14155550177";
    let dial = ["-p", "retell", "calls", "dial", "--to", number];
    let with = |more: &[&'static str]| [&dial[..], more].concat();
    let refused = run(Some(&env), &with(&["--language", "de-DE"])).await;
    let checked = run(Some(&env), &with(&["--language", "de-DE", "--check"])).await;
    assert_eq!(checked.status.code(), Some(4), "{}", stderr(&checked));
    assert_eq!(stderr(&checked), stderr(&refused));

    let out = run(Some(&env), &with(&["--check"])).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "retell would send this dial (nothing was sent)\n"
    );
    let out = run(Some(&env), &with(&["--check", "--json"])).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out), serde_json::json!({ "would_dial": true }));
    // Nothing was sent: no call to the number.
    let listed = run(
        Some(&env),
        &["-p", "retell", "calls", "list", "--to", number],
    )
    .await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(
        stderr(&listed).contains("note: no call matched\n"),
        "{}",
        stderr(&listed)
    );
    // A check places no call to wait for.
    let out = run(Some(&env), &with(&["--check", "--wait"])).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// Without `--config`, the configuration is `./voiceport.toml`, else the user's:
/// `$XDG_CONFIG_HOME/voiceport/voiceport.toml` when `XDG_CONFIG_HOME` is absolute (a
/// relative one is ignored, as the XDG specification says), else
/// `~/.config/voiceport/voiceport.toml`. Each file here names a provider of its own.
#[tokio::test]
async fn the_configuration_is_found_where_the_readme_says() {
    let root = std::env::temp_dir().join(format!("voiceport-cli-locate-{}", std::process::id()));
    let file = |dir: &std::path::Path, name: &str, kind: &str| {
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join("voiceport.toml");
        let toml = format!("[providers.{name}]\nkind = \"{kind}\"\napi_key = \"k\"\n");
        std::fs::write(&path, toml).unwrap();
        #[cfg(unix)]
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
    };
    let (here, home, xdg, elsewhere) = (
        root.join("project"),
        root.join("home"),
        root.join("xdg"),
        root.join("empty"),
    );
    file(&here, "local", "rounded");
    file(&home.join(".config/voiceport"), "user", "retell");
    file(&xdg.join("voiceport"), "xdg", "vapi");
    // What a relative `XDG_CONFIG_HOME` of `xdg` would name, read in the working directory.
    file(&elsewhere.join("xdg/voiceport"), "relative", "voicebot");
    let used = async |cwd: &std::path::Path, xdg_config_home: Option<&std::ffi::OsStr>| {
        let mut command = voiceport_bin();
        command
            .current_dir(cwd)
            .env("HOME", &home)
            .args(["capabilities", "--json"]);
        if let Some(dir) = xdg_config_home {
            command.env("XDG_CONFIG_HOME", dir);
        }
        let names: Vec<String> = json(&output(command).await)
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        names.join(",")
    };
    // The working directory's file wins over the user's, an XDG one too.
    assert_eq!(used(&here, Some(xdg.as_os_str())).await, "local");
    assert_eq!(used(&elsewhere, None).await, "user");
    assert_eq!(used(&elsewhere, Some(xdg.as_os_str())).await, "xdg");
    assert_eq!(used(&elsewhere, Some("xdg".as_ref())).await, "user");
    // The working directory's file of another user (not root) is refused unless named:
    // its `base_url` could take the key read from the environment. Giving a file away
    // takes root, as this test runs in CI; elsewhere the unit test of the owner check
    // stands alone.
    #[cfg(unix)]
    if std::os::unix::fs::chown(here.join("voiceport.toml"), Some(65_534), None).is_ok() {
        let mut command = voiceport_bin();
        command
            .current_dir(&here)
            .env("HOME", &home)
            .args(["capabilities", "--json"]);
        let out = output(command).await;
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let said = stderr(&out);
        assert!(
            said.contains("./voiceport.toml is owned by another user (uid 65534)"),
            "{said}"
        );
        let mut named = voiceport_bin();
        named
            .current_dir(&here)
            .args(["--config", "./voiceport.toml", "capabilities", "--json"]);
        let out = output(named).await;
        assert!(out.status.success(), "{}", stderr(&out));
    } else {
        eprintln!("not root: a file cannot be given to another user, the refusal is untried");
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_config_exits_2_naming_the_field() {
    let dir = std::env::temp_dir().join(format!("voiceport-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("voiceport.toml");
    std::fs::write(&path, "[providers.x]\nkind = \"bland\"\napi_key = \"k\"\n").unwrap();
    let mut command = voiceport_bin();
    command.arg("--config").arg(&path).args(["calls", "list"]);
    let out = output(command).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("providers.x.kind"), "{stderr}");
    assert!(!stderr.contains("\"k\""));
    // Which file that field is of, once.
    let said_file = format!("(in {})", path.display());
    assert!(stderr.contains(&said_file), "{stderr}");
    assert_eq!(
        stderr.matches(&path.display().to_string()).count(),
        1,
        "{stderr}"
    );
    // The word given is shown beside the kinds there are.
    assert!(stderr.contains("unknown variant `bland`"), "{stderr}");

    let out = run(None, &["calls", "list"]).await;
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("no configuration found"), "{said}");
    // It says where it looked: here, and the user's config folder.
    let user_file = std::path::Path::new(".config/voiceport/voiceport.toml");
    assert!(said.contains(&user_file.display().to_string()), "{said}");

    let usage = run(None, &["calls", "dial"]).await;
    assert_eq!(usage.status.code(), Some(2));
}

/// Without `--config`, `VOICEPORT_CONFIG` names the file; with no file anywhere, the
/// `VOICEPORT_…` variables describe one provider (a container, a CI job), named as its
/// kind; a misspelt one is refused, naming it.
#[tokio::test(flavor = "multi_thread")]
async fn the_configuration_can_come_from_the_environment() {
    let env = env().await;
    let listed = |mut command: Command| async move {
        command.args(["calls", "list", "--limit", "3", "--json"]);
        output(command).await
    };
    let mut named = voiceport_bin();
    named
        .env("VOICEPORT_CONFIG", &env.config)
        .args(["-p", "rounded"]);
    let out = listed(named).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["calls"].as_array().map(Vec::len), Some(3));

    let sandbox = &env._sandbox;
    let config = sandbox.provider_config(voiceport::ProviderKind::Retell);
    let mut described = voiceport_bin();
    described
        .env("VOICEPORT_KIND", "retell")
        .env("VOICEPORT_API_KEY_ENV", "RETELL_KEY_FOR_TEST")
        .env(
            "RETELL_KEY_FOR_TEST",
            sandbox.api_key(voiceport::ProviderKind::Retell),
        )
        .env("VOICEPORT_BASE_URL", config.base_url.as_deref().unwrap())
        .env("VOICEPORT_OPTIONS_FROM_NUMBER", "+16285550143");
    let out = listed(described).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let calls = json(&out)["calls"].clone();
    assert_eq!(calls.as_array().map(Vec::len), Some(3), "{calls}");
    assert!(
        calls[0]["id"].as_str().unwrap().starts_with("call_"),
        "{calls}"
    );

    // A variable naming no file is named; variables beside a file are said to be ignored.
    let mut nowhere = voiceport_bin();
    nowhere.env("VOICEPORT_CONFIG", env.config.with_file_name("gone.toml"));
    let out = listed(nowhere).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("VOICEPORT_CONFIG"),
        "{}",
        stderr(&out)
    );
    let mut both = voiceport_bin();
    both.env("VOICEPORT_CONFIG", &env.config)
        .env("VOICEPORT_KIND", "retell")
        .args(["-p", "rounded"]);
    let out = listed(both).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("VOICEPORT_KIND and its fellows are ignored"),
        "{}",
        stderr(&out)
    );

    let mut misspelt = voiceport_bin();
    misspelt
        .env("VOICEPORT_KIND", "retell")
        .env("VOICEPORT_TIMEOUT", "30");
    let out = listed(misspelt).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("VOICEPORT_TIMEOUT"),
        "{}",
        stderr(&out)
    );

    // What is wrong or missing is named by its variable, not by a file's key: there is
    // no file.
    let cases: [(&[(&str, &str)], &str); 3] = [
        (&[("VOICEPORT_KIND", "rounded")], "VOICEPORT_API_KEY"),
        (
            &[
                ("VOICEPORT_KIND", "rounded"),
                ("VOICEPORT_API_KEY", "sk-test"),
                ("VOICEPORT_TIMEOUT_SECS", "0"),
            ],
            "VOICEPORT_TIMEOUT_SECS",
        ),
        (
            &[
                ("VOICEPORT_KIND", "rounded"),
                ("VOICEPORT_API_KEY_ENV", "VOICEPORT_TEST_KEY_NEVER_SET"),
            ],
            "VOICEPORT_API_KEY_ENV",
        ),
    ];
    for (vars, named) in cases {
        let mut command = voiceport_bin();
        command.envs(vars.iter().copied());
        let out = listed(command).await;
        let said = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{vars:?}: {said}");
        assert!(said.contains(named), "{vars:?}: {said}");
        assert!(!said.contains("providers."), "{vars:?}: {said}");
    }
    let mut plain = voiceport_bin();
    plain
        .env("VOICEPORT_KIND", "rounded")
        .env("VOICEPORT_API_KEY", "sk-test")
        .env("VOICEPORT_BASE_URL", "http://192.0.2.1/v1")
        .env("VOICEPORT_ALLOW_INSECURE_HTTP", "true")
        .arg("capabilities");
    let out = output(plain).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: VOICEPORT_BASE_URL is plain http to 192.0.2.1"),
        "{}",
        stderr(&out)
    );
}

/// `normalize -v` says each call's warnings; vendor text in them (a call id with a line
/// break) cannot fake a line of its own.
#[tokio::test(flavor = "multi_thread")]
async fn normalize_warnings_keep_vendor_text_on_their_line() {
    let dir = std::env::temp_dir().join(format!("voiceport-norm-warn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("call.json");
    let call = serde_json::json!({"id": "c1\nerror: forged line", "status": "completed",
                                  "start_time": "not a time"});
    std::fs::write(&file, call.to_string()).unwrap();
    let args = [
        "-v",
        "normalize",
        "--vendor",
        "rounded",
        file.to_str().unwrap(),
    ];
    let out = run(None, &args).await;
    let said = stderr(&out);
    assert!(said.contains("warning: call c1"), "{said}");
    assert!(
        !said.lines().any(|line| line.starts_with("error: forged")),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn normalize_every_fixture() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures");
    let mut seen = 0;
    let mut changed = Vec::new();
    for vendor in ["happyrobot", "voicebot", "rounded", "vapi", "retell"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(format!("{root}/{vendor}"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "json"))
        {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let out = run(
                None,
                &["normalize", "--vendor", vendor, file.to_str().unwrap()],
            )
            .await;
            if name.starts_with("error_envelope") {
                // A vendor's error answer in a file: the input's fault (nothing was asked
                // of the vendor), said with the error it stands for.
                assert_eq!(out.status.code(), Some(2), "{vendor}/{name}");
                let said = String::from_utf8_lossy(&out.stderr);
                assert!(
                    said.contains("holds a rounded error answer"),
                    "{vendor}/{name}: {said}"
                );
                continue;
            }
            let value = json(&out);
            assert!(value.is_object() || value.is_array(), "{vendor}/{name}");
            // `--redact` gives what the library's snapshot redactions make of the same.
            let args = [
                "normalize",
                "--redact",
                "--vendor",
                vendor,
                file.to_str().unwrap(),
            ];
            let redacted = json(&run(None, &args).await);
            let mut expected = value.clone();
            voiceport::snapshot::redact(&mut expected);
            assert_eq!(redacted, expected, "{vendor}/{name}");
            if redacted != value {
                changed.push(format!("{vendor}/{name}"));
            }
            seen += 1;
        }
    }
    assert!(seen >= 40, "only {seen} fixtures normalized");
    // The fixtures with a signed recording URL lose its query, and its expiry.
    assert!(
        changed.contains(&"rounded/get_call.json".to_owned()),
        "{changed:?}"
    );
    assert!(
        changed.contains(&"retell/call_signed_urls_scrubbed.json".to_owned()),
        "{changed:?}"
    );
    let args = [
        "normalize",
        "--redact",
        "--vendor",
        "rounded",
        &format!("{root}/rounded/get_call.json"),
    ];
    let call = json(&run(None, &args).await);
    let mono = call["recording"]["mono_url"].as_str().unwrap_or_default();
    assert!(
        mono.starts_with("https://") && mono.ends_with("?[signed]"),
        "{call}"
    );
    assert_eq!(call["recording"]["expires_at"], "[expiry]", "{call}");
}

/// Every vendor the sandbox emulates, by its kind's name.
const VENDORS: [&str; 5] = ["happyrobot", "voicebot", "rounded", "vapi", "retell"];

/// A Ctrl-C during the demo says so, as every command does, and ends it with 130.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_the_demo_says_so() {
    use std::io::BufRead;
    let mut child = voiceport_bin()
        .args(["demo"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut errors = std::io::BufReader::new(child.stderr.take().unwrap());
    // Its first line (the sandbox's address) comes once it listens for Ctrl-C.
    let errors = tokio::task::spawn_blocking(move || {
        let mut first = String::new();
        errors.read_line(&mut first).unwrap();
        assert!(first.starts_with("sandbox on"), "{first}");
        errors
    })
    .await
    .unwrap();
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    let rest = std::io::read_to_string(errors).unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("the demo stopped"), "{rest}");
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_shows_all_five_vendors() {
    let out = run(None, &["demo"]).await;
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let header = text.lines().next().unwrap_or_default();
    for vendor in VENDORS {
        assert!(header.contains(vendor), "{text}");
    }
    assert!(text.contains("completed"), "{text}");
    // Why the rows differ where they do, under the table.
    for note in ["- end reason: ", "- listed: ", "- duration: "] {
        assert!(text.contains(note), "{note}: {text}");
    }
    let seen = json(&run(None, &["demo", "--json"]).await);
    assert_eq!(seen.as_array().unwrap().len(), 5);
    assert!(
        seen.as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "completed" && s["utterances"].as_u64() > Some(3))
    );
    // Data, not the table's text: numbers as numbers, nothing as null (not "-" or "0.7s").
    for s in seen.as_array().unwrap() {
        assert!(s["duration_secs"].is_f64() && s["listed"].is_u64(), "{s}");
        assert!(
            s["end_reason"].is_string() || s["end_reason"].is_null(),
            "{s}"
        );
        let texts = ["vendor_status", "end_reason", "first_words"].map(|key| &s[key]);
        assert!(texts.iter().all(|text| *text != "-"), "{s}");
    }
}

/// A `voiceport` process (a sandbox, a listener), killed however the test ends.
struct KilledOnDrop(std::process::Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `voiceport sandbox` with `args`; the process, and what it printed up to its last
/// line (the webhook hint).
async fn sandbox_process(args: &[String]) -> (KilledOnDrop, Vec<String>) {
    let mut server = KilledOnDrop(
        voiceport_bin()
            .arg("sandbox")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = server.0.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut lines = Vec::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let last = line.starts_with("# webhooks:");
            lines.push(line);
            if last {
                break;
            }
        }
        lines
    })
    .await
    .unwrap();
    (server, lines)
}

/// `voiceport sandbox` with its standard output in `file`: the process, and the first
/// line it said on standard error (once its configuration is written).
async fn sandbox_into(file: std::fs::File) -> (KilledOnDrop, String) {
    use std::io::BufRead;
    let mut server = KilledOnDrop(
        voiceport_bin()
            .args(["sandbox", "--port", "0"])
            .stdout(file)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = server.0.stderr.take().unwrap();
    let reading = tokio::task::spawn_blocking(move || {
        let mut said = String::new();
        std::io::BufReader::new(stderr)
            .read_line(&mut said)
            .unwrap();
        said
    });
    let said = tokio::time::timeout(std::time::Duration::from_secs(30), reading)
        .await
        .expect("the sandbox said nothing on standard error")
        .unwrap();
    (server, said)
}

/// With its configuration written to a file (`voiceport sandbox > voiceport.toml`, which
/// a shell creates readable by all), `voiceport sandbox` says on standard error that it
/// runs, and where, and makes the file its owner's alone: commands reading it do not warn
/// of the keys it holds. A file that held something already (`>> app.log`) keeps the
/// permissions its owner chose.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn sandbox_written_to_a_file_says_so_and_keeps_the_file_private() {
    use std::os::unix::fs::PermissionsExt;
    let config =
        std::env::temp_dir().join(format!("voiceport-sandbox-{}.toml", std::process::id()));
    let mode_of =
        |config: &std::path::Path| std::fs::metadata(config).unwrap().permissions().mode() & 0o777;
    let file = std::fs::File::create(&config).unwrap();
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
        .unwrap();
    let (server, said) = sandbox_into(file).await;
    assert!(
        said.starts_with("# voiceport sandbox on http://127.0.0.1:")
            && said.contains("configuration went to standard output")
            && said.contains("readable by you alone"),
        "{said}"
    );
    assert_eq!(mode_of(&config), 0o600);
    let out = run(
        None,
        &["--config", config.to_str().unwrap(), "capabilities"],
    )
    .await;
    drop(server);
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{errors}");
    assert!(!errors.contains("warning"), "{errors}");

    std::fs::write(&config, "# mine\n").unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let appended = std::fs::OpenOptions::new()
        .append(true)
        .open(&config)
        .unwrap();
    let (server, said) = sandbox_into(appended).await;
    drop(server);
    let mode = mode_of(&config);
    let _ = std::fs::remove_file(&config);
    assert_eq!(mode, 0o644);
    assert!(
        said.contains("configuration went to standard output") && !said.contains("alone"),
        "{said}"
    );
}

/// `--queued-ms`, `--ringing-ms` and `--talk-ms` set how long a dialed call's phases last:
/// queued for ten minutes, a call dialed just now is still queued.
#[tokio::test(flavor = "multi_thread")]
async fn sandbox_command_takes_the_timing_of_dialed_calls() {
    let args = ["--port", "0", "--calls", "1", "--queued-ms", "600000"].map(String::from);
    let (_server, lines) = sandbox_process(&args).await;
    let toml: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let dir = std::env::temp_dir().join(format!(
        "voiceport-cli-sandbox-timing-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("voiceport.toml");
    std::fs::write(&config, &toml).unwrap();
    let dial = [
        "-p",
        "retell",
        "calls",
        "dial",
        "--to",
        "+14155550187",
        "--json",
    ];
    let dialed = run_with(&config, &dial).await;
    assert!(dialed.status.success(), "{}", stderr(&dialed));
    let id = json(&dialed)["call_id"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let call = json(&run_with(&config, &["-p", "retell", "calls", "get", &id, "--json"]).await);
    assert_eq!(call["status"], "queued", "{call}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_command_serves_a_config_that_works_and_takes_faults() {
    let args = ["--port", "0", "--calls", "5"].map(String::from);
    let (mut server, lines) = sandbox_process(&args).await;
    assert!(
        lines[0].starts_with("# voiceport sandbox on http://127.0.0.1:"),
        "{lines:?}"
    );
    let base = lines[0]
        .trim_start_matches("# voiceport sandbox on ")
        .trim_end_matches(" (Ctrl-C to stop)")
        .to_owned();
    let hint = |start: &str| lines.iter().find(|l| l.starts_with(start)).cloned();
    let faults = hint("# faults:").unwrap_or_default();
    assert!(
        faults.contains(&format!("{base}/_sandbox/faults")),
        "{lines:?}"
    );
    assert!(
        faults.contains(&format!("{base}/_sandbox/requests/{{vendor}}")),
        "{lines:?}"
    );
    let webhooks = hint("# webhooks:").unwrap_or_default();
    assert!(
        webhooks.contains(&format!("{base}/_sandbox/webhooks/{{vendor}}")),
        "{lines:?}"
    );

    // Beside it, how a dialed call ends by the number's last digit (a first dial that
    // fails with no transcript is no way to meet the sandbox).
    assert!(
        lines.iter().any(|l| l.starts_with("#   3    failed")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("+14155550187")),
        "{lines:?}"
    );

    // What it prints, saved whole, is a working voiceport.toml.
    let toml: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let dir = std::env::temp_dir().join(format!("voiceport-cli-standalone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("voiceport.toml");
    std::fs::write(&config, toml).unwrap();
    let list = || {
        let config = config.clone();
        async move {
            let mut command = voiceport_bin();
            command
                .arg("--config")
                .arg(config)
                .args(["-p", "rounded", "--json", "calls", "list"]);
            output(command).await
        }
    };
    let calls = json(&list().await);
    assert_eq!(calls["calls"].as_array().map(Vec::len), Some(5), "{calls}");
    // Its `default` picks a provider without `-p`.
    assert!(
        lines.contains(&"default = \"happyrobot\"".to_owned()),
        "{lines:?}"
    );
    let calls = json(&run_with(&config, &["--json", "calls", "list"]).await);
    assert_eq!(calls["calls"].as_array().map(Vec::len), Some(5), "{calls}");
    assert_eq!(calls["calls"][0]["provider"], "happyrobot", "{calls}");
    // …for every vendor it prints a provider for.
    for vendor in VENDORS {
        assert!(
            lines.contains(&format!("[providers.{vendor}]")),
            "{vendor}: {lines:?}"
        );
        let mut command = voiceport_bin();
        command
            .arg("--config")
            .arg(&config)
            .args(["-p", vendor, "--json", "calls", "list"]);
        let out = output(command).await;
        let calls = json(&out);
        assert_eq!(
            calls["calls"].as_array().map(Vec::len),
            Some(5),
            "{vendor}: {calls}"
        );
    }

    // A fault armed over HTTP reaches the next command; clearing it restores service.
    let http = http_client();
    let armed = http
        .post(format!("{base}/_sandbox/faults"))
        .json(&serde_json::json!({"fault": "status", "status": 503, "vendor": "rounded", "times": 1000}))
        .send()
        .await
        .unwrap();
    assert_eq!(armed.status().as_u16(), 201);
    let failed = list().await;
    assert_eq!(
        failed.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    assert!(String::from_utf8_lossy(&failed.stderr).contains("503"));
    let cleared = http
        .delete(format!("{base}/_sandbox/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status().as_u16(), 204);
    assert!(list().await.status.success());
    let _ = std::fs::remove_dir_all(dir);

    #[cfg(unix)]
    {
        // A service manager's SIGTERM stops it as Ctrl-C does, with 0.
        let pid = server.0.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = tokio::task::spawn_blocking(move || server.0.wait().unwrap())
            .await
            .unwrap();
        assert_eq!(status.code(), Some(0), "{status:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_with_webhooks_posts_signed_deliveries_its_printed_config_verifies() {
    // Where the deliveries go: a receiver that takes everything and records it.
    let receiver = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(204))
        .mount(&receiver)
        .await;
    let args = ["--port", "0", "--calls", "2", "--webhooks"].map(String::from);
    let args = [&args[..], &[format!("{}/", receiver.uri())]].concat();
    let (_server, lines) = sandbox_process(&args).await;
    let hint = lines.last().cloned().unwrap_or_default();
    assert!(
        hint.contains(&format!("{}/webhooks/{{vendor}}", receiver.uri())),
        "{hint}"
    );
    let toml: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let registry = voiceport::Registry::from_toml_str(&toml).unwrap();
    let dir = std::env::temp_dir().join(format!(
        "voiceport-cli-sandbox-hooks-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("voiceport.toml");
    std::fs::write(&config, &toml).unwrap();
    let dial = ["-p", "voicebot", "calls", "dial", "--to", "+14155550187"];
    let dialed = run_with(&config, &dial).await;
    assert!(
        dialed.status.success(),
        "{}",
        String::from_utf8_lossy(&dialed.stderr)
    );
    // The call's end-of-call report arrives, and the printed configuration verifies it.
    let verifier = registry
        .file()
        .get("voicebot")
        .unwrap()
        .webhook_verifier()
        .unwrap()
        .unwrap();
    let mut report = None;
    for _ in 0..200 {
        let received = receiver.received_requests().await.unwrap_or_default();
        report = received
            .into_iter()
            .find(|r| String::from_utf8_lossy(&r.body).contains("end-of-call-report"));
        if report.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let report = report.expect("no end-of-call report was delivered");
    assert_eq!(report.url.path(), "/webhooks/voicebot");
    assert_eq!(verifier.verify(&report.headers, &report.body), Ok(()));

    // The printed tables are what each vendor can deliver: Rounded's agents send no
    // headers (the secret is in the URL), Retell signs with the API key.
    for (vendor, proof) in [("rounded", "token="), ("retell", "x-retell-signature")] {
        let dial = ["-p", vendor, "calls", "dial", "--to", "+14155550187"];
        let dialed = run_with(&config, &dial).await;
        assert!(dialed.status.success(), "{vendor}: {}", stderr(&dialed));
        let table = registry.file().get(vendor).unwrap();
        let verifier = table.webhook_verifier().unwrap().unwrap();
        let path = format!("/webhooks/{vendor}");
        let mut delivery = None;
        for _ in 0..200 {
            let received = receiver.received_requests().await.unwrap_or_default();
            delivery = received.into_iter().find(|r| r.url.path() == path);
            if delivery.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let delivery = delivery.unwrap_or_else(|| panic!("nothing was delivered for {vendor}"));
        let query = delivery.url.query();
        let carried =
            query.is_some_and(|q| q.contains(proof)) || delivery.headers.contains_key(proof);
        assert!(carried, "{vendor}: {:?} {:?}", query, delivery.headers);
        assert!(
            !delivery.headers.contains_key("x-webhook-secret"),
            "{vendor}"
        );
        let verified = verifier.verify_request(query, &delivery.headers, &delivery.body);
        assert_eq!(verified, Ok(()), "{vendor}");
    }
    let retell = registry.file().get("retell").unwrap();
    let table = retell.webhook.as_ref().expect("a webhook table");
    assert!(table.secret.is_none(), "Retell signs with the API key");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_refuses_a_webhooks_url_it_cannot_extend() {
    for url in [
        "http://",
        "ftp://127.0.0.1/hooks",
        "http://127.0.0.1:8787/h?token=1",
        "hooks",
    ] {
        let out = run(None, &["sandbox", "--port", "0", "--webhooks", url]).await;
        assert_eq!(out.status.code(), Some(2), "{url}");
        let errors = String::from_utf8_lossy(&out.stderr);
        assert!(errors.contains("--webhooks"), "{url}: {errors}");
    }
}

/// `export | head -1`: the reader closes the pipe long before the export is written; the
/// export ends quietly with 0, as every other command does.
#[tokio::test(flavor = "multi_thread")]
async fn export_into_a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    let kind = voiceport::ProviderKind::HappyRobot;
    // Far more than a pipe holds (each line is a whole normalized call).
    let sandbox = Sandbox::builder().calls(kind, 400).start().await.unwrap();
    let config = private_config("pipe", &sandbox.provider_toml("hr", kind));
    let mut child = spawn_piped(&config, &["export", "--page-size", "50"]);
    let stdout = child.stdout.take().unwrap();
    let first = tokio::task::spawn_blocking(move || {
        let mut first = String::new();
        BufReader::new(stdout).read_line(&mut first).unwrap();
        first
    })
    .await
    .unwrap();
    assert!(first.starts_with('{'), "{first}");
    // The pipe is closed now: the export ends, quietly.
    let output = wait_output(child).await;
    let errors = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{errors}");
    assert!(!errors.contains("error"), "{errors}");
}

/// An export whose output file cannot grow (a full disk; here, a limit on the size of the
/// files the process writes) stops, cuts the file back to its last whole page, and prints
/// the cursor after it: resumed with `--append`, the file is what an export that never
/// failed writes. For one provider and for several merged.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn an_export_that_cannot_write_keeps_whole_pages_and_resumes_after_them() {
    let env = env().await;
    let dir = env.config.parent().unwrap().to_owned();
    let cases: [(&str, &[&str]); 2] = [
        ("one", &["-p", "voicebot", "export"]),
        ("merged", &["export", "--providers", "voicebot,rounded"]),
    ];
    for (case, command) in cases {
        let args = |path: &std::path::Path| -> Vec<String> {
            let mut args: Vec<String> = command.iter().map(|a| a.to_string()).collect();
            args.extend(["--page-size", "7", "-o"].map(String::from));
            args.push(path.display().to_string());
            args
        };
        let run_with = |args: Vec<String>, limit: Option<u64>| {
            let mut command = voiceport_bin();
            command.arg("--config").arg(&env.config).args(args);
            if let Some(bytes) = limit {
                limit_file_size(&mut command, bytes);
            }
            output(command)
        };
        let full_path = dir.join(format!("full-{case}.jsonl"));
        let out = run_with(args(&full_path), None).await;
        assert!(out.status.success(), "{case}: {}", stderr(&out));
        let full = std::fs::read_to_string(&full_path).unwrap();
        let rows: Vec<&str> = full.split_inclusive('\n').collect();
        assert!(rows.len() > 20, "{case}: {} rows", rows.len());
        // The limit falls inside the third page: its first two rows and half the third
        // fit, and two pages (14 calls) are whole.
        let limit = rows[..16].concat().len() + rows[16].len() / 2;
        let cut_path = dir.join(format!("cut-{case}.jsonl"));
        let out = run_with(args(&cut_path), Some(limit as u64)).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{case}: {err}");
        assert!(
            err.contains(
                "the rows after the last whole page were removed; 14 calls of this export are in it"
            ),
            "{case}: {err}"
        );
        assert_eq!(
            std::fs::read_to_string(&cut_path).unwrap(),
            rows[..14].concat(),
            "{case}"
        );
        let advice = err
            .split("run the same command with --cursor ")
            .nth(1)
            .unwrap_or_else(|| panic!("{case}: no cursor in {err}"));
        let cursor = advice.split_whitespace().next().unwrap().trim_matches('\'');
        assert!(advice.contains("--append"), "{case}: {err}");
        let mut resume = args(&cut_path);
        resume.extend(["--cursor", cursor, "--append"].map(String::from));
        let out = run_with(resume, None).await;
        assert!(out.status.success(), "{case}: {}", stderr(&out));
        assert_eq!(std::fs::read_to_string(&cut_path).unwrap(), full, "{case}");
    }
}

/// Limits the size of the files `command`'s process writes to `bytes`: a write past it
/// fails (`EFBIG`), as on a full disk, rather than ending the process (`SIGXFSZ`, ignored).
#[cfg(target_os = "linux")]
fn limit_file_size(command: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only async-signal-safe calls are made (`signal`,
    // `setrlimit`), on values copied in, with no allocation.
    unsafe {
        command.pre_exec(move || {
            if libc::signal(libc::SIGXFSZ, libc::SIG_IGN) == libc::SIG_ERR {
                return Err(std::io::Error::last_os_error());
            }
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// A walk stuck writing to an output nobody reads cannot hear a stop request: it is ended
/// for it, 2 s after a second Ctrl-C, or 15 s after a lone SIGTERM (a service manager
/// sends one), with the interruption's exit code, saying why.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_walk_stuck_on_an_unread_output_is_ended_after_a_stop_request() {
    use std::io::{BufRead, BufReader};
    let kind = voiceport::ProviderKind::HappyRobot;
    let sandbox = Sandbox::builder().calls(kind, 3_000).start().await.unwrap();
    let config = private_config("stuck", &sandbox.provider_toml("hr", kind));
    let signal = |child: &std::process::Child, name: &str| {
        let sent = Command::new("kill")
            .args([name, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    };
    for signals in [&["-INT", "-INT"][..], &["-TERM"]] {
        let mut child = spawn_piped(
            &config,
            &["calls", "list", "--all", "--json", "--limit", "1000"],
        );
        // One line read, then nothing: the pipe fills and the walk blocks writing.
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let (reader, first) = tokio::task::spawn_blocking(move || {
            let mut first = String::new();
            reader.read_line(&mut first).unwrap();
            (reader, first)
        })
        .await
        .unwrap();
        assert!(first.starts_with('{'), "{first}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        // Two seconds apart: requests of one kind that come before the watchdog takes the
        // first count as one, and its thread may wait that long on a loaded machine.
        for name in signals {
            signal(&child, name);
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
        let out = wait_output(child).await;
        drop(reader);
        let expected = if signals == ["-TERM"] { 143 } else { 130 };
        let errors = stderr(&out);
        assert_eq!(out.status.code(), Some(expected), "{signals:?}: {errors}");
        assert!(errors.contains("quitting now"), "{signals:?}: {errors}");
        // Ended for the second Ctrl-C, not for the first one's longer grace.
        let after = if signals == ["-TERM"] {
            "after the stop request"
        } else {
            "after a second stop request"
        };
        assert!(errors.contains(after), "{signals:?}: {errors}");
    }
}

/// A `listen` process run with `args`, for one Voicebot Studio provider `support` whose
/// header secret is `secret`, whose standard error is read for its first line only (the
/// address it listens on, returned) and then left alone; its standard output, when
/// `printed` is given, read throughout into it.
#[cfg(unix)]
async fn listen_unread(
    secret: &str,
    args: &[&str],
    printed: Option<std::sync::mpsc::Sender<String>>,
) -> (
    KilledOnDrop,
    String,
    std::io::BufReader<std::process::ChildStderr>,
) {
    use std::io::{BufRead, Read};
    let config = private_config(
        "stuck-listen",
        &format!(
            "[providers.support]\nkind = \"voicebot\"\napi_key = \"k\"\n\
             [providers.support.webhook]\nsecret = \"{secret}\"\n"
        ),
    );
    let args = [&["listen", "--port", "0"], args].concat();
    let mut child = KilledOnDrop(spawn_piped(&config, &args));
    if let (Some(printed), Some(mut out)) = (printed, child.0.stdout.take()) {
        std::thread::spawn(move || {
            let mut all = String::new();
            let _ = out.read_to_string(&mut all);
            let _ = printed.send(all);
        });
    }
    let mut said = std::io::BufReader::new(child.0.stderr.take().unwrap());
    let (said, first) = tokio::task::spawn_blocking(move || {
        let mut first = String::new();
        said.read_line(&mut first).unwrap();
        (said, first)
    })
    .await
    .unwrap();
    let address = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    (child, address, said)
}

/// Posts 16 deliveries at a time, `batches` times, each `delivery(n)` (a request builder
/// for the n-th), and checks each is answered `status`.
#[cfg(unix)]
async fn post_in_batches(
    batches: usize,
    status: u16,
    delivery: impl Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder,
) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    for batch in 0..batches {
        let posts = (0..16).map(|n| delivery(&client, batch * 16 + n).send());
        for answer in futures::future::join_all(posts).await {
            let answer = answer.unwrap_or_else(|e| panic!("batch {batch}: no answer: {e}"));
            assert_eq!(answer.status(), status, "batch {batch}");
        }
    }
}

/// Reads standard error again, sends Ctrl-C, and returns what standard error said once
/// `listen` has ended, with 0, within 20 seconds.
#[cfg(unix)]
async fn interrupt_and_read(
    mut child: KilledOnDrop,
    said: std::io::BufReader<std::process::ChildStderr>,
) -> String {
    use std::io::Read;
    let reading = tokio::task::spawn_blocking(move || {
        let mut rest = String::new();
        let mut said = said;
        let _ = said.read_to_string(&mut rest);
        rest
    });
    let pid = child.0.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(sent.success());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "still running after Ctrl-C"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(status.code(), Some(0), "{status:?}");
    reading.await.unwrap()
}

/// A flood of forged deliveries to `listen`, whose standard error nobody reads, is
/// answered whole, and warned of ten times (a minute, per provider): a forger cannot
/// bury the log; nor can requests to other paths (ten warnings a minute too). Ctrl-C then
/// ends it with 0.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn listen_warns_of_a_flood_of_forgeries_ten_times() {
    let (child, address, said) = listen_unread("listen-secret-47", &[], None).await;
    // Forged deliveries (no secret): 800 of them, each answered. Few enough to be sent
    // well within the minute the ten warnings are counted over (a minute begun when the
    // receiver was built: a slow start and flood would see an eleventh warning).
    let url = format!("http://{address}/webhooks/support");
    post_in_batches(50, 401, |client, _| client.post(&url).body("{}")).await;
    // So are requests to paths it does not serve (a scanner's).
    let elsewhere = |n: usize| format!("http://{address}/scan/{n}");
    post_in_batches(4, 404, |client, n| client.get(elsewhere(n))).await;
    let rest = interrupt_and_read(child, said).await;
    assert_eq!(
        rest.matches("webhook delivery refused").count(),
        10,
        "{rest:.800}"
    );
    assert_eq!(
        rest.matches("deliveries go to /webhooks/NAME").count(),
        10,
        "{rest:.800}"
    );
}

/// `listen` whose standard error nobody reads (a paused terminal, a full pipe) keeps
/// answering deliveries: its log lines, and the warning for each event the local app of
/// `--forward` did not take, are written by a thread of their own, and past the queue's
/// bound dropped and counted. With standard error not read, verified deliveries whose
/// forward fails are still answered (500, each); once it is read again, the count of
/// dropped lines is said, and Ctrl-C still ends `listen` with 0.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn listen_answers_failed_forwards_while_its_standard_error_is_not_read() {
    // Nothing listens on the port: every forward fails at once. Standard output (the
    // events) is read throughout: only standard error is left alone.
    let (printed, events) = std::sync::mpsc::channel();
    let refusing = RefusingPort::new();
    let forward = format!("http://127.0.0.1:{}/events", refusing.port());
    let args = ["--forward", forward.as_str()];
    let (child, address, said) = listen_unread("listen-secret-53", &args, Some(printed)).await;
    // Each a status update of a call of its own, so that none is a duplicate of another:
    // a warning of about 250 bytes each, far more than a pipe (64 KiB) and the queue
    // (4,096 lines) hold together.
    let url = format!("http://{address}/webhooks/support");
    post_in_batches(300, 500, |client, n| {
        let call = format!("0199e4b2-5c3a-7d11-9e0f-{n:012x}");
        let body = format!(
            r#"{{"message":{{"type":"status-update","status":"in-progress","timestamp":1764590400000,"call":{{"id":"{call}"}}}}}}"#
        );
        client
            .post(&url)
            .header("x-vapi-secret", "listen-secret-53")
            .body(body)
    })
    .await;
    // Standard error is read again: what was queued comes out, and the count of the rest.
    let rest = interrupt_and_read(child, said).await;
    assert!(rest.contains("the vendor is answered 500"), "{rest:.400}");
    // With what failed: reqwest says it in the error's causes only.
    let first = rest.lines().find(|line| line.contains("forwarding to"));
    assert!(
        first.is_some_and(|line| line.to_lowercase().contains("connection refused")),
        "{first:?}"
    );
    assert!(
        rest.contains("log lines were dropped while standard error was not being read"),
        "{}",
        &rest[rest.len().saturating_sub(400)..]
    );
    // The count of events the app did not take is said last, not dropped with the
    // warnings that did not fit in the queue.
    let last = rest.lines().last().unwrap_or_default();
    assert!(
        last.contains("4800 events printed as not forwarded were not taken by"),
        "{last}"
    );
    // Every event was printed, marked as not forwarded.
    let events = events.recv().unwrap();
    assert_eq!(events.lines().count(), 300 * 16, "{events:.400}");
}

#[tokio::test(flavor = "multi_thread")]
async fn listen_refuses_a_forward_url_it_cannot_post_to() {
    let config = vendor_config(
        "voicebot",
        "http://127.0.0.1:9",
        "[providers.x.webhook]\nsecret = \"s\"\n",
    );
    for url in ["localhost:3000/events", "ftp://127.0.0.1/events", "events"] {
        let out = run_with(&config, &["listen", "--port", "0", "--forward", url]).await;
        assert_eq!(out.status.code(), Some(2), "{url}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("--forward"),
            "{url}: {}",
            stderr(&out)
        );
        // Refused before anything listens.
        assert!(!stderr(&out).contains("listening on"), "{}", stderr(&out));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn check_runs_the_read_only_suite_and_one_dial_when_asked() {
    let env = env().await;
    for vendor in VENDORS {
        let kind: voiceport::ProviderKind = vendor.parse().unwrap();
        let dialed_before = env._sandbox.dialed_count(kind);
        // Read-only: nothing dialed, nothing written, every case in the table.
        let out = run(Some(&env), &["check", "-p", vendor]).await;
        let text = stdout(&out);
        assert!(
            out.status.success(),
            "{vendor}: {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("get_call"), "{text}");
        assert!(text.contains("read-only run"), "{text}");
        assert!(text.contains("no number to dial"), "{text}");
        assert!(text.contains(" 0 failed"), "{text}");
        assert_eq!(
            env._sandbox.dialed_count(kind),
            dialed_before,
            "{vendor}: the read-only run dialed"
        );
        // With --dial: the dial case runs and passes, the wait for a person said first.
        let dialed = run(
            Some(&env),
            &["check", "-p", vendor, "--dial", "+14155550199", "--json"],
        )
        .await;
        let said = stderr(&dialed);
        assert!(
            said.lines().any(|line| line
                .starts_with("the dial case calls +14155550199 and waits up to 10 minutes")),
            "{said}"
        );
        // The call placed is named, to be found in the account's history.
        assert!(
            said.lines()
                .any(|line| line.starts_with("the dial case placed call ")),
            "{said}"
        );
        let report = json(&dialed);
        let cases = report["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 33, "{report}");
        let dial = cases
            .iter()
            .find(|c| c["case"] == "dial, then wait for the end")
            .unwrap();
        assert_eq!(dial["outcome"], "passed", "{report}");
        // One real call: the scheduled dial (a second call) is left to runs that may write.
        let scheduled = cases
            .iter()
            .find(|c| c["case"] == "dial scheduled")
            .unwrap();
        assert_ne!(scheduled["outcome"], "passed", "{report}");
        assert!(cases.iter().all(|c| c["outcome"] != "failed"), "{report}");
        assert_eq!(
            env._sandbox.dialed_count(kind),
            dialed_before + 1,
            "{vendor}: --dial places one call"
        );
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn listen_does_not_follow_a_redirect_of_the_forward_url() {
    // Where the redirect points: it must see nothing.
    let elsewhere = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(204))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let app = wiremock::MockServer::start().await;
    for status in [302, 307] {
        wiremock::Mock::given(wiremock::matchers::method("POST"))
            .respond_with(
                wiremock::ResponseTemplate::new(status)
                    .insert_header("location", format!("{}/events", elsewhere.uri())),
            )
            .up_to_n_times(1)
            .mount(&app)
            .await;
    }
    let forward = format!("{}/events", app.uri());
    let args = ["--forward", forward.as_str()];
    let mut listener = Listener::start("listen-redirect", &args, std::process::Stdio::null()).await;
    let url = format!("http://{}/webhooks/support", listener.address().await);
    let body = std::fs::read(voicebot_fixture("webhook_end_of_call_report.json")).unwrap();
    for _ in 0..2 {
        let answer = http_client()
            .post(&url)
            .header("x-vapi-secret", "listen-secret-31")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        // The event did not reach the app: the vendor is asked to send it again.
        assert_eq!(answer.status(), 500);
        let warning = listener.next_line().await;
        assert!(warning.contains("redirects are not followed"), "{warning}");
    }
    elsewhere.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn listen_prints_verified_events_and_forwards_them() {
    use std::io::BufRead;
    // The local app `--forward` posts to: down for the first event, then up.
    let app = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/events"))
        .respond_with(wiremock::ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app)
        .await;
    // It answers one tool call with its result (and the other with 204, no answer).
    let results = serde_json::json!({"results": [{"toolCallId": "call_1", "result": "booked"}]});
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/events"))
        .and(wiremock::matchers::body_string_contains(
            "call_7HcUe2pTqM0sVn4YbRk1LwJa",
        ))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(&results))
        .with_priority(2)
        .mount(&app)
        .await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/events"))
        .respond_with(wiremock::ResponseTemplate::new(204))
        .mount(&app)
        .await;
    let config = private_config(
        "listen",
        "[providers.support]\nkind = \"voicebot\"\napi_key = \"k\"\n\
         [providers.support.webhook]\nsecret = \"listen-secret-31\"\n\
         [providers.other]\nkind = \"rounded\"\napi_key = \"k\"\n",
    );
    let mut child = KilledOnDrop(
        voiceport_bin()
            .arg("--config")
            .arg(&config)
            // `localhost` is taken as the loopback address (no name is looked up).
            .args([
                "listen",
                "--bind",
                "localhost",
                "--port",
                "0",
                "--json",
                "--forward",
            ])
            .arg(format!("{}/events", app.uri()))
            // A proxy that answers nothing: the local app is reached without it.
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .env("http_proxy", "http://127.0.0.1:9")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Standard error, line by line, read for as long as the listener runs.
    let stderr = child.0.stderr.take().unwrap();
    let (errors, mut error_lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = errors.send(line);
        }
    });
    let mut next_error_line = async || {
        tokio::time::timeout(std::time::Duration::from_secs(10), error_lines.recv())
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    };
    let banner = next_error_line().await;
    assert!(banner.contains("for: support"), "{banner}");
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .replace("{provider}", "support");
    let body = std::fs::read(voicebot_fixture("webhook_end_of_call_report.json")).unwrap();
    let post = |secret: &'static str| {
        http_client()
            .post(&url)
            .header("x-vapi-secret", secret)
            .body(body.clone())
            .send()
    };
    assert_eq!(post("wrong").await.unwrap().status(), 401);
    // A refused delivery is said on standard error without -v, and without the secret.
    let refused = next_error_line().await;
    assert!(refused.contains("refused"), "{refused}");
    assert!(!refused.contains("listen-secret-31"), "{refused}");
    // So is a delivery to a path it does not serve (a segment too many).
    let doubled = url.replace("/support", "/hooks/support");
    let wrong_path = http_client().post(&doubled).body(body.clone()).send();
    assert_eq!(wrong_path.await.unwrap().status(), 404);
    let said = next_error_line().await;
    assert!(
        said.contains("refused") && said.contains("/hooks/support"),
        "{said}"
    );
    // The local app is down: the vendor hears of it, and its retry goes through.
    let refused_by_app = post("listen-secret-31").await.unwrap();
    assert_eq!(refused_by_app.status(), 500);
    let told = refused_by_app.text().await.unwrap();
    assert!(
        !told.contains(&app.uri()),
        "the vendor is not told the local URL: {told}"
    );
    let warning = next_error_line().await;
    assert!(warning.contains("503"), "{warning}");
    assert_eq!(post("listen-secret-31").await.unwrap().status(), 204);
    // The event was printed as not forwarded: that the retry was taken is said.
    let note = next_error_line().await;
    assert!(
        note.contains("printed earlier as not forwarded") && note.contains("retry"),
        "{note}"
    );
    // A Voicebot Studio fixture, delivered with the right secret.
    let deliver = async |fixture: &str| {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/voicebot");
        let body = std::fs::read(format!("{root}/{fixture}.json")).unwrap();
        http_client()
            .post(&url)
            .header("x-vapi-secret", "listen-secret-31")
            .body(body)
            .send()
            .await
            .unwrap()
    };
    // Another event, so that a second line would show a retried event printed twice.
    assert_eq!(deliver("webhook_status_update").await.status(), 204);
    // A request the vendor waits on gets the local app's answer.
    let answered = deliver("webhook_tool_calls_string_arguments").await;
    assert_eq!(answered.status(), 200);
    let answer: Value = serde_json::from_str(&answered.text().await.unwrap()).unwrap();
    assert_eq!(answer, results);
    // The same request again (the vendor's retry) is the app's to answer again: posted to
    // it again, not taken for an event it has had.
    let again = deliver("webhook_tool_calls_string_arguments").await;
    assert_eq!(again.status(), 200);
    let answer: Value = serde_json::from_str(&again.text().await.unwrap()).unwrap();
    assert_eq!(answer, results);
    // A local app that answers a request without a JSON object leaves it unanswered, and
    // that is said.
    let unanswered = deliver("webhook_tool_calls_object_arguments").await;
    assert_eq!(unanswered.status(), 204);
    let said = next_error_line().await;
    assert!(said.contains("without a JSON object"), "{said}");
    let stdout = child.0.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        let mut reader = std::io::BufReader::new(stdout);
        let mut read = || {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            serde_json::from_str::<Value>(&line).unwrap()
        };
        [read(), read()]
    })
    .await
    .unwrap();
    let [mut record, mut next] = lines;
    // Printed once, when the app did not take it; the other, taken at once.
    let forwarded = |record: &mut Value| record.as_object_mut().unwrap().remove("forwarded");
    assert_eq!(forwarded(&mut record), Some(Value::Bool(false)), "{record}");
    assert_eq!(forwarded(&mut next), Some(Value::Bool(true)), "{next}");
    assert_eq!(record["provider_name"], "support");
    assert_eq!(record["event"]["vendor_event"], "end-of-call-report");
    assert_eq!(record["event"]["event"], "ended");
    assert_eq!(
        next["event"]["vendor_event"], "status-update",
        "the retried report is printed once"
    );
    // Both attempts of the report, then the status update and the three tool calls, were
    // forwarded before the vendor was answered; the tool calls say they wait on an answer.
    let forwarded = app.received_requests().await.unwrap();
    assert_eq!(forwarded.len(), 6);
    let sent: Vec<Value> = (forwarded.iter())
        .map(|attempt| serde_json::from_slice(&attempt.body).unwrap())
        .collect();
    assert_eq!(sent[..3], [record.clone(), record, next]);
    for tool_calls in &sent[3..] {
        assert_eq!(tool_calls["event"]["vendor_event"], "tool-calls");
        assert_eq!(tool_calls["event"]["expects_reply"], true);
    }
    assert_eq!(sent[2]["event"].get("expects_reply"), None);
    // An app written in Rust reads each body back with voiceport's own type.
    for attempt in &forwarded {
        let read: voiceport::webhooks::Forwarded = serde_json::from_slice(&attempt.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&attempt.body)));
        assert_eq!(read.provider_name, "support");
        assert_eq!(read.provider, voiceport::ProviderKind::Voicebot);
    }
    let report: voiceport::webhooks::Forwarded =
        serde_json::from_slice(&forwarded[0].body).unwrap();
    assert!(matches!(
        report.event.kind,
        voiceport::EventKind::Ended { .. }
    ));
    assert_eq!(
        report.event.call().map(|call| call.status),
        Some(voiceport::CallStatus::Completed)
    );
    // The report's two attempts carry one idempotency key, the status update another; a
    // request one of its own, the same when it comes again (it is handed over each time).
    let key = |i: usize| {
        let value = forwarded[i].headers.get("idempotency-key");
        value.map(|v| v.to_str().unwrap().to_owned())
    };
    let report_key = key(0).expect("an idempotency key");
    assert_eq!(report_key.len(), 64);
    assert!(report_key.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(key(1), Some(report_key.clone()));
    assert!(key(2).is_some_and(|other| other != report_key));
    let keys: std::collections::BTreeSet<Option<String>> = (0..6).map(key).collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
    assert!(key(3).is_some() && key(5).is_some());
    assert_eq!(key(3), key(4));
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_with_webhooks_shows_the_events_of_each_vendor() {
    let out = run(None, &["demo", "--webhooks"]).await;
    let text = stdout(&out);
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}\n{errors}");
    // The table, then the events the receiver took, one line each.
    let header = text.lines().next().unwrap_or_default();
    for vendor in VENDORS {
        assert!(header.contains(vendor), "{text}");
    }
    let (_, events) = text
        .split_once("webhooks received:")
        .unwrap_or_else(|| panic!("no webhook section: {text}"));
    for (vendor, end) in [
        ("happyrobot", " end "),
        ("voicebot", "end-of-call-report"),
        ("rounded", "event_phone_call_ended"),
        ("vapi", "end-of-call-report"),
        ("retell", "call_ended"),
    ] {
        assert!(
            events
                .lines()
                .any(|l| l.starts_with(vendor) && l.contains(end) && l.contains("completed")),
            "{vendor}: {events}"
        );
    }
    // …and as they arrived, beside the dials; the Vapi assistant's tool call was answered
    // (the demo's seed gives that call a tool).
    assert!(errors.contains("← webhook"), "{errors}");
    let tool_call = errors.lines().find(|l| l.contains("tool-calls"));
    assert!(
        tool_call.is_some_and(|l| l.starts_with("vapi") && l.ends_with("→ answered")),
        "{errors}"
    );

    // With --json: the calls of the table, and for each an end event about the same call.
    let seen = json(&run(None, &["demo", "--webhooks", "--json"]).await);
    let calls = seen["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 5, "{seen}");
    let webhooks = seen["webhooks"].as_array().unwrap();
    for call in calls {
        let ended: Vec<&Value> = webhooks
            .iter()
            .filter(|w| w["kind"] == call["vendor"] && w["event"]["event"] == "ended")
            .collect();
        // Retell ends a call twice: `call_ended`, then `call_analyzed` with the analysis.
        let ends = if call["vendor"] == "retell" { 2 } else { 1 };
        assert_eq!(ended.len(), ends, "{}: {seen}", call["vendor"]);
        for end in ended {
            assert_eq!(end["event"]["call_id"], call["call_id"]);
            assert_eq!(end["event"]["call"]["status"], call["status"]);
        }
    }
}

// ---- Hardening: hostile servers, hostile payloads, careless operators (issue 14) ----

/// The key the configs below hold; asserted never to be printed.
const HOSTILE_KEY: &str = "sk-live-4f9a8b7c6d5e3f21";
const ROUNDED_CALL: &str = "c339f184-2c0c-4d58-a928-bccda6079bf4";
const HAPPYROBOT_CALL: &str = "65a1f0c2b3d4e5f601234567";

/// A config file (readable by its owner only) with one provider of `kind` at `base_url`,
/// without retries; `extra` is appended (more tables).
fn vendor_config(kind: &str, base_url: &str, extra: &str) -> PathBuf {
    let options = if kind == "rounded" {
        "[providers.x.options]\nfrom_number = \"+16175550142\"\nagent_id = \"3407d20e-0e63-4a9f-9837-dd4df2fa2aee\"\n"
    } else {
        ""
    };
    private_config(
        "hostile",
        &format!(
            "[providers.x]\nkind = \"{kind}\"\napi_key = \"{HOSTILE_KEY}\"\nbase_url = \"{base_url}\"\n\
             [providers.x.retry]\nmax_attempts = 1\n{options}{extra}"
        ),
    )
}

async fn run_with(config: &std::path::Path, args: &[&str]) -> Output {
    let mut command = voiceport_bin();
    command.arg("--config").arg(config).args(args);
    output(command).await
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A Rounded list body: `ids` as calls (made-up values), and `next` as the cursor.
fn rounded_page(ids: &[&str], next: Option<&str>) -> Value {
    let calls: Vec<Value> = ids
        .iter()
        .map(|id| {
            serde_json::json!({
                "id": id, "type": "phone_call", "status": "completed",
                "start_time": "2026-03-23T17:58:40Z", "end_time": "2026-03-23T17:59:24Z",
                "duration_seconds": 44, "from_number": "+16175550142",
                "to_number": "+16175550120", "direction": "outbound"
            })
        })
        .collect();
    serde_json::json!({"message": "Calls retrieved successfully", "data": calls,
                       "error": null, "status": 200, "next_cursor": next})
}

/// `--vendor-json` piped is the vendor's JSON as it came (its key order, its numbers), with
/// only what a terminal would act on escaped (a C1 control, a bidirectional override).
#[tokio::test(flavor = "multi_thread")]
async fn vendor_json_is_the_vendor_s_text_as_it_came() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::path};
    let server = MockServer::start().await;
    let id = "65f2a1b3c4d5e6f708192a3b";
    let name = "A\u{9b}2J \u{202e}B";
    let sent = format!(
        r#"{{"status":"Completed","id":"{id}","duration":64.10,"big":123456789012345678901,"name":"{name}"}}"#
    );
    Mock::given(path(format!("/calls/{id}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(sent.clone().into_bytes(), "application/json"),
        )
        .mount(&server)
        .await;
    let config = vendor_config("happyrobot", &server.uri(), "");
    let out = run_with(&config, &["calls", "get", id, "--vendor-json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let expected = sent
        .replace('\u{9b}', "\\u009b")
        .replace('\u{202e}', "\\u202e");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{expected}\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ids_and_values_refused_locally_exit_2_and_send_nothing() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let rounded = vendor_config("rounded", &server.uri(), "");
    let happyrobot = vendor_config("happyrobot", &server.uri(), "");
    // Each with what names its refusal: exit 2 alone is also any usage error.
    let cases: Vec<(&PathBuf, Vec<&str>, &str)> = vec![
        (
            &rounded,
            vec!["calls", "end", ".."],
            "call id \"..\" is malformed",
        ),
        (
            &rounded,
            vec!["calls", "get", "."],
            "call id \".\" is malformed",
        ),
        (
            &rounded,
            vec!["calls", "get", ""],
            "call id \"\" is malformed",
        ),
        (
            &happyrobot,
            vec!["calls", "delete", ".."],
            "call id \"..\" is malformed",
        ),
        (
            &happyrobot,
            vec!["notes", "delete", HAPPYROBOT_CALL, ".."],
            "note id \"..\" is malformed",
        ),
        (
            &happyrobot,
            vec!["notes", "update", HAPPYROBOT_CALL, "a\u{1b}b", "text"],
            "note id \"a\\u{1b}b\" is malformed",
        ),
        (
            &rounded,
            vec!["calls", "dial", "--to", " "],
            "expected an E.164 number",
        ),
        // Said by its flag, not by the library's field (`max_duration_secs`).
        (
            &rounded,
            vec![
                "calls",
                "dial",
                "--to",
                "+16175550120",
                "--max-duration",
                "0",
            ],
            "'--max-duration <SECONDS>'",
        ),
        // Not E.164: a vendor may dial what it makes of it.
        (
            &rounded,
            vec!["calls", "dial", "--to", "12345"],
            "expected an E.164 number",
        ),
        // The caller id too, when it is a phone number.
        (
            &rounded,
            vec![
                "calls",
                "dial",
                "--to",
                "+16175550120",
                "--from",
                "617-555-0142",
            ],
            "expected an E.164 number",
        ),
        // `--limit 0` would fetch one call, print none, and skip it: refused by name.
        (
            &rounded,
            vec!["calls", "list", "--limit", "0"],
            "'--limit <LIMIT>'",
        ),
        (
            &rounded,
            vec!["export", "--page-size", "0"],
            "'--page-size <PAGE_SIZE>'",
        ),
        // A filter value its help does not offer, named with every value it takes.
        (
            &rounded,
            vec!["calls", "list", "--status", "completed,bogus"],
            "--status: unknown call status \"bogus\": expected scheduled, queued,",
        ),
        (
            &rounded,
            vec!["export", "--direction", "sideways"],
            "--direction: unknown direction \"sideways\": expected inbound or outbound",
        ),
        (
            &rounded,
            vec!["calls", "list", "--kind", "sms"],
            "--kind \"sms\": expected phone, web or chat",
        ),
    ];
    for (config, args, names) in cases {
        let out = run_with(config, &args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(names), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains('\u{1b}'), "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_is_a_failure_naming_the_host_never_a_success() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", "https://elsewhere.example/v1/x?sig=1"),
        )
        .mount(&server)
        .await;
    let config = vendor_config("rounded", &server.uri(), "");
    let end = run_with(&config, &["calls", "end", ROUNDED_CALL]).await;
    assert_eq!(end.status.code(), Some(3), "{}", stderr(&end));
    assert!(stdout(&end).is_empty(), "{}", stdout(&end));
    assert!(
        stderr(&end).contains("redirected (HTTP 307) to elsewhere.example"),
        "{}",
        stderr(&end)
    );
    // A dial that was redirected may have placed the call: said without -v.
    let dial = run_with(&config, &["calls", "dial", "--to", "+16175550120"]).await;
    assert_eq!(dial.status.code(), Some(3));
    assert!(
        stderr(&dial).contains("the call may have been placed"),
        "{}",
        stderr(&dial)
    );
}

/// A note is never sent twice either: whether a failed `notes add` added it is said
/// without -v, with the command that shows the call's notes (a second run would add it
/// again).
#[tokio::test(flavor = "multi_thread")]
async fn whether_a_failed_note_was_added_is_printed_without_verbose() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    for (status, said) in [
        (503, "the note may have been added"),
        (400, "no note was added"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status))
            .expect(1)
            .mount(&server)
            .await;
        let config = vendor_config("happyrobot", &server.uri(), "");
        let add = ["notes", "add", HAPPYROBOT_CALL, "Asked for a callback"];
        let out = run_with(&config, &add).await;
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{status}: {text}");
        assert!(text.contains(said), "{status}: {text}");
        let look = format!(
            "(voiceport --config '{}' calls get '{HAPPYROBOT_CALL}') before adding it again",
            config.display()
        );
        assert_eq!(text.contains(&look), status == 503, "{status}: {text}");
    }
}

/// A Ctrl-C while a note is being added says that it may have been added, and where to
/// look, as after a dial (exit 130).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_while_a_note_is_added_says_it_may_have_been() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(600)))
        .mount(&server)
        .await;
    let config = vendor_config("happyrobot", &server.uri(), "");
    let child = spawn_piped(
        &config,
        &["notes", "add", HAPPYROBOT_CALL, "Asked for a callback"],
    );
    let out = interrupt_once_asked(&server, child, 1, "notes add").await;
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(130), "{text}");
    assert!(text.contains("the note may have been added"), "{text}");
    assert!(
        text.contains(&format!("calls get '{HAPPYROBOT_CALL}'")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn whether_a_failed_dial_placed_a_call_is_printed_without_verbose() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    for (status, said) in [
        (503, "the call may have been placed"),
        (400, "no call was placed"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status))
            // Never retried: one request for each dial below.
            .expect(if status == 503 { 3 } else { 1 })
            .mount(&server)
            .await;
        let route = "[routes.out]\nproviders = [\"x\"]\npolicy = \"failover\"\n";
        let config = vendor_config("rounded", &server.uri(), route);
        let out = run_with(&config, &["calls", "dial", "--to", "+16175550120"]).await;
        assert_eq!(out.status.code(), Some(3));
        assert!(stderr(&out).contains(said), "{status}: {}", stderr(&out));
        if status != 503 {
            continue;
        }
        // The search to run looks where the dial went: this configuration file, and the
        // provider -p named, or the one the route reached.
        let config_arg = format!("--config '{}'", config.display());
        let look = |on: &str| {
            format!(
                "voiceport {config_arg}{on} calls list{{}} --to '+16175550120') before dialing again"
            )
        };
        assert!(
            stderr(&out).contains(&look("").replace("{}", "")),
            "{}",
            stderr(&out)
        );
        let args = ["-p", "x", "calls", "dial", "--to", "+16175550120"];
        let named = run_with(&config, &args).await;
        assert!(
            stderr(&named).contains(&look(" -p 'x'").replace("{}", "")),
            "{}",
            stderr(&named)
        );
        let args = ["calls", "dial", "--to", "+16175550120", "--route", "out"];
        let routed = run_with(&config, &args).await;
        assert_eq!(routed.status.code(), Some(3));
        let text = stderr(&routed);
        assert!(
            text.contains(&look("").replace("{}", " --providers 'x'")),
            "{text}"
        );
        // Said once: the route's error names the provider it reached.
        assert_eq!(text.matches("route `out`").count(), 1, "{text}");
    }
}

/// `check | head -3` in a script: failed cases fail the run however little of the table
/// is read.
#[tokio::test(flavor = "multi_thread")]
async fn check_keeps_its_verdict_when_its_output_is_closed() {
    // Answers 404 to everything: the listing cases fail.
    let server = wiremock::MockServer::start().await;
    let config = vendor_config("retell", &server.uri(), "");
    let mut child = spawn_piped(&config, &["check"]);
    // Closed before anything is written.
    drop(child.stdout.take());
    let out = wait_output(child).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

/// `-p` that another part of the command line contradicts is refused, not ignored.
#[tokio::test(flavor = "multi_thread")]
async fn a_provider_named_twice_differently_is_refused() {
    let config = vendor_config(
        "rounded",
        "http://127.0.0.1:9",
        // `y` too points at a closed loopback port: a refusal that broke would not reach
        // the vendor.
        "[providers.y]\nkind = \"retell\"\napi_key = \"k\"\nbase_url = \"http://127.0.0.1:9\"\n\
         [routes.out]\nproviders = [\"x\"]\npolicy = \"failover\"\n",
    );
    for args in [
        &["-p", "y", "calls", "get", "x:abc"][..],
        &["-p", "y", "calls", "delete", "x:abc"][..],
        &[
            "-p",
            "y",
            "calls",
            "dial",
            "--to",
            "+16175550120",
            "--route",
            "out",
        ][..],
    ] {
        let out = run_with(&config, args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("give one of them"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

/// A Voicebot Studio API whose every list answers the four calls of its list fixture.
async fn voicebot_listing_four_calls() -> wiremock::MockServer {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let server = MockServer::start().await;
    let four_calls = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/voicebot/list.json"
    ))
    .unwrap();
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(four_calls))
        .mount(&server)
        .await;
    server
}

/// A vendor that sends more calls than `--limit` (Voicebot Studio may ignore the page
/// size): the first `--limit` are printed, and no cursor, which would skip the others.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_cut_to_the_limit_gives_no_cursor_that_would_skip_calls() {
    let server = voicebot_listing_four_calls().await;
    let config = vendor_config("voicebot", &server.uri(), "");
    let table = run_with(&config, &["calls", "list", "--limit", "2"]).await;
    assert!(table.status.success(), "{}", stderr(&table));
    assert_eq!(stdout(&table).lines().count(), 3, "a header and two calls");
    assert!(!stderr(&table).contains("--cursor"), "{}", stderr(&table));
    assert!(
        stderr(&table).contains("sent 4 calls for --limit 2"),
        "{}",
        stderr(&table)
    );
    let json = run_with(&config, &["--json", "calls", "list", "--limit", "2"]).await;
    let page: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(page["calls"].as_array().unwrap().len(), 2);
    assert_eq!(page["next_cursor"], Value::Null);
    // Not the last page: how many calls were not shown says so.
    assert_eq!(page["truncated"], 2, "{page}");
    // Without a cut, the vendor's cursor is given.
    let whole = run_with(&config, &["--json", "calls", "list", "--limit", "4"]).await;
    let page: Value = serde_json::from_str(&stdout(&whole)).unwrap();
    assert_eq!(page["calls"].as_array().unwrap().len(), 4);
    assert!(page["next_cursor"].is_string(), "{page}");
    assert_eq!(page.get("truncated"), None, "{page}");
}

/// A page whose calls a client-side filter removed, with more pages to come, is said to be
/// so: an empty table alone would read as "no such call".
#[tokio::test(flavor = "multi_thread")]
async fn an_empty_filtered_page_with_more_to_come_says_so() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let server = MockServer::start().await;
    // Rounded filters statuses client-side; the page's one call is completed.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(rounded_page(
            &["14abe6f5-01bd-4eff-a6ed-8eb555b6c5c3"],
            Some("2026-03-23T17:58:40Z"),
        )))
        .mount(&server)
        .await;
    let config = vendor_config("rounded", &server.uri(), "");
    let busy = run_with(
        &config,
        &["calls", "list", "--status", "busy", "--limit", "1"],
    )
    .await;
    assert!(busy.status.success(), "{}", stderr(&busy));
    assert_eq!(stdout(&busy).lines().count(), 1, "a header alone");
    let said = stderr(&busy);
    assert!(
        said.contains("no call on this page matched") && said.contains("--cursor"),
        "{said}"
    );
    let completed = run_with(&config, &["calls", "list", "--status", "completed"]).await;
    assert!(
        !stderr(&completed).contains("no call on this page"),
        "{}",
        stderr(&completed)
    );
    // Without --limit, a page is not short of anything.
    assert!(
        !stderr(&completed).contains("fewer than --limit"),
        "{}",
        stderr(&completed)
    );
    // With it, a page the filter thinned says that more follow; the cursor line says to
    // keep the filters.
    let short = run_with(
        &config,
        &["calls", "list", "--status", "completed", "--limit", "5"],
    )
    .await;
    let said = stderr(&short);
    assert!(
        said.contains("note: 1 call of this page matched, fewer than --limit")
            && said.contains("more: the same command with --cursor"),
        "{said}"
    );
}

/// Arguments that cannot be right exit 2, naming what is wrong, before anything starts: a
/// missing input file (as a missing config file), an address that is no IP address, more
/// seeded calls than memory holds.
#[tokio::test(flavor = "multi_thread")]
async fn impossible_arguments_exit_2() {
    // In a folder of the test's own that is never made.
    let missing = std::env::temp_dir()
        .join(format!("voiceport-never-made-{}", std::process::id()))
        .join("call.json");
    let missing = missing.to_str().unwrap();
    let no_such_file = format!("no such file: {missing}");
    let no_such_config = format!("--config {missing}: there is no such file");
    let folder = std::env::temp_dir();
    let folder = folder.to_str().unwrap();
    let folder_config = format!("--config {folder}: that is a folder, not a file");
    for (args, says) in [
        (
            vec!["normalize", "--vendor", "vapi", missing],
            no_such_file.as_str(),
        ),
        (
            vec!["--config", missing, "calls", "list"],
            no_such_config.as_str(),
        ),
        (
            vec!["--config", folder, "calls", "list"],
            folder_config.as_str(),
        ),
        (vec!["normalize", "--vendor", "vapi", folder], "is a folder"),
        (
            vec!["listen", "--bind", "notanip"],
            "expected an IP address (127.0.0.1, 0.0.0.0, ::1) or localhost",
        ),
        (vec!["sandbox", "--calls", "100000000"], "'--calls <CALLS>'"),
    ] {
        let out = run(None, &args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

/// A cursor that is no cursor, or is another walk's, is a mistake in `--cursor`: said so,
/// exit 2 (it was a configuration error, exit 2 without naming the flag).
#[tokio::test(flavor = "multi_thread")]
async fn a_bad_cursor_names_the_flag() {
    let env = env().await;
    let merged = json(
        &run(
            Some(&env),
            &[
                "--json",
                "calls",
                "list",
                "--providers",
                "all",
                "--limit",
                "1",
            ],
        )
        .await,
    );
    let token = merged["next_cursor"]
        .as_str()
        .unwrap_or_else(|| panic!("{merged}"));
    for args in [
        vec!["-p", "voicebot", "calls", "list", "--cursor", "garbage"],
        vec!["-p", "voicebot", "export", "--cursor", "garbage"],
        vec!["calls", "list", "--providers", "all", "--cursor", "garbage"],
        // Another walk's: the same providers, another filter.
        vec![
            "calls",
            "list",
            "--providers",
            "all",
            "--status",
            "busy",
            "--cursor",
            token,
        ],
    ] {
        let out = run(Some(&env), &args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("error: --cursor: "),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

/// A merged page (`--providers`, `--json`, no `--all`) that fails part way is printed as
/// far as it got, with the cursor after it: resuming from the hint skips nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_merged_page_that_fails_prints_what_it_got_and_where_to_resume() {
    use wiremock::matchers::{method, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let voicebot = voicebot_listing_four_calls().await;
    // Rounded: one call newer than all of Voicebot's, then a failing second page.
    let rounded = MockServer::start().await;
    let next = "2026-03-17T08:00:00Z";
    Mock::given(method("GET"))
        .and(query_param("cursor", next))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(1)
        .mount(&rounded)
        .await;
    let first_page = serde_json::json!({
        "message": "Calls retrieved successfully", "status": 200, "error": null,
        "data": [{"id": "b48d0eec-c2e3-4b12-85c6-2aa47f65badb", "status": "completed",
                  "start_time": next, "end_time": "2026-03-17T08:02:00Z"}],
        "next_cursor": next
    });
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(first_page))
        .with_priority(2)
        .mount(&rounded)
        .await;
    let config = private_config(
        "merged-failure",
        &format!(
            "[providers.vb]\nkind = \"voicebot\"\napi_key = \"k\"\nbase_url = \"{}\"\n\
             [providers.vb.retry]\nmax_attempts = 1\n\
             [providers.rd]\nkind = \"rounded\"\napi_key = \"k\"\nbase_url = \"{}\"\n\
             [providers.rd.retry]\nmax_attempts = 1\n",
            voicebot.uri(),
            rounded.uri()
        ),
    );
    let args = [
        "--json",
        "calls",
        "list",
        "--providers",
        "vb,rd",
        "--limit",
        "4",
    ];
    let out = run_with(&config, &args).await;
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    let page: Value =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    let printed = page["calls"].as_array().unwrap();
    let hint = stderr(&out);
    assert!(
        hint.contains(&format!("{} calls were printed", printed.len())),
        "{hint}"
    );
    assert!(
        !printed.is_empty(),
        "the newest call came before the failure"
    );
    assert_eq!(printed[0]["id"], "b48d0eec-c2e3-4b12-85c6-2aa47f65badb");
    assert!(page["next_cursor"].is_string(), "{page}");
    assert!(
        hint.contains("--cursor"),
        "the hint says where to resume: {hint}"
    );
}

/// `--pretty` cannot apply to output that is one JSON value a line: it is refused there
/// rather than ignored.
#[tokio::test(flavor = "multi_thread")]
async fn pretty_is_refused_where_json_lines_are_printed() {
    let config = private_config(
        "pretty",
        // Nothing listens at the base URL: a regression that sent the list reaches no vendor.
        "[providers.x]\nkind = \"voicebot\"\napi_key = \"k\"\nbase_url = \"http://127.0.0.1:9\"\n\
         [providers.x.webhook]\nsecret = \"s\"\n",
    );
    for args in [
        &["calls", "list", "--all", "--json", "--pretty"][..],
        &["listen", "--json", "--pretty", "--port", "0"][..],
        &["export", "--pretty"][..],
    ] {
        let out = run_with(&config, args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("--pretty does not apply"),
            "{}",
            stderr(&out)
        );
    }
}

/// `listen --only ""` (an unset variable's expansion) names no provider: refused as the
/// walks refuse an empty selection (exit 2), not read as "every provider", which would
/// print and forward events of providers nobody picked.
#[tokio::test(flavor = "multi_thread")]
async fn listen_refuses_a_selection_of_none() {
    let config = private_config(
        "listen-none",
        "[providers.a]\nkind = \"voicebot\"\napi_key = \"k\"\n\
         [providers.a.webhook]\nsecret = \"s\"\n\
         [providers.b]\nkind = \"voicebot\"\napi_key = \"k\"\n\
         [providers.b.webhook]\nsecret = \"t\"\n",
    );
    for args in [
        &["listen", "--port", "0", "--only", ""][..],
        &["listen", "--port", "0", "--only", ","][..],
        &["-p", "", "listen", "--port", "0"][..],
    ] {
        let out = run_with(&config, args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("listening on"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

/// `listen` with no provider that has a webhook table (the sandbox's configuration
/// without `--webhooks`) says how the sandbox writes them, at the port it would listen on.
#[tokio::test(flavor = "multi_thread")]
async fn listen_without_webhook_tables_says_how_the_sandbox_writes_them() {
    let config = private_config(
        "listen-no-tables",
        "[providers.a]\nkind = \"voicebot\"\napi_key = \"k\"\n",
    );
    for (port, said) in [("8787", "127.0.0.1:8787"), ("0", "127.0.0.1:PORT")] {
        let out = run_with(&config, &["listen", "--port", port]).await;
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let expected = format!(
            "nothing to listen for (the sandbox writes them into its configuration when started with `--webhooks http://{said}`"
        );
        assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
    }
}

/// `listen` says on standard error which providers it serves unverified (`verify =
/// "none"`), once, whatever the log filter: by the receiver's warning with the default
/// filter, by a line of its own when `RUST_LOG=error` hides that warning. A provider that
/// verifies is not named.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn listen_says_which_providers_it_serves_unverified_once_whatever_the_log_filter() {
    let config = private_config(
        "listen-unverified",
        "[providers.open]\nkind = \"happyrobot\"\napi_key = \"k\"\n\
         [providers.open.webhook]\nverify = \"none\"\n\
         [providers.support]\nkind = \"voicebot\"\napi_key = \"k\"\n\
         [providers.support.webhook]\nsecret = \"s-0123456789\"\n",
    );
    for log_filter in [None, Some("error")] {
        listen_says_unverified_once(&config, log_filter).await;
    }
}

/// Runs `listen` on `config` with `RUST_LOG` set to `log_filter` (unset for `None`), and
/// checks it said once, just after its address, that provider `open` is not verified.
#[cfg(unix)]
async fn listen_says_unverified_once(config: &std::path::Path, log_filter: Option<&str>) {
    let mut command = voiceport_bin();
    match log_filter {
        Some(filter) => command.env("RUST_LOG", filter),
        None => command.env_remove("RUST_LOG"),
    };
    let child = command
        .arg("--config")
        .arg(config)
        .args(["listen", "--port", "0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KilledOnDrop(child);
    let said = std::io::BufReader::new(child.0.stderr.take().unwrap());
    // Up to the line after the address (or the end, should it fail): read before Ctrl-C.
    let (said, head) = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut said = said;
        let mut head = String::new();
        for _ in 0..2 {
            if said.read_line(&mut head).unwrap_or(0) == 0 {
                break;
            }
        }
        (said, head)
    })
    .await
    .unwrap();
    let rest = interrupt_and_read(child, said).await;
    assert!(
        head.contains("listening on"),
        "{log_filter:?}: {head}{rest}"
    );
    let (_, second) = head.split_once('\n').unwrap_or_default();
    assert!(
        second.contains("open") && second.contains("webhook deliveries are NOT verified"),
        "{log_filter:?}: {head}{rest}"
    );
    let said = format!("{head}{rest}");
    assert_eq!(
        said.matches("NOT verified").count(),
        1,
        "{log_filter:?}: {said}"
    );
    assert!(!second.contains("support"), "{log_filter:?}: {said}");
}

/// `export --json --format csv` asks for two formats: refused (exit 2) rather than writing
/// CSV with `--json` silently ignored.
#[tokio::test(flavor = "multi_thread")]
async fn export_refuses_json_with_csv() {
    let config = private_config(
        "json-csv",
        // Nothing listens at the base URL: a regression that exported reaches no vendor.
        "[providers.x]\nkind = \"voicebot\"\napi_key = \"k\"\nbase_url = \"http://127.0.0.1:9\"\n",
    );
    let out = run_with(&config, &["--json", "export", "--format", "csv"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("give one of them"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
}

/// Vendor text in an error cannot fake a line of the advice that follows it: a 503 whose
/// message holds a line break and "no call was placed" must not say so on a line of its own.
#[tokio::test(flavor = "multi_thread")]
async fn vendor_text_in_an_error_cannot_fake_a_line() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let server = MockServer::start().await;
    let hostile = serde_json::json!({
        "message": "busy\n  no call was placed\n\u{1b}[2Kok",
        "data": null, "error": null, "status": 503
    });
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_json(hostile))
        .mount(&server)
        .await;
    let route = "[routes.out]\nproviders = [\"x\"]\npolicy = \"failover\"\n";
    let config = vendor_config("rounded", &server.uri(), route);
    for (verbose, routed) in [(false, false), (true, false), (false, true)] {
        let mut args = vec!["calls", "dial", "--to", "+16175550120"];
        if verbose {
            args.insert(0, "-v");
        }
        if routed {
            args.extend(["--route", "out"]);
        }
        let out = run_with(&config, &args).await;
        assert_eq!(out.status.code(), Some(3));
        let text = stderr(&out);
        assert!(text.contains("the call may have been placed"), "{text}");
        assert!(
            !text.lines().any(|line| line.trim() == "no call was placed"),
            "a faked line: {text}"
        );
        assert!(
            !text.contains('\u{1b}'),
            "an escape reached the terminal: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_the_vendor_echoes_is_never_printed() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            serde_json::json!({"message": format!("Invalid API key: {HOSTILE_KEY}")}),
        ))
        .mount(&server)
        .await;
    let config = vendor_config("rounded", &server.uri(), "");
    for args in [
        vec!["calls", "get", ROUNDED_CALL],
        vec!["-v", "calls", "list"],
    ] {
        let out = run_with(&config, &args).await;
        assert_eq!(out.status.code(), Some(3));
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!text.contains("4f9a8b7c"), "{args:?}: {text}");
        assert!(
            text.contains("Invalid API key: [REDACTED]"),
            "{args:?}: {text}"
        );
        // Which setting holds the key refused (the key itself never).
        assert!(
            text.contains("provider `x`: check its key, providers.x.api_key\n"),
            "{args:?}: {text}"
        );
        // With -v the request is logged too, the vendor's answer masked there as well; the
        // error's kind and outcome are said in words.
        if args[0] == "-v" {
            assert!(text.contains("voiceport.request{"), "{text}");
            assert!(text.contains("\n  kind: unauthorized\n"), "{text}");
            assert!(text.contains("outcome: not applied"), "{text}");
        }
    }
}

/// Where several providers are configured, a vendor's refusal names the one that answered
/// (the error itself names its vendor only); a key refused, which setting holds it.
#[tokio::test(flavor = "multi_thread")]
async fn a_vendor_error_names_the_provider_and_a_refused_key_its_setting() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let refusing = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&refusing)
        .await;
    let failing = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&failing)
        .await;
    let config = private_config(
        "named",
        &format!(
            "default = \"support\"\n\
             [providers.support]\nkind = \"vapi\"\napi_key_env = \"VOICEPORT_TEST_SUPPORT_KEY_51\"\n\
             base_url = \"{}\"\n[providers.support.retry]\nmax_attempts = 1\n\
             [providers.sales]\nkind = \"vapi\"\napi_key = \"sales-key-0d3e\"\n\
             base_url = \"{}\"\n[providers.sales.retry]\nmax_attempts = 1\n",
            refusing.uri(),
            failing.uri()
        ),
    );
    let mut command = voiceport_bin();
    command
        .arg("--config")
        .arg(&config)
        .args(["calls", "list"])
        .env("VOICEPORT_TEST_SUPPORT_KEY_51", "support-key-7a1f");
    let out = output(command).await;
    assert_eq!(out.status.code(), Some(3));
    let said = stderr(&out);
    assert!(
        said.contains(
            "\n  provider `support`: check its key, providers.support.api_key_env \
             (the variable VOICEPORT_TEST_SUPPORT_KEY_51)\n"
        ),
        "{said}"
    );
    assert!(!said.contains("support-key-7a1f"), "{said}");
    // A call named `NAME:ID` names its provider too.
    let mut command = voiceport_bin();
    command
        .arg("--config")
        .arg(&config)
        .args([
            "calls",
            "get",
            "support:0199e4b2-5c3a-7d11-9e0f-2b7c4d1a9e30",
        ])
        .env("VOICEPORT_TEST_SUPPORT_KEY_51", "support-key-7a1f");
    let said = stderr(&output(command).await);
    assert!(
        said.contains("\n  provider `support`: check its key"),
        "{said}"
    );
    let out = run_with(&config, &["-p", "sales", "calls", "list"]).await;
    assert_eq!(out.status.code(), Some(3));
    let said = stderr(&out);
    assert!(said.contains("\n  provider `sales`\n"), "{said}");
    assert!(!said.contains("check its key"), "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verbose_logs_the_library_spans_on_stderr_and_never_the_key() {
    let env = env().await;
    let list = json(&run(Some(&env), &["calls", "list", "--limit", "1", "--json"]).await);
    let id = list["calls"][0]["id"].as_str().unwrap().to_owned();
    let keys: Vec<&str> = voiceport_sandbox::EMULATED
        .iter()
        .map(|&kind| env._sandbox.api_key(kind))
        .collect();
    for args in [
        vec!["-v", "calls", "get", &id],
        vec!["-vv", "calls", "list"],
    ] {
        let out = run(Some(&env), &args).await;
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let log = stderr(&out);
        // The operation's span, with its provider and operation, around the request's.
        assert!(log.contains("voiceport.operation{"), "{args:?}: {log}");
        assert!(log.contains("voiceport.request{"), "{args:?}: {log}");
        assert!(log.contains("provider=happyrobot"), "{args:?}: {log}");
        assert!(log.contains("status=200"), "{args:?}: {log}");
        for key in &keys {
            assert!(!log.contains(key), "{args:?}: a key on stderr: {log}");
        }
        // The log never reaches standard output, which stays the command's.
        assert!(!stdout(&out).contains("voiceport.request"), "{args:?}");
    }
    let got = stderr(&run(Some(&env), &["-v", "calls", "get", &id]).await);
    assert!(got.contains(&format!("call_id=\"{id}\"")), "{got}");
    // The request's own span names the call too, with its attempt and status.
    let request_span = got
        .split("voiceport.request{")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .unwrap_or_default();
    for field in [format!("call_id=\"{id}\""), "attempt=1".into()] {
        assert!(request_span.contains(&field), "{field}: {got}");
    }
    // A configuration warning is printed once, by the CLI, not logged again.
    assert_eq!(got.matches("holds an API key").count(), 1, "{got}");

    // RUST_LOG chooses the logging without -v; without either, nothing is logged.
    let mut command = voiceport_bin();
    command
        .arg("--config")
        .arg(&env.config)
        .args(["calls", "get", &id])
        .env("RUST_LOG", "voiceport=debug");
    let out = output(command).await;
    assert!(
        stderr(&out).contains("voiceport.request{"),
        "{}",
        stderr(&out)
    );
    let quiet = run(Some(&env), &["calls", "get", &id]).await;
    assert!(quiet.status.success());
    assert!(
        !stderr(&quiet).contains("voiceport.request"),
        "{}",
        stderr(&quiet)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(None, &["completions", shell]).await;
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(script.contains("voiceport"), "{shell}: {script}");
        // Subcommands, nested ones included, are completed.
        for subcommand in ["calls", "export", "transcript"] {
            assert!(script.contains(subcommand), "{shell}: no {subcommand}");
        }
    }
    assert!(stdout(&run(None, &["completions", "fish"]).await).contains("complete -c voiceport"));
    let bad = run(None, &["completions", "tcsh"]).await;
    assert_eq!(bad.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_subcommand_help_has_an_example() {
    let commands: &[&[&str]] = &[
        &["calls"],
        &["calls", "list"],
        &["calls", "get"],
        &["calls", "transcript"],
        &["calls", "recording"],
        &["calls", "dial"],
        &["calls", "update"],
        &["calls", "end"],
        &["calls", "cancel"],
        &["calls", "delete"],
        &["notes"],
        &["notes", "add"],
        &["notes", "update"],
        &["notes", "delete"],
        &["export"],
        &["normalize"],
        &["capabilities"],
        &["check"],
        &["listen"],
        &["sandbox"],
        &["demo"],
        &["completions"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let out = run(None, &args).await;
        assert!(out.status.success(), "{args:?}");
        let help = stdout(&out);
        assert!(
            help.contains(&format!("Example: `voiceport {}", command.join(" "))),
            "{args:?}: {help}"
        );
    }
}

/// The `--help` of `args`, unwrapped, so that a phrase reads whole wherever it wraps.
async fn help(args: &[&str]) -> String {
    let args = [args, &["--help"]].concat();
    let out = run(None, &args).await;
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The help says what each argument takes: a call's id may be `provider:call_id`, the
/// filters offer every value (from the core types), `--since` / `--until` say that Rounded
/// and Retell filter on the start, and `listen --only` takes `all`.
#[tokio::test(flavor = "multi_thread")]
async fn help_names_qualified_ids_and_every_filter_value() {
    let takes_ids: &[&[&str]] = &[
        &["calls", "get"],
        &["calls", "transcript"],
        &["calls", "recording"],
        &["calls", "update"],
        &["calls", "end"],
        &["calls", "cancel"],
        &["calls", "delete"],
        &["notes", "add"],
        &["notes", "update"],
        &["notes", "delete"],
    ];
    for command in takes_ids {
        let said = help(command).await;
        let qualified = "The call's id, or `provider:call_id` as merged listings print it";
        assert!(said.contains(qualified), "{command:?}: {said}");
    }
    for command in [&["notes", "update"][..], &["notes", "delete"]] {
        let said = help(command).await;
        assert!(said.contains("<NOTE> The note's id"), "{command:?}: {said}");
    }
    assert!(
        help(&["notes", "add"])
            .await
            .contains("<TEXT> The note's text")
    );
    for command in [&["calls", "list"][..], &["export"]] {
        let said = help(command).await;
        let statuses: Vec<&str> = voiceport::CallStatus::ALL
            .iter()
            .map(|status| status.as_str())
            .collect();
        let offered = format!("[possible values: {}]", statuses.join(", "));
        assert!(said.contains(&offered), "{command:?}: {said}");
        assert!(
            said.contains("[possible values: inbound, outbound]"),
            "{command:?}: {said}"
        );
        assert!(
            said.contains("[possible values: phone, web, chat]"),
            "{command:?}: {said}"
        );
        let on_start = "Rounded and Retell filter on when a call started instead";
        assert!(said.contains(on_start), "{command:?}: {said}");
        assert!(
            said.contains("Rounded and Retell: started before"),
            "{command:?}: {said}"
        );
    }
    let said = help(&["listen"]).await;
    assert!(said.contains("--only <all|NAME,…>"), "{said}");
    assert!(said.contains("or `all` alone"), "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn terminal_escapes_are_escaped_for_people_and_exact_in_json() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m";
    let mut page = rounded_page(&[ROUNDED_CALL], None);
    page["data"][0]["status"] = Value::String(format!("done{hostile}"));
    page["data"][0]["from_number"] = Value::String(format!("+1{hostile}\nFAKE LINE"));
    let mut one =
        serde_json::json!({"message": "ok", "data": page["data"][0].clone(), "status": 200});
    one["data"]["transcript_string"] = Value::String(format!("Agent: hi{hostile}"));
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/calls"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&page))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path(format!("/calls/{ROUNDED_CALL}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(&one))
        .mount(&server)
        .await;
    let config = vendor_config("rounded", &server.uri(), "");
    let unsafe_char = |c: char| c.is_control() && c != '\n';
    for args in [
        vec!["calls", "list"],
        vec!["calls", "list", "--all"],
        vec!["calls", "get", ROUNDED_CALL],
        vec!["calls", "transcript", ROUNDED_CALL],
        // The CSV export goes to the terminal too unless `-o` says otherwise.
        vec!["export", "--format", "csv"],
    ] {
        let out = run_with(&config, &args).await;
        let text = stdout(&out);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(!text.chars().any(unsafe_char), "{args:?}: {text:?}");
        assert!(text.contains("\\u001b]0;pwned\\u0007"), "{args:?}: {text}");
        // (A CSV field keeps its line break, quoted: a reader sees one field.)
        let csv = args[0] == "export";
        assert!(
            csv || !text.lines().any(|l| l.starts_with("FAKE LINE")),
            "{args:?}: {text}"
        );
    }
    // JSON stays exact: the same characters, escaped the JSON way.
    let listed = json(&run_with(&config, &["calls", "list", "--json"]).await);
    assert_eq!(
        listed["calls"][0]["vendor_status"],
        Value::String(format!("done{hostile}"))
    );
    let got = json(&run_with(&config, &["calls", "get", ROUNDED_CALL, "--json"]).await);
    assert_eq!(
        got["from"],
        Value::String(format!("+1{hostile}\nFAKE LINE"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_export_neutralises_formulas_and_says_so_in_help() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let mut page = rounded_page(&[ROUNDED_CALL], None);
    page["data"][0]["status"] = Value::String("=HYPERLINK(\"http://evil.example\",\"x\")".into());
    page["data"][0]["from_number"] = Value::String("@SUM(1+1)*cmd|' /C calc'!A0".into());
    page["data"][0]["to_number"] = Value::String("-2+3".into());
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&page))
        .mount(&server)
        .await;
    let config = vendor_config("rounded", &server.uri(), "");
    let out = run_with(&config, &["export", "--format", "csv"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = stdout(&out);
    let row = csv.lines().nth(1).unwrap();
    let fields: Vec<&str> = row.split(',').collect();
    assert_eq!(fields[3], "\"'=HYPERLINK(\"\"http://evil.example\"\"");
    assert!(
        row.contains(",'@SUM(1+1)*cmd|' /C calc'!A0,'-2+3,"),
        "{row}"
    );
    // A plain number stays a number.
    assert!(row.contains(",44,"), "{row}");
    for field in row.split(',') {
        assert!(
            !field.trim_start_matches('"').starts_with(['=', '+', '@']),
            "{row}"
        );
    }
    let help = run(None, &["export", "--help"]).await;
    let help = stdout(&help);
    assert!(help.contains("spreadsheet") && help.contains("'"), "{help}");
    // The help names the columns, in the header's order.
    let header = csv.lines().next().unwrap();
    let listed = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        listed.contains(&header.replace(',', ", ")),
        "{header} in {help}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_walk_that_fails_keeps_what_it_printed_and_says_where_to_resume() {
    use wiremock::matchers::{method, query_param, query_param_is_missing};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    const NEXT: &str = "2026-03-23T17:51:03Z";
    let server = MockServer::start().await;
    let first = [
        "0e1d9985-2d47-435c-857f-86f21a87a093",
        "8560ad9d-f4de-4f2d-8053-1369bba94bd0",
    ];
    let last = "5cc2aaac-3c19-46af-a20d-d9299758ee3a";
    Mock::given(method("GET"))
        .and(query_param_is_missing("cursor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(rounded_page(&first, Some(NEXT))))
        .mount(&server)
        .await;
    let failing = Mock::given(method("GET"))
        .and(query_param("cursor", NEXT))
        .respond_with(ResponseTemplate::new(503))
        .mount_as_scoped(&server)
        .await;
    let config = vendor_config("rounded", &server.uri(), "");
    let resume_token = format!("{{\"mode\":\"token\",\"token\":\"{NEXT}\"}}");

    // list --all --json: JSON Lines of the first page, then the cursor of the second.
    let out = run_with(&config, &["calls", "list", "--all", "--json"]).await;
    assert_eq!(out.status.code(), Some(3));
    let printed: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(printed.len(), 2, "{}", stdout(&out));
    assert!(
        stderr(&out).contains(&format!("--cursor '{resume_token}'")),
        "{}",
        stderr(&out)
    );

    // export -o: the rows written stay, and the resume adds to the same file.
    let path = config.with_file_name("calls.jsonl");
    let file = path.to_str().unwrap();
    let out = run_with(&config, &["export", "-o", file]).await;
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
    assert!(stderr(&out).contains("--append"), "{}", stderr(&out));
    // To standard output as CSV: the advice keeps the rest from repeating the header.
    let out = run_with(&config, &["export", "--format", "csv"]).await;
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(stdout(&out).lines().count(), 1 + 2, "a header, two rows");
    assert!(
        stderr(&out).contains(" --append (and >> to add to the same file)"),
        "{}",
        stderr(&out)
    );

    // The vendor recovers: resuming fetches the rest, nothing twice.
    drop(failing);
    Mock::given(method("GET"))
        .and(query_param("cursor", NEXT))
        .respond_with(ResponseTemplate::new(200).set_body_json(rounded_page(&[last], None)))
        .mount(&server)
        .await;
    let rest = json_lines(
        &run_with(
            &config,
            &[
                "calls",
                "list",
                "--all",
                "--json",
                "--cursor",
                &resume_token,
            ],
        )
        .await,
    );
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["id"], last);
    let out = run_with(
        &config,
        &["export", "-o", file, "--append", "--cursor", &resume_token],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let ids: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, [first[0], first[1], last]);
    let csv_rest = run_with(
        &config,
        &[
            "export",
            "--format",
            "csv",
            "--append",
            "--cursor",
            &resume_token,
        ],
    )
    .await;
    assert!(csv_rest.status.success(), "{}", stderr(&csv_rest));
    let text = stdout(&csv_rest);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 1, "the row alone, no header: {rows:?}");
    assert!(rows[0].starts_with(last), "{rows:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cursors_that_go_round_end_the_walk_with_an_error() {
    use wiremock::matchers::{method, query_param, query_param_is_missing};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let pages = [
        (None, "A", ROUNDED_CALL),
        (Some("A"), "B", "5cc2aaac-3c19-46af-a20d-d9299758ee3a"),
        (Some("B"), "A", ROUNDED_CALL),
    ];
    for (cursor, next, id) in pages {
        let mock = Mock::given(method("GET"));
        let mock = match cursor {
            None => mock.and(query_param_is_missing("cursor")),
            Some(cursor) => mock.and(query_param("cursor", cursor)),
        };
        mock.respond_with(
            ResponseTemplate::new(200).set_body_json(rounded_page(&[id], Some(next))),
        )
        .mount(&server)
        .await;
    }
    let config = vendor_config("rounded", &server.uri(), "");
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        run_with(&config, &["calls", "list", "--all", "--json"]),
    )
    .await
    .expect("the walk loops");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("go round in a cycle"),
        "{}",
        stderr(&out)
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    // Every page the vendor sent is printed, the one naming a cursor again too (a vendor
    // that repeats its cursor on its last page would otherwise lose that page's calls).
    assert_eq!(stdout(&out).lines().count(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn normalize_refuses_a_file_that_does_not_decode_as_input_and_takes_a_bom() {
    let dir = std::env::temp_dir().join(format!("voiceport-normalize-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.json");
    std::fs::write(&broken, br#"{"id": 42, "status": "completed"}"#).unwrap();
    let out = run(
        None,
        &[
            "normalize",
            "--vendor",
            "rounded",
            "--what",
            "call",
            broken.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(broken.to_str().unwrap()),
        "{}",
        stderr(&out)
    );
    // A list that fails before its first call prints nothing of it (not a lone `[`); one
    // that holds no call is an empty list.
    let not_a_list = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/retell/webhook_call_analyzed.json"
    );
    // The vendor in any case (`Retell`, as it names itself).
    let list = ["normalize", "--vendor", "Retell", "--what", "list"];
    let out = run(None, &[&list[..], &[not_a_list]].concat()).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "{}", stderr(&out));
    // Refused as no list, not as a vendor name.
    assert!(!stderr(&out).contains("invalid value"), "{}", stderr(&out));
    let empty = dir.join("empty_list.json");
    std::fs::write(&empty, br#"{"items": []}"#).unwrap();
    let out = run(None, &[&list[..], &[empty.to_str().unwrap()]].concat()).await;
    assert_eq!(stdout(&out).trim(), "[]", "{}", stderr(&out));

    let fixture = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/rounded/get_call.json"
    ))
    .unwrap();
    let with_bom = dir.join("bom.json");
    std::fs::write(&with_bom, [b"\xEF\xBB\xBF".as_slice(), &fixture].concat()).unwrap();
    let call = json(
        &run(
            None,
            &[
                "normalize",
                "--vendor",
                "rounded",
                with_bom.to_str().unwrap(),
            ],
        )
        .await,
    );
    assert_eq!(call["provider"], "rounded");
}

/// A connection that fails says why on its own line without -v (here, refused), and
/// nothing of the key.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_connection_says_its_cause() {
    let refusing = RefusingPort::new();
    let base = format!("http://127.0.0.1:{}", refusing.port());
    let config = vendor_config("voicebot", &base, "");
    let out = run_with(&config, &["calls", "list"]).await;
    assert!(!out.status.success());
    let said = stderr(&out);
    let lines: Vec<&str> = said.lines().collect();
    assert!(lines[0].contains("connection failed"), "{said}");
    let cause = lines.iter().find(|line| line.starts_with("  cause: "));
    assert!(
        cause.is_some_and(|line| line.to_lowercase().contains("refused")),
        "{said}"
    );
    assert!(!said.contains(HOSTILE_KEY), "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn configuration_mistakes_are_reported_with_their_place_and_never_the_key() {
    let config = vendor_config("rounded", "http://127.0.0.1:9", "");
    // Readable by others: a one-line warning, and the command still runs.
    #[cfg(unix)]
    {
        std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        let out = run_with(&config, &["capabilities"]).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let warning = stderr(&out);
        assert!(
            warning.starts_with("warning: ") && warning.contains("chmod 600"),
            "{warning}"
        );
        assert_eq!(warning.lines().count(), 1, "{warning}");
        assert!(!warning.contains(HOSTILE_KEY));
        std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let out = run_with(&config, &["capabilities"]).await;
        assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    }
    // An unquoted key: the line, the column and the key's name, not the key.
    std::fs::write(
        &config,
        format!("[providers.x]\nkind = \"rounded\"\napi_key = {HOSTILE_KEY}\n"),
    )
    .unwrap();
    let out = run_with(&config, &["calls", "list"]).await;
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(
        text.contains("providers.x.api_key") && text.contains("line 3, column 11"),
        "{text}"
    );
    assert!(!text.contains("4f9a8b7c"), "{text}");
}

/// Runs the CLI until the server has its dial request, then sends it SIGINT.
#[cfg(unix)]
async fn interrupt_a_dial(delay: std::time::Duration) -> Output {
    interrupt_a_dial_with(delay, &[], "").await
}

/// [`interrupt_a_dial`], with more arguments after `calls dial --to …` and more
/// configuration after the provider `x`.
#[cfg(unix)]
async fn interrupt_a_dial_with(delay: std::time::Duration, more: &[&str], config: &str) -> Output {
    let mut args = vec!["calls", "dial", "--to", "+16175550120"];
    args.extend_from_slice(more);
    interrupt_when_dialing(delay, &args, config).await
}

/// Runs the CLI with `args` until the server has a dial request (answered after `delay`),
/// then sends it SIGINT.
#[cfg(unix)]
async fn interrupt_when_dialing(delay: std::time::Duration, args: &[&str], config: &str) -> Output {
    let answer = serde_json::json!({"message": "Phone call started successfully",
        "data": {"call_id": "b48d0eec-c2e3-4b12-85c6-2aa47f65badb"}, "error": null, "status": 201});
    let answer = wiremock::ResponseTemplate::new(201)
        .set_body_json(answer)
        .set_delay(delay);
    interrupt_when_answered(answer, args, config).await
}

/// [`interrupt_when_dialing`], the dial answered with `answer`.
#[cfg(unix)]
async fn interrupt_when_answered(
    answer: wiremock::ResponseTemplate,
    args: &[&str],
    config: &str,
) -> Output {
    signal_when_answered(answer, args, config, "-INT").await
}

/// [`interrupt_when_answered`], stopped with `signal` (`-INT`, `-TERM`).
#[cfg(unix)]
async fn signal_when_answered(
    answer: wiremock::ResponseTemplate,
    args: &[&str],
    config: &str,
    signal: &str,
) -> Output {
    use wiremock::{Mock, MockServer, matchers::method};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer)
        .expect(1)
        .mount(&server)
        .await;
    let config = vendor_config("rounded", &server.uri(), config);
    let child = spawn_piped(&config, args);
    // The dial itself (a `check` reads the account with GETs first).
    let started = std::time::Instant::now();
    let dialed = async || {
        let requests = server.received_requests().await.unwrap_or_default();
        requests
            .iter()
            .any(|r| r.method == wiremock::http::Method::POST)
    };
    while !dialed().await {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "no dial arrived"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let kill = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    wait_output(child).await
}

/// A vendor API whose every request is answered `status` with `body` only once the test
/// says so ([`HeldAnswer::release`]); it records whether a POST came.
#[cfg(unix)]
struct HeldAnswer {
    uri: String,
    posted: std::sync::Arc<std::sync::atomic::AtomicBool>,
    released: std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
}

#[cfg(unix)]
impl HeldAnswer {
    fn start(status: u16, body: &Value) -> HeldAnswer {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let held = HeldAnswer {
            uri,
            posted: Default::default(),
            released: Default::default(),
        };
        let (posted, released) = (held.posted.clone(), held.released.clone());
        let body = body.to_string();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().map_while(Result::ok) {
                let (posted, released, body) = (posted.clone(), released.clone(), body.clone());
                std::thread::spawn(move || {
                    // The head, then as much body as it announces.
                    let mut request = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let mut read = |request: &mut Vec<u8>| match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => false,
                        Ok(n) => {
                            request.extend_from_slice(&chunk[..n]);
                            true
                        }
                    };
                    let head_end = loop {
                        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                            break at + 4;
                        }
                        if !read(&mut request) {
                            return;
                        }
                    };
                    let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
                    let length = (head.lines())
                        .find_map(|line| line.strip_prefix("content-length:"))
                        .and_then(|value| value.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    while request.len() < head_end + length {
                        if !read(&mut request) {
                            return;
                        }
                    }
                    if head.starts_with("post") {
                        posted.store(true, Ordering::SeqCst);
                    }
                    let (lock, turn) = &*released;
                    let mut open = lock.lock().unwrap();
                    while !*open {
                        open = turn.wait(open).unwrap();
                    }
                    drop(open);
                    let answer = format!(
                        "HTTP/1.1 {status} Answer\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(answer.as_bytes());
                    let _ = stream.flush();
                });
            }
        });
        held
    }

    fn posted(&self) -> bool {
        self.posted.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn release(&self) {
        let (lock, turn) = &*self.released;
        *lock.lock().unwrap() = true;
        turn.notify_all();
    }
}

/// Runs the CLI with `args` (a dial) until its dial request arrives, sends it SIGINT, and
/// once it says it waits for the answer lets the answer (`status`, `body`) go: the answer
/// always comes after the interruption, within its grace period.
#[cfg(unix)]
async fn interrupt_then_answer(status: u16, body: Value, args: &[&str], config: &str) -> Output {
    interrupt_then_answer_to(status, body, args, config, Reader::Stays).await
}

/// What reads the CLI's standard output when Ctrl-C comes.
#[cfg(unix)]
#[derive(PartialEq)]
enum Reader {
    /// It reads on.
    Stays,
    /// It got the same Ctrl-C (a pipe's reader at a terminal) and closed the pipe.
    Quits,
}

/// [`interrupt_then_answer`], standard output read by `reader`.
#[cfg(unix)]
async fn interrupt_then_answer_to(
    status: u16,
    body: Value,
    args: &[&str],
    config: &str,
    reader: Reader,
) -> Output {
    use std::io::BufRead;
    let server = HeldAnswer::start(status, &body);
    let config = vendor_config("rounded", &server.uri, config);
    let mut child = spawn_piped(&config, args);
    let (lines, mut said) = tokio::sync::mpsc::unbounded_channel();
    let errors = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(errors)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines.send(line);
        }
    });
    let started = std::time::Instant::now();
    while !server.posted() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no dial arrived"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    if reader == Reader::Quits {
        drop(child.stdout.take());
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut text = Vec::new();
    loop {
        let line = tokio::time::timeout(std::time::Duration::from_secs(60), said.recv())
            .await
            .expect("a line in time")
            .unwrap_or_else(|| panic!("ended without waiting: {}", text.join("\n")));
        let waiting = line.contains("waiting up to");
        text.push(line);
        if waiting {
            break;
        }
    }
    server.release();
    let mut out = wait_output(child).await;
    while let Some(line) = said.recv().await {
        text.push(line);
    }
    out.stderr = (text.join("\n") + "\n").into_bytes();
    out
}

/// Rounded's answer to a dial that placed the call `call_id`.
#[cfg(unix)]
fn rounded_dialed(call_id: &str) -> Value {
    serde_json::json!({"message": "Phone call started successfully",
        "data": {"call_id": call_id}, "error": null, "status": 201})
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_a_dial_says_the_call_may_have_been_placed() {
    // The answer comes after the interrupt, within the grace period (10 s): its id is
    // printed, on standard output too (a script reads it there).
    let id = "b48d0eec-c2e3-4b12-85c6-2aa47f65badb";
    let args = ["calls", "dial", "--to", "+16175550120", "--json"];
    let out = interrupt_then_answer(201, rounded_dialed(id), &args, "").await;
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("the call was placed"), "{text}");
    assert!(text.contains(id), "{text}");
    let printed: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{text}", stdout(&out)));
    assert_eq!(printed["call_id"], id, "{printed}");
    // The pipe's reader got the same Ctrl-C and is gone: the id cannot reach standard
    // output, so standard error has it, and the exit code stays the interruption's.
    let quits = Reader::Quits;
    let out = interrupt_then_answer_to(201, rounded_dialed(id), &args, "", quits).await;
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("the call was placed before the interruption"),
        "{text}"
    );
    assert!(text.contains(id), "{text}");
    // No answer in time: the call may exist, and its id is unknown.
    let out = interrupt_a_dial(std::time::Duration::from_secs(30)).await;
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("the call may have been placed"), "{text}");
    assert!(text.contains("id is not known"), "{text}");
    // The search to run, pasteable as it is.
    assert!(
        text.contains("--config") && text.contains(" calls list --to '+16175550120'"),
        "{text}"
    );
}

/// SIGTERM (a service manager, a CI runner, `timeout`) and SIGHUP stop a dial or a check as
/// Ctrl-C does: what it may have left behind is said, not lost with the process.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_a_dial_or_a_check_says_what_it_left() {
    let answer = serde_json::json!({"message": "Phone call started successfully",
        "data": {"call_id": "b48d0eec-c2e3-4b12-85c6-2aa47f65badb"}, "error": null, "status": 201});
    let late = || {
        wiremock::ResponseTemplate::new(201)
            .set_body_json(answer.clone())
            .set_delay(std::time::Duration::from_secs(30))
    };
    let dial: &[&str] = &["calls", "dial", "--to", "+16175550120"];
    let check: &[&str] = &["check", "--dial", "+16175550120"];
    // SIGHUP (its terminal closed, an SSH session dropped) as SIGTERM, with 129: what it
    // says still reaches a log its standard error goes to.
    for (args, signal, code, said) in [
        (dial, "-TERM", 143, "the call may have been placed"),
        (check, "-TERM", 143, "could still be live"),
        (dial, "-HUP", 129, "the call may have been placed"),
    ] {
        let out = signal_when_answered(late(), args, "", signal).await;
        let what = format!("{signal} {args:?}: {}", stderr(&out));
        assert_eq!(out.status.code(), Some(code), "{what}");
        assert!(stderr(&out).contains(said), "{what}");
    }
}

/// `voiceport check --dial` stopped while it still reads the account (before its dial)
/// says it placed no call, rather than sending the user to look for one.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_check_before_its_dial_says_no_call_was_placed() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(30)))
        .mount(&server)
        .await;
    let child = spawn_check_dial(&server);
    let out = interrupt_once_asked(&server, child, 1, "check before its dial").await;
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("it placed no call and changed nothing"),
        "{text}"
    );
    assert!(!text.contains("could still be live"), "{text}");
    let requests = server.received_requests().await.unwrap_or_default();
    assert!(
        requests
            .iter()
            .all(|r| r.method == wiremock::http::Method::GET)
    );
}

/// `voiceport check --dial` stopped while its call may be live says how to find and end it.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_check_dial_says_the_call_may_be_live() {
    let args = ["check", "--dial", "+16175550120"];
    let out = interrupt_when_dialing(std::time::Duration::from_secs(30), &args, "").await;
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("could still be live"), "{text}");
    assert!(
        text.contains("--config") && text.contains(" calls list --to '+16175550120'"),
        "{text}"
    );
}

/// `voiceport check --dial` stopped while it waits for the call it placed to end ends that
/// call, and says so with its id: the user is not left to find a live call by its number.
/// A call over by then (the person called hung up) is said to be over, and not ended.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_check_dial_s_wait_ends_the_call_it_placed() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let id = "b48d0eec-c2e3-4b12-85c6-2aa47f65badb";
    let call = |status: &str| {
        serde_json::json!({"message": "Call retrieved successfully", "data": {
            "id": id, "type": "phone_call", "status": status,
            "start_time": "2026-03-23T17:58:40Z", "from_number": "+16175550142",
            "to_number": "+16175550120", "direction": "outbound"}, "error": null, "status": 200})
    };
    // (the call's status once stopped, the terminates expected, what is said)
    for (then, terminates, said) in [
        ("in_progress", 1, format!("call {id} was ended")),
        ("completed", 0, format!("call {id} is over")),
    ] {
        let server = MockServer::start().await;
        let mount = async |status: &str, terminates: u64| {
            Mock::given(method("POST"))
                .and(path("/calls/phone"))
                .respond_with(ResponseTemplate::new(201).set_body_json(rounded_dialed(id)))
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path(format!("/calls/{id}")))
                .respond_with(ResponseTemplate::new(200).set_body_json(call(status)))
                .mount(&server)
                .await;
            let terminated = serde_json::json!({"message": "Call terminated successfully",
                "data": null, "error": null, "status": 200});
            Mock::given(method("POST"))
                .and(path(format!("/calls/{id}/terminate")))
                .respond_with(ResponseTemplate::new(200).set_body_json(terminated))
                .expect(terminates)
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .respond_with(ResponseTemplate::new(200).set_body_json(rounded_page(&[], None)))
                .mount(&server)
                .await;
        };
        mount("in_progress", 0).await;
        let child = spawn_check_dial(&server);
        // Stopped once the wait has read the call placed.
        let call_path = format!("/calls/{id}");
        until_requested(&server, &call_path, "the check never waited for its call").await;
        // The call as it reads from now on; a wait that sees it over first goes on to
        // the next wait (its analysis), where the stop comes all the same.
        server.reset().await;
        mount(then, terminates).await;
        let kill = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let out = wait_output(child).await;
        assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
        let text = stderr(&out);
        assert!(text.contains(&said), "{then}: {text}");
        assert!(!text.contains("could still be live"), "{text}");
        // The terminates expected were sent (the mocks' `expect`s are checked here).
        server.verify().await;
    }
}

/// `voiceport check --dial +16175550120` against a Rounded API at `server`, its outputs
/// piped.
fn spawn_check_dial(server: &wiremock::MockServer) -> std::process::Child {
    let config = vendor_config("rounded", &server.uri(), "");
    spawn_piped(&config, &["check", "--dial", "+16175550120"])
}

/// Waits until `server` has received a request for `path` (at most 30 seconds; then
/// fails, saying `what`).
async fn until_requested(server: &wiremock::MockServer, path: &str, what: &str) {
    let started = std::time::Instant::now();
    loop {
        let requests = server.received_requests().await.unwrap_or_default();
        if requests.iter().any(|r| r.url.path() == path) {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A second stop while the stopped check is still ending its call gives up at once,
/// naming the call it did not end and how to end it, rather than waiting out the ten
/// seconds the ending has.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_second_ctrl_c_while_check_ends_its_call_gives_up_naming_it() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let id = "5f0c3e1a-9b7d-4c2e-8a61-3d9e0b7c4f12";
    let live = serde_json::json!({"message": "Call retrieved successfully", "data": {
        "id": id, "type": "phone_call", "status": "in_progress",
        "start_time": "2026-03-23T17:58:40Z", "from_number": "+16175550142",
        "to_number": "+16175550120", "direction": "outbound"}, "error": null, "status": 200});
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/calls/phone"))
        .respond_with(ResponseTemplate::new(201).set_body_json(rounded_dialed(id)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/calls/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(&live))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(rounded_page(&[], None)))
        .mount(&server)
        .await;
    let child = spawn_check_dial(&server);
    let call_path = format!("/calls/{id}");
    until_requested(&server, &call_path, "the check never waited for its call").await;
    // From now on the call reads back slowly, and is never ended: the stopped check's
    // ending would wait on it for the ten seconds it has.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path(format!("/calls/{id}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(&live)
                .set_delay(std::time::Duration::from_secs(60)),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/calls/{id}/terminate")))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let interrupt = || {
        let kill = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
    };
    interrupt();
    // A read of the call is under way since the stop (the wait's, which the stop drops,
    // or the ending's own).
    until_requested(
        &server,
        &call_path,
        "the stopped check never read its call back",
    )
    .await;
    interrupt();
    let out = wait_output(child).await;
    // Given up at once: the message below is said only by the branch that hears the
    // second stop, not after the ending's ten seconds.
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains(&format!(
            "stopped again before ending call {id}, which may still be live"
        )),
        "{text}"
    );
    assert!(text.contains("calls end ID"), "{text}");
    assert!(!text.contains("was ended"), "{text}");
    server.verify().await;
}

/// The same through a route: the answer is waited for, and the provider named.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_a_routed_dial_waits_for_the_answer_and_names_the_provider() {
    let route = "[routes.out]\nproviders = [\"x\"]\npolicy = \"failover\"\n";
    let id = "b48d0eec-c2e3-4b12-85c6-2aa47f65badb";
    let args = [
        "calls",
        "dial",
        "--to",
        "+16175550120",
        "--route",
        "out",
        "--json",
    ];
    let out = interrupt_then_answer(201, rounded_dialed(id), &args, route).await;
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("waiting up to"), "{text}");
    assert!(text.contains("placed through `x`"), "{text}");
    assert!(text.contains(&format!("x:{id}")), "{text}");
    let printed: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{text}", stdout(&out)));
    assert_eq!(printed["qualified_id"], format!("x:{id}"), "{printed}");
    assert_eq!(printed["provider_name"], "x", "{printed}");
    let out = interrupt_a_dial_with(
        std::time::Duration::from_secs(30),
        &["--route", "out"],
        route,
    )
    .await;
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("id is not known"), "{text}");
    assert!(
        text.contains(" calls list --providers 'all' --to '+16175550120'"),
        "{text}"
    );
}

/// `calls dial --wait` prints the call as it ended: one JSON value with `--json`, the dial
/// line then the call's table without; through a route too.
#[tokio::test(flavor = "multi_thread")]
async fn dial_wait_prints_the_call_as_it_ended() {
    let env = env().await;
    let dial = |to: &'static str| ["-p", "rounded", "calls", "dial", "--to", to, "--wait"];
    let out = run(
        Some(&env),
        &[&dial("+14155550187")[..], &["--json"]].concat(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = json(&out);
    assert_eq!(printed["call"]["status"], "completed", "{printed}");
    assert_eq!(printed["call"]["id"], printed["call_id"]);
    assert!(
        stderr(&out).contains("waiting for call"),
        "{}",
        stderr(&out)
    );

    // A busy line ends busy; the table follows the dial line.
    let out = run(Some(&env), &dial("+14155550181")).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("dialed "), "{text}");
    assert!(text.contains("busy"), "{text}");

    // Through a route: the provider that placed it is waited on.
    let mut config = std::fs::read_to_string(&env.config).unwrap();
    config.push_str("[routes.out]\nproviders = [\"voicebot\"]\npolicy = \"failover\"\n");
    std::fs::write(&env.config, config).unwrap();
    let routed = [
        "calls",
        "dial",
        "--route",
        "out",
        "--to",
        "+14155550185",
        "--wait",
        "--json",
    ];
    let out = run(Some(&env), &routed).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = json(&out);
    assert_eq!(printed["provider_name"], "voicebot", "{printed}");
    assert_eq!(printed["call"]["status"], "transferred", "{printed}");

    // --wait-timeout needs --wait.
    let out = run(
        Some(&env),
        &[
            "calls",
            "dial",
            "--to",
            "+14155550187",
            "--wait-timeout",
            "5",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// The call was placed, then looking at it failed (the vendor answered 500): exit 3, saying
/// the call was placed and how to look at it, and with `--json` the dial's JSON on standard
/// output, so that a script does not dial again.
#[tokio::test(flavor = "multi_thread")]
async fn dial_wait_that_cannot_look_at_the_call_says_it_was_placed() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let id = "97adfced-7c9c-4776-8915-cda3cd23b993";
    let placed = serde_json::json!({"message": "Call started", "data": {"call_id": id},
                                    "error": null, "status": 201});
    Mock::given(method("POST"))
        .and(path("/v1/calls/phone"))
        .respond_with(ResponseTemplate::new(201).set_body_json(placed))
        // One dial per run: never sent again.
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/calls/{id}")))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let config = vendor_config("rounded", &format!("{}/v1", server.uri()), "");
    for json_too in [false, true] {
        let mut args = vec!["calls", "dial", "--to", "+14155550187", "--wait"];
        if json_too {
            args.push("--json");
        }
        let out = run_with(&config, &args).await;
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        let said = stderr(&out);
        assert!(
            said.contains(&format!("call {id} was placed; to see it, run: voiceport")),
            "{said}"
        );
        let printed = stdout(&out);
        if json_too {
            let dialed: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(dialed["call_id"], id, "{printed}");
        } else {
            assert_eq!(printed.trim(), format!("dialed {id}"));
        }
    }
}

/// A call still live when `--wait-timeout` runs out: exit 3, and the call goes on; with
/// `--json` the dial's JSON is printed all the same, so that a script learns its id.
#[tokio::test(flavor = "multi_thread")]
async fn dial_wait_gives_up_after_its_timeout() {
    let env = env_talking(std::time::Duration::from_secs(600)).await;
    let args = [
        "-p",
        "retell",
        "calls",
        "dial",
        "--to",
        "+14155550187",
        "--wait",
        "--wait-timeout",
        "1",
        "--json",
    ];
    let out = run(Some(&env), &args).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let dialed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = dialed["call_id"].as_str().unwrap_or_default().to_owned();
    assert!(id.starts_with("call_"), "{dialed}");
    let said = stderr(&out);
    assert!(said.contains(&format!("calls get '{id}'")), "{said}");
    assert!(said.contains("waiting for call"), "{said}");
    assert!(said.contains("is still in_progress after"), "{said}");
    assert!(
        said.contains("the call goes on; to see it, run: voiceport"),
        "{said}"
    );
    assert!(said.contains("-p 'retell' calls get 'call_"), "{said}");
    let live = json(
        &run(
            Some(&env),
            &[
                "-p",
                "retell",
                "calls",
                "list",
                "--status",
                "in_progress",
                "--json",
            ],
        )
        .await,
    );
    assert!(!live["calls"].as_array().unwrap().is_empty(), "{live}");
}

/// The command line with the configuration `config` and `args`, started with its
/// standard output and error piped, for a test to signal while it runs.
#[cfg(unix)]
fn spawn_piped(config: &std::path::Path, args: &[&str]) -> std::process::Child {
    voiceport_bin()
        .arg("--config")
        .arg(config)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Ctrl-C while `calls dial --wait` waits stops the wait, not the call: exit 130, saying
/// the call goes on and how to look at it.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_a_dial_wait_stops_the_wait_not_the_call() {
    use std::io::{BufRead, BufReader, Read};
    let env = env_talking(std::time::Duration::from_secs(600)).await;
    let dial = [
        "-p",
        "rounded",
        "calls",
        "dial",
        "--to",
        "+14155550187",
        "--wait",
    ];
    let mut child = spawn_piped(&env.config, &dial);
    // Standard error line by line, until the wait says it began; the rest kept.
    let mut said = BufReader::new(child.stderr.take().unwrap());
    let waiting = tokio::task::spawn_blocking(move || {
        let mut lines = String::new();
        loop {
            let mut line = String::new();
            if said.read_line(&mut line).unwrap() == 0 {
                return (lines, said);
            }
            lines.push_str(&line);
            if line.starts_with("waiting for call") {
                return (lines, said);
            }
        }
    });
    let (mut text, mut said) = tokio::time::timeout(std::time::Duration::from_secs(30), waiting)
        .await
        .expect("the wait never began")
        .unwrap();
    assert!(text.contains("waiting for call"), "{text}");
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    said.read_to_string(&mut text).unwrap();
    let out = wait_output(child).await;
    assert_eq!(out.status.code(), Some(130), "{text}");
    let printed = stdout(&out);
    let id = printed
        .trim()
        .strip_prefix("dialed ")
        .expect(&printed)
        .to_owned();
    assert!(text.contains("stopped waiting: call"), "{text}");
    assert!(
        text.contains("goes on; to see it, run: voiceport"),
        "{text}"
    );
    // The call is still live (maybe still ringing: it rings for 20 ms after its dial).
    let get = ["-p", "rounded", "calls", "get", &id, "--json"];
    let call = json(&run(Some(&env), &get).await);
    let live = ["queued", "ringing", "in_progress"];
    assert!(live.contains(&call["status"].as_str().unwrap()), "{call}");
    assert!(call["ended_at"].is_null(), "{call}");
}

/// Ctrl-C during a merged export into a pipe whose reader is gone too (it got the same
/// Ctrl-C) ends as an interruption (exit 130), not as a quiet success: the rows still
/// buffered could not be written.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_an_export_into_a_closed_pipe_is_an_interruption() {
    let env = env().await;
    // Each vendor's first page comes at once; the next ones hang, so the walk is midway.
    hang_reads_of_rounded_and_voicebot(&env, 1);
    let export = [
        "export",
        "--providers",
        "rounded,voicebot",
        "--page-size",
        "5",
    ];
    let out = interrupted_with_its_reader_gone(&env, &export, 2).await;
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
}

/// A listing or an export that matches nothing says so on standard error (a table of
/// headers alone reads as a failure), with `--agent` that it takes the agent's id, not
/// its name, and from a `--cursor` that nothing came after it.
#[tokio::test(flavor = "multi_thread")]
async fn a_listing_that_matches_nothing_says_so() {
    let env = env().await;
    let by_name = ["calls", "list", "--agent", "Sandbox outreach"];
    let out = run(Some(&env), &by_name).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
    assert!(
        stderr(&out).contains(
            "note: no call matched (if --agent was given a name: it takes the agent's id)"
        ),
        "{}",
        stderr(&out)
    );
    let none = [
        "calls",
        "list",
        "--status",
        "voicemail",
        "--since",
        "2099-01-01",
    ];
    let out = run(Some(&env), &none).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("note: no call matched\n"),
        "{}",
        stderr(&out)
    );
    // Every page (--all), or a merged walk: the same.
    let all = [&none[..], &["--all"]].concat();
    let merged = [&none[..], &["--providers", "happyrobot,retell"]].concat();
    for args in [all, merged] {
        let out = run(Some(&env), &args).await;
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("note: no call matched\n"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // An export too, into a file (a CSV of headers alone) or onto standard output.
    let exports = [
        ["export", "--format", "csv", "--since", "2099-01-01"],
        [
            "export",
            "--providers",
            "happyrobot,retell",
            "--since",
            "2099-01-01",
        ],
    ];
    for (n, args) in exports.into_iter().enumerate() {
        let file = env.config.with_file_name(format!("none-{n}.out"));
        let into_file = [&args[..], &["-o", file.to_str().unwrap()]].concat();
        for args in [&args[..], &into_file] {
            let out = run(Some(&env), args).await;
            assert!(out.status.success(), "{args:?}: {}", stderr(&out));
            assert!(
                stderr(&out).contains("note: no call matched\n"),
                "{args:?}: {}",
                stderr(&out)
            );
        }
    }
    // Resumed from a cursor past the last call (HappyRobot's: an offset), it says that
    // nothing came after the cursor: the calls before it may well have matched.
    let past_the_end = r#"{"mode":"offset","skip":100000}"#;
    for args in [
        &["calls", "list", "--cursor", past_the_end][..],
        &["calls", "list", "--all", "--cursor", past_the_end],
        &["export", "--cursor", past_the_end],
    ] {
        let out = run(Some(&env), args).await;
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("note: no call after the cursor matched\n"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // A listing with calls says nothing of the kind.
    for args in [
        &["calls", "list", "--limit", "3"][..],
        &["calls", "list", "--all"],
        &[
            "calls",
            "list",
            "--providers",
            "happyrobot,retell",
            "--limit",
            "3",
        ],
        &["export", "--page-size", "5"],
        &["export", "--providers", "happyrobot,retell"],
    ] {
        let out = run(Some(&env), args).await;
        assert!(
            !stderr(&out).contains("no call matched"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

/// A merged walk can leave out a provider that cannot apply its filters
/// (`--skip-unsupported`, each named on standard error) and go on past one that fails
/// mid-walk (`--keep-going`: the failure said at the end, exit 3, and a cursor that resumes
/// the failed provider where it stopped); both need --providers.
#[tokio::test(flavor = "multi_thread")]
async fn a_merged_walk_leaves_out_and_goes_on_when_told() {
    let env = env().await;
    // Only HappyRobot filters by tag: refused as a whole (4), or walked without the others.
    let tagged = [
        "calls",
        "list",
        "--providers",
        "voicebot,happyrobot",
        "--tag",
        "vip",
    ];
    let out = run(Some(&env), &tagged).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    // The refusal says how to walk the others, and which flag it is.
    assert!(
        stderr(&out).contains("--skip-unsupported walks the providers that can")
            && stderr(&out).contains("on the command line: --tag"),
        "{}",
        stderr(&out)
    );
    // Where none of them can, leaving some out would leave none: not offered.
    let oldest = [
        "calls",
        "list",
        "--providers",
        "voicebot,rounded",
        "--sort",
        "oldest",
    ];
    let out = run(Some(&env), &oldest).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("--skip-unsupported"),
        "{}",
        stderr(&out)
    );
    let skipping = [
        &tagged[..],
        &["--skip-unsupported", "--json", "--limit", "100"],
    ]
    .concat();
    let out = run(Some(&env), &skipping).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("left out `voicebot`"),
        "{}",
        stderr(&out)
    );
    let page = json(&out);
    let calls = page["calls"].as_array().unwrap();
    assert!(!calls.is_empty(), "{page}");
    assert!(
        calls.iter().all(|c| c["provider_name"] == "happyrobot"),
        "{page}"
    );
    // Without --providers there is no walk of several to leave one out of (clap: 2).
    for flag in ["--skip-unsupported", "--keep-going"] {
        let out = run(Some(&env), &["-p", "rounded", "calls", "list", flag]).await;
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", stderr(&out));
    }

    // Rounded refuses its second page once (a key revoked mid-walk, say).
    use voiceport_sandbox::{Fault, FaultKind};
    env._sandbox.faults().inject(
        Fault::new(FaultKind::Status(401))
            .vendor(voiceport::ProviderKind::Rounded)
            .method("GET")
            .skip(1)
            .times(1),
    );
    let export = [
        "export",
        "--providers",
        "rounded,voicebot",
        "--page-size",
        "5",
        "--keep-going",
    ];
    let out = run(Some(&env), &export).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("`rounded` failed mid-walk"), "{said}");
    let first: Vec<Value> = stdout(&out)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    // Every Voicebot Studio call, and Rounded's first page.
    let of =
        |rows: &[Value], name: &str| rows.iter().filter(|c| c["provider_name"] == name).count();
    assert_eq!(of(&first, "voicebot"), 30, "{said}");
    assert_eq!(of(&first, "rounded"), 5, "{said}");
    // The cursor said resumes Rounded where it stopped, and nothing else.
    let cursor = said
        .split("--cursor ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(|quoted| quoted.trim_matches('\''))
        .expect("a cursor");
    let resumed = [&export[..5], &["--cursor", cursor]].concat();
    let out = run(Some(&env), &resumed).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let rest: Vec<Value> = stdout(&out)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!((of(&rest, "rounded"), of(&rest, "voicebot")), (25, 0));
    let ids: std::collections::BTreeSet<&str> = (first.iter().chain(&rest))
        .filter(|c| c["provider_name"] == "rounded")
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 30);

    // A page of JSON whose walk left a failed provider behind says where to go on, as the
    // error does (its other providers ran out before the page was full).
    env._sandbox.faults().inject(
        Fault::new(FaultKind::Status(401))
            .vendor(voiceport::ProviderKind::Rounded)
            .method("GET")
            .times(1),
    );
    let listing = [
        "calls",
        "list",
        "--providers",
        "rounded,voicebot",
        "--json",
        "--limit",
        "50",
    ];
    let out = run(Some(&env), &[&listing[..], &["--keep-going"]].concat()).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let page: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(page["calls"].as_array().map(Vec::len), Some(30), "{page}");
    let next = page["next_cursor"]
        .as_str()
        .expect("a cursor to go on from");
    let out = run(Some(&env), &[&listing[..], &["--cursor", next]].concat()).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let page = json(&out);
    let calls = page["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 30, "{page}");
    assert!(
        calls.iter().all(|c| c["provider_name"] == "rounded"),
        "{page}"
    );
    assert!(page["next_cursor"].is_null(), "{page}");
}

/// Makes the read of the sandbox's Rounded and Voicebot Studio after the first `skip` of
/// each hang for a minute: a walk's pages come one after another, so that walk of the
/// vendor stops there. Each fault is disarmed as it fires, which tells the test the walk
/// has reached it.
fn hang_reads_of_rounded_and_voicebot(env: &Env, skip: u32) {
    use voiceport_sandbox::{Fault, FaultKind};
    for kind in [
        voiceport::ProviderKind::Rounded,
        voiceport::ProviderKind::Voicebot,
    ] {
        env._sandbox.faults().inject(
            Fault::new(FaultKind::Delay(std::time::Duration::from_secs(60)))
                .vendor(kind)
                .method("GET")
                .skip(skip)
                .times(1),
        );
    }
}

/// Runs the command `args` with standard output piped until `hangs` of the reads
/// [`hang_reads_of_rounded_and_voicebot`] hangs have come, then closes the pipe's reading
/// end and sends Ctrl-C, as a shell does to `voiceport … | head` on Ctrl-C.
#[cfg(unix)]
async fn interrupted_with_its_reader_gone(env: &Env, args: &[&str], hangs: usize) -> Output {
    let mut child = spawn_piped(&env.config, args);
    let armed = env._sandbox.faults().len();
    let started = std::time::Instant::now();
    while env._sandbox.faults().len() > armed - hangs {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{args:?}: the walk never reached its hanging read"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The reader goes, then the Ctrl-C comes.
    drop(child.stdout.take());
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    wait_output(child).await
}

/// The same for `calls list --all` as a table, one provider or several, stopped before
/// its first page came: the header alone is left to write, into a pipe whose reader is
/// gone, and that is still an interruption (exit 130), not a quiet success.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_before_a_listing_s_first_page_into_a_closed_pipe_is_an_interruption() {
    let env = env().await;
    let listings: [(&[&str], usize); 2] = [
        (&["-p", "rounded", "calls", "list", "--all"], 1),
        (
            &["calls", "list", "--all", "--providers", "rounded,voicebot"],
            2,
        ),
    ];
    for (listing, hangs) in listings {
        env._sandbox.faults().clear();
        hang_reads_of_rounded_and_voicebot(&env, 0);
        let out = interrupted_with_its_reader_gone(&env, listing, hangs).await;
        assert_eq!(
            out.status.code(),
            Some(130),
            "{listing:?}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    }
}

/// A walk that cannot write its calls (a full disk: `/dev/full`) says where to resume, the
/// calls it could not write included, for one provider and for several; one that wrote
/// nothing and began at no `--cursor` says to start over.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn a_walk_that_cannot_write_says_where_to_resume() {
    let env = env().await;
    let first = json(&run(Some(&env), &["calls", "list", "--limit", "2", "--json"]).await);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let walks: [&[&str]; 4] = [
        &["calls", "list", "--all", "--json", "--cursor", &cursor],
        &["calls", "list", "--all", "--cursor", &cursor],
        &["calls", "list", "--all", "--json", "--providers", "all"],
        &["calls", "list", "--all", "--json"],
    ];
    for args in walks {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let mut command = voiceport_bin();
        command.arg("--config").arg(&env.config).args(args);
        command.stdout(full).stderr(std::process::Stdio::piped());
        let out = wait_output(command.spawn().unwrap()).await;
        let said = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {said}");
        assert!(
            said.contains("0 calls were printed whole before the failure"),
            "{args:?}: {said}"
        );
        if args.contains(&cursor.as_str()) {
            // The page that failed is printed again from the cursor that fetched it.
            let again = format!("run the same command with --cursor '{cursor}'");
            assert!(said.contains(&again), "{args:?}: {said}");
        } else {
            assert!(
                said.contains("start over") && !said.contains("--cursor"),
                "{args:?}: {said}"
            );
        }
    }
}

/// `--sort oldest` lists oldest first where the vendor can (HappyRobot sorts on its side),
/// in a listing and an export; a vendor that lists newest first only refuses it (exit 4).
#[tokio::test(flavor = "multi_thread")]
async fn calls_are_listed_oldest_first_when_asked() {
    let env = env().await;
    let times = |calls: &[Value]| -> Vec<String> {
        calls
            .iter()
            .map(|c| c["created_at"].as_str().unwrap().to_owned())
            .collect()
    };
    let oldest = [
        "calls", "list", "--sort", "oldest", "--limit", "20", "--json",
    ];
    let page = json(&run(Some(&env), &oldest).await);
    let listed = times(page["calls"].as_array().unwrap());
    assert!(listed.len() > 1, "{page}");
    assert!(listed.windows(2).all(|w| w[0] <= w[1]), "{listed:?}");
    let newest = [
        "calls", "list", "--sort", "newest", "--limit", "20", "--json",
    ];
    let page = json(&run(Some(&env), &newest).await);
    let listed = times(page["calls"].as_array().unwrap());
    assert!(listed.windows(2).all(|w| w[0] >= w[1]), "{listed:?}");
    let exported = run(Some(&env), &["export", "--sort", "oldest"]).await;
    assert!(exported.status.success(), "{}", stderr(&exported));
    let rows: Vec<Value> = stdout(&exported)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let exported = times(&rows);
    assert!(exported.windows(2).all(|w| w[0] <= w[1]), "{exported:?}");
    let refused = run(
        Some(&env),
        &["-p", "voicebot", "calls", "list", "--sort", "oldest"],
    )
    .await;
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
}

/// A number written with spaces, dashes or parentheses after its `+` is dialed in E.164,
/// as the listing filters take it; one that is no E.164 number once they are left out is
/// still refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_dial_takes_a_number_written_with_separators() {
    let env = env().await;
    let dial = ["calls", "dial", "--to", "+1 (415) 555-0187", "--json"];
    let dialed = run(Some(&env), &dial).await;
    assert!(dialed.status.success(), "{}", stderr(&dialed));
    let dialed = json(&dialed);
    assert_eq!(dialed["call"]["to"], "+14155550187", "{dialed}");
    // The caller id too (Retell's call keeps the number it was dialed from).
    let dial = [
        "-p",
        "retell",
        "calls",
        "dial",
        "--to",
        "+14155550187",
        "--from",
        "+1 628-555-0143",
        "--json",
    ];
    let dialed = run(Some(&env), &dial).await;
    assert!(dialed.status.success(), "{}", stderr(&dialed));
    let dialed = json(&dialed);
    assert_eq!(dialed["call"]["from"], "+16285550143", "{dialed}");
    for written in ["+0 (415) 555-0187", "+44 (0)20 7946 0958"] {
        let out = run(Some(&env), &["calls", "dial", "--to", written]).await;
        assert_eq!(out.status.code(), Some(2), "{written}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("expected an E.164 number"),
            "{}",
            stderr(&out)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn several_providers_merged_listing_export_routes_and_qualified_ids() {
    let env = env().await;
    let mut text = std::fs::read_to_string(&env.config).unwrap();
    text.push_str("[routes.out]\nproviders = [\"voicebot\", \"rounded\"]\npolicy = \"failover\"\n");
    std::fs::write(&env.config, text).unwrap();

    // One merged page of 7, then the rest from the printed cursor: every call once.
    let first = run(
        Some(&env),
        &[
            "calls",
            "list",
            "--providers",
            "voicebot,rounded",
            "--limit",
            "7",
            "--json",
        ],
    )
    .await;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let lines = |out: &Output| -> Vec<Value> {
        stdout(out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    // A misspelt provider in an id is refused, not asked of the default provider.
    let misspelt = run(Some(&env), &["calls", "get", "voicebto:abc"]).await;
    assert_eq!(misspelt.status.code(), Some(2), "{}", stderr(&misspelt));
    // The refusal names the misspelt part and the providers there are.
    let said = stderr(&misspelt);
    assert!(said.contains("`voicebto`"), "{said}");
    assert!(said.contains("\"voicebot\""), "{said}");
    // -p and --providers contradict each other.
    let both = ["-p", "rounded", "calls", "list", "--providers", "voicebot"];
    assert_eq!(run(Some(&env), &both).await.status.code(), Some(2));
    // A blank selection (`--providers "$UNSET"`) selects no provider and is refused: only
    // `all` walks every one.
    for blank in ["", " ", ","] {
        for command in ["calls list", "export"] {
            let mut args: Vec<&str> = command.split(' ').collect();
            args.extend(["--providers", blank]);
            let out = run(Some(&env), &args).await;
            let text = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
            assert!(text.contains("no provider selected"), "{args:?}: {text}");
            assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
        }
    }
    // One page is one object, as for a single provider: the calls and the cursor.
    let first = json(&first);
    let page = first["calls"].as_array().unwrap().clone();
    assert_eq!(page.len(), 7);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let rest = run(
        Some(&env),
        &[
            "calls",
            "list",
            "--providers",
            "voicebot,rounded",
            "--all",
            "--json",
            "--cursor",
            &cursor,
        ],
    )
    .await;
    assert!(
        rest.status.success(),
        "{}",
        String::from_utf8_lossy(&rest.stderr)
    );
    let mut ids: Vec<String> = page
        .iter()
        .chain(lines(&rest).iter())
        .map(|c| {
            format!(
                "{}:{}",
                c["provider_name"].as_str().unwrap(),
                c["id"].as_str().unwrap()
            )
        })
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "a call came twice");
    assert_eq!(total, 60, "30 calls each");

    // A table names the provider; a qualified id reaches the right provider.
    let table = stdout(
        &run(
            Some(&env),
            &["calls", "list", "--providers", "all", "--limit", "5"],
        )
        .await,
    );
    assert!(table.starts_with("PROVIDER"), "{table}");
    let qualified = &ids[0];
    let got = json(&run(Some(&env), &["calls", "get", qualified, "--json"]).await);
    assert_eq!(
        format!("rounded:{}", got["id"].as_str().unwrap()),
        *qualified
    );
    // `notes` take qualified ids too: the note lands on that provider's call, and a
    // misspelt prefix is refused rather than sent to the default provider as an id.
    let page = json(
        &run(
            Some(&env),
            &[
                "-p",
                "happyrobot",
                "calls",
                "list",
                "--limit",
                "1",
                "--json",
            ],
        )
        .await,
    );
    let call = page["calls"][0]["id"].as_str().unwrap().to_owned();
    let note = [
        "notes",
        "add",
        &format!("happyrobot:{call}"),
        "Asked for a callback",
        "--json",
    ];
    let added = run(Some(&env), &note).await;
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(
        stdout(&added).contains("Asked for a callback"),
        "{}",
        stdout(&added)
    );
    let misspelt = run(
        Some(&env),
        &["notes", "add", &format!("happyrobto:{call}"), "x"],
    )
    .await;
    assert_eq!(misspelt.status.code(), Some(2), "{}", stderr(&misspelt));
    assert!(
        stderr(&misspelt).contains("`happyrobto`"),
        "{}",
        stderr(&misspelt)
    );

    // Merged export: JSON Lines with provider_name, and CSV with a first column for it.
    let exported = run(
        Some(&env),
        &["export", "--providers", "voicebot,happyrobot"],
    )
    .await;
    assert!(exported.status.success());
    assert_eq!(stdout(&exported).lines().count(), 60);
    let csv = run(
        Some(&env),
        &["export", "--providers", "rounded", "--format", "csv"],
    )
    .await;
    assert!(
        stdout(&csv).starts_with("provider_name,id,"),
        "{}",
        stdout(&csv)
    );

    // A dial through the route: the first provider places it, and the answer says which.
    let dialed = json(
        &run(
            Some(&env),
            &[
                "calls",
                "dial",
                "--route",
                "out",
                "--to",
                "+14155550177",
                "--json",
            ],
        )
        .await,
    );
    assert_eq!(dialed["provider_name"], "voicebot");
    assert!(
        dialed["qualified_id"]
            .as_str()
            .unwrap()
            .starts_with("voicebot:")
    );
    let unknown = run(
        Some(&env),
        &[
            "calls",
            "dial",
            "--route",
            "nowhere",
            "--to",
            "+14155550177",
        ],
    )
    .await;
    assert_eq!(
        unknown.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
}

/// A route interrupted while its first provider's dial is in flight places no other call:
/// that provider's refusal, after the Ctrl-C, does not move the dial on to the next one.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_a_routed_dial_dials_no_other_provider() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};
    let next = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&next)
        .await;
    let config = format!(
        "[providers.y]\nkind = \"rounded\"\napi_key = \"k\"\nbase_url = \"{}\"\n\
         [providers.y.options]\nfrom_number = \"+16175550142\"\n\
         agent_id = \"3407d20e-0e63-4a9f-9837-dd4df2fa2aee\"\n\
         [routes.out]\nproviders = [\"x\", \"y\"]\npolicy = \"failover\"\n",
        next.uri()
    );
    let refused = serde_json::json!({"message": "Too many requests"});
    let args = ["calls", "dial", "--to", "+16175550120", "--route", "out"];
    let out = interrupt_then_answer(429, refused, &args, &config).await;
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("no call was placed"), "{text}");
    assert!(
        text.contains("interrupted before the next provider was dialed"),
        "{text}"
    );
}

/// The path of a Voicebot Studio fixture.
#[cfg(unix)]
fn voicebot_fixture(name: &str) -> String {
    format!(
        "{}/../../fixtures/voicebot/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A `voiceport listen` process for one Voicebot Studio provider (`support`, header secret
/// `listen-secret-31`), its standard output as `stdout` gives it, and its standard error
/// line by line.
#[cfg(unix)]
struct Listener {
    child: KilledOnDrop,
    errors: tokio::sync::mpsc::UnboundedReceiver<String>,
}

#[cfg(unix)]
impl Listener {
    async fn start(tag: &str, args: &[&str], stdout: std::process::Stdio) -> Listener {
        use std::io::BufRead;
        let config = private_config(
            tag,
            "[providers.support]\nkind = \"voicebot\"\napi_key = \"k\"\n\
             [providers.support.webhook]\nsecret = \"listen-secret-31\"\n",
        );
        let mut child = KilledOnDrop(
            voiceport_bin()
                .arg("--config")
                .arg(&config)
                .args(["listen", "--port", "0"])
                .args(args)
                .stdout(stdout)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let (lines, errors) = tokio::sync::mpsc::unbounded_channel();
        let stderr = child.0.stderr.take().unwrap();
        std::thread::spawn(move || {
            for text in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let _ = lines.send(text);
            }
        });
        Listener { child, errors }
    }

    /// The next line on standard error.
    async fn next_line(&mut self) -> String {
        tokio::time::timeout(std::time::Duration::from_secs(30), self.errors.recv())
            .await
            .expect("a line in time")
            .expect("a line")
    }

    /// Every line on standard error from here until `listen` ends (and closes it), one
    /// text.
    async fn rest(&mut self) -> String {
        let mut lines = Vec::new();
        while let Some(line) =
            tokio::time::timeout(std::time::Duration::from_secs(30), self.errors.recv())
                .await
                .expect("standard error closes when listen ends")
        {
            lines.push(line);
        }
        lines.join("\n")
    }

    /// The address it listens on, from the first line that names it (the first line, but
    /// with `-v`, where log lines may come before it).
    async fn address(&mut self) -> String {
        let listening = loop {
            let line = self.next_line().await;
            if line.contains("/webhooks/") {
                break line;
            }
        };
        listening
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("{listening}"))
            .to_owned()
    }

    fn interrupt(&self) {
        let pid = self.child.0.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(sent.success());
    }

    /// Ctrl-C, then the line that says it is finishing what is in progress.
    async fn stop(&mut self) {
        self.interrupt();
        loop {
            if self.next_line().await.contains("Ctrl-C again to quit now") {
                return;
            }
        }
    }

    /// Ctrl-C again: it ends, successfully, saying that it quit on it (not that its ten
    /// seconds of finishing ran out, which a slow machine cannot be taken for).
    async fn quit(&mut self) {
        self.interrupt();
        loop {
            let line = self.next_line().await;
            assert!(!line.contains("stopped after"), "it was not quit: {line}");
            if line.contains("quitting now") {
                break;
            }
        }
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = self.child.0.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < RUN_LIMIT,
                "still running after quitting"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        assert!(status.success(), "{status:?}");
    }
}

/// Posts a status update and an end-of-call report, rightly signed, to `listen`'s `url`,
/// and checks each is answered 500 (not taken).
#[cfg(unix)]
async fn post_two_events_failing(url: &str) {
    for name in [
        "webhook_status_update.json",
        "webhook_end_of_call_report.json",
    ] {
        let answer = http_client()
            .post(url)
            .header("x-vapi-secret", "listen-secret-31")
            .body(std::fs::read(voicebot_fixture(name)).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 500, "{name}");
    }
}

/// A local app that refuses the connection (it is restarting) is posted to again, after a
/// pause, within the forward's time: nothing reached it, so posting again is safe. Here
/// its port is bound but not listening (refusing) when the event comes, and listening a
/// moment later; the vendor gets 204 and the app the event, once.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn listen_posts_again_to_a_local_app_that_refused_the_connection() {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let app_address = socket.local_addr().unwrap();
    let forward = format!("http://{app_address}/events");
    // `-v`: `listen` says at debug level when it posts again.
    let args = ["-v", "--forward", forward.as_str()];
    let mut listener =
        Listener::start("listen-reconnect", &args, std::process::Stdio::null()).await;
    let url = format!("http://{}/webhooks/support", listener.address().await);
    // The delivery is posted first; the app comes up once its first post was refused,
    // within the forward's pauses (0.2, 0.4, 0.8 s): a `listen` that did not post again
    // would lose the event.
    let posted = tokio::spawn(
        http_client()
            .post(&url)
            .header("x-vapi-secret", "listen-secret-31")
            .body(std::fs::read(voicebot_fixture("webhook_status_update.json")).unwrap())
            .send(),
    );
    while !listener.next_line().await.contains("posting again") {}
    let (taken, mut posts) = tokio::sync::mpsc::unbounded_channel();
    let listening = socket.listen(16).unwrap();
    let router = axum::Router::new().route(
        "/events",
        axum::routing::post(move |body: String| {
            let _ = taken.send(body);
            async { axum::http::StatusCode::NO_CONTENT }
        }),
    );
    let app = tokio::spawn(async move { axum::serve(listening, router).await });
    let answer = posted.await.unwrap().unwrap();
    assert_eq!(answer.status(), 204);
    let event = posts.recv().await.unwrap();
    assert!(event.contains("status-update"), "{event}");
    // Once: looked at when `listen` has ended, so that a late second post is seen.
    listener.stop().await;
    let status = listener.child.0.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(posts.try_recv().is_err(), "the event was posted twice");
    app.abort();
}

/// Events the local app of `--forward` never took are counted, and the count said when
/// `listen` ends (each was said as it came, the first in full).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn listen_says_at_the_end_how_many_events_the_local_app_did_not_take() {
    // Nothing listens on the port: every forward fails.
    let refusing = RefusingPort::new();
    let forward = format!("http://127.0.0.1:{}/events", refusing.port());
    let args = ["--forward", forward.as_str()];
    let mut listener = Listener::start("listen-missed", &args, std::process::Stdio::null()).await;
    let url = format!("http://{}/webhooks/support", listener.address().await);
    post_two_events_failing(&url).await;
    // The first failure is said in full, what becomes of the event included; the next
    // (an app that is down fails them all) in a line of its own, short.
    let mut failed = Vec::new();
    while failed.len() < 2 {
        let line = listener.next_line().await;
        if line.contains("forwarding to") {
            failed.push(line);
        }
    }
    assert!(
        failed[0].contains("the vendor is answered 500: it does not send it again"),
        "{failed:#?}"
    );
    assert!(
        failed[1].ends_with("`end-of-call-report` printed as not forwarded, answered 500"),
        "{failed:#?}"
    );
    listener.stop().await;
    loop {
        let line = listener.next_line().await;
        if line.contains("were not taken by") {
            assert!(line.contains("2 events printed as not forwarded"), "{line}");
            break;
        }
    }
}

/// An event `listen` cannot write to standard output (a full disk: `/dev/full`) is
/// answered 500 (the vendor may send it again), said on standard error at the first, and
/// `listen` ends with exit code 1 (a local I/O failure), saying how many it lost.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn listen_says_events_it_cannot_write_and_ends_with_1() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut listener = Listener::start("listen-full", &["--json"], full.into()).await;
    let url = format!("http://{}/webhooks/support", listener.address().await);
    post_two_events_failing(&url).await;
    while !listener
        .next_line()
        .await
        .contains("cannot write events to standard output")
    {}
    listener.stop().await;
    let rest = listener.rest().await;
    assert!(
        rest.contains("error: 2 events could not be written to standard output"),
        "{rest}"
    );
    assert!(!rest.contains("cannot write events"), "said once: {rest}");
    let status = listener.child.0.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{status:?}");
}

/// An empty configuration file (one `voiceport sandbox > FILE` has not filled yet) is said
/// to be empty, with what fills it, not as a file that names no provider.
#[tokio::test(flavor = "multi_thread")]
async fn an_empty_configuration_file_is_said_to_be_empty() {
    let dir = std::env::temp_dir().join(format!("voiceport-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("voiceport.toml");
    std::fs::write(&empty, "").unwrap();
    let out = run_with(&empty, &["calls", "list"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is empty"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("voiceport sandbox > FILE"),
        "{}",
        stderr(&out)
    );
}

/// `--only NAME` (or `--providers NAME`, as the walks name it) serves the providers named;
/// a name the configuration lacks is refused before anything is served.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn listen_serves_the_providers_named() {
    // `all`, as the walks take it, is every provider with a webhook table.
    let named = [
        ("--only", "support"),
        ("--providers", "support"),
        ("--providers", "all"),
    ];
    for (flag, name) in named {
        let mut listener =
            Listener::start("listen-only", &[flag, name], std::process::Stdio::null()).await;
        let first = listener.next_line().await;
        assert!(first.ends_with("for: support"), "{flag}: {first}");
        listener.stop().await;
        let status = listener.child.0.wait().unwrap();
        assert!(status.success(), "{flag}: {status:?}");
    }
    let mut listener = Listener::start(
        "listen-other",
        &["--providers", "sales"],
        std::process::Stdio::null(),
    )
    .await;
    let said = listener.next_line().await;
    assert!(said.contains("sales"), "{said}");
    let status = listener.child.0.wait().unwrap();
    assert_eq!(status.code(), Some(2), "{said}");
}

/// Its standard output closed (`listen --json | head -1` having read enough), `listen`
/// stops as on Ctrl-C rather than ending where it is: the delivery it could not print is
/// answered 500 (the vendor may send it again), and it ends with 0, as a reader that read
/// enough is no failure.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn listen_stops_when_its_standard_output_closes() {
    // A pipe nobody reads: every write to it is a broken pipe.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut listener = Listener::start("listen-closed", &["--json"], writer.into()).await;
    let url = format!("http://{}/webhooks/support", listener.address().await);
    let answer = http_client()
        .post(&url)
        .header("x-vapi-secret", "listen-secret-31")
        .body(std::fs::read(voicebot_fixture("webhook_status_update.json")).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 500);
    let said = listener.rest().await;
    assert!(
        said.contains("standard output is closed: stopping"),
        "{said}"
    );
    assert!(
        said.contains("finishing the deliveries in progress"),
        "{said}"
    );
    // No Ctrl-C was pressed: a first one quits.
    assert!(said.contains("(Ctrl-C to quit now)"), "{said}");
    assert!(!said.contains("could not be written"), "{said}");
    let status = listener.child.0.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}: {said}");
}

/// A delivery whose vendor hung up while its event was being forwarded goes on on a task
/// of its own; `listen` stopped by Ctrl-C meanwhile waits for it (within its drain) and
/// prints the event, rather than ending with it half done.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn listen_stopped_finishes_an_event_whose_vendor_hung_up() {
    use std::io::Read;
    let app = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(
            // Within the forward's own 5-s timeout.
            wiremock::ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(3)),
        )
        .mount(&app)
        .await;
    let forward = format!("{}/events", app.uri());
    let args = ["--json", "--forward", forward.as_str()];
    let stdout = std::process::Stdio::piped();
    let mut listener = Listener::start("listen-hung-up", &args, stdout).await;
    let url = format!("http://{}/webhooks/support", listener.address().await);
    let body = std::fs::read(voicebot_fixture("webhook_end_of_call_report.json")).unwrap();
    let vendor = tokio::spawn(
        http_client()
            .post(&url)
            .header("x-vapi-secret", "listen-secret-31")
            .body(body)
            .send(),
    );
    // Once the event is being forwarded (the local app holds it 3 s), the vendor stops
    // waiting and hangs up, and then `listen` is stopped.
    let forwarding = async {
        while app.received_requests().await.unwrap_or_default().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), forwarding)
        .await
        .expect("the event is forwarded");
    assert!(!vendor.is_finished(), "the vendor was answered first");
    vendor.abort();
    let _ = vendor.await;
    listener.stop().await;
    let mut stdout = listener.child.0.stdout.take().unwrap();
    let printed = tokio::task::spawn_blocking(move || {
        let mut all = String::new();
        let _ = stdout.read_to_string(&mut all);
        all
    });
    let printed = tokio::time::timeout(std::time::Duration::from_secs(20), printed)
        .await
        .expect("listen ended within its drain")
        .unwrap();
    let record: Value = serde_json::from_str(printed.lines().next().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {printed:?}"));
    assert_eq!(record["event"]["vendor_event"], "end-of-call-report");
    assert_eq!(record["forwarded"], true, "{record}");
    let status = listener.child.0.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
}

/// `listen` stopped by Ctrl-C while a sender never finishes its body: it says it is
/// finishing what is in progress, and a second Ctrl-C ends it at once (it waited for ever).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn listen_stops_on_a_second_ctrl_c_whatever_it_still_holds() {
    use std::io::Write;
    let mut listener = Listener::start("listen-stop", &[], std::process::Stdio::null()).await;
    let addr = listener.address().await;
    // A delivery whose body never comes whole (its secret right: one without it is
    // refused before its body is read).
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        slow,
        "POST /webhooks/support HTTP/1.1\r\nHost: {addr}\r\nx-vapi-secret: listen-secret-31\r\nContent-Type: application/json\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n"
    )
    .unwrap();
    slow.flush().unwrap();
    // The server asks for the body once it has read the head and begun the delivery.
    let asked = tokio::task::spawn_blocking({
        let mut slow = slow.try_clone().unwrap();
        move || {
            use std::io::Read;
            slow.set_read_timeout(Some(std::time::Duration::from_secs(30)))
                .unwrap();
            let mut head = [0u8; 64];
            let read = slow.read(&mut head).unwrap_or(0);
            String::from_utf8_lossy(&head[..read]).into_owned()
        }
    });
    let asked = asked.await.unwrap();
    assert!(asked.starts_with("HTTP/1.1 100"), "{asked:?}");
    write!(slow, "{{\"message\"").unwrap();
    slow.flush().unwrap();
    // A whole delivery on a second connection, answered: the first was taken before it.
    let status = http_client()
        .post(format!("http://{addr}/webhooks/support"))
        .header("x-vapi-secret", "listen-secret-31")
        .header("content-type", "application/json")
        .body(std::fs::read(voicebot_fixture("webhook_status_update.json")).unwrap())
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "{status}");
    listener.stop().await;
    // Held by the unfinished delivery: only the second Ctrl-C ends it, saying it quit
    // (`quit` fails on a `listen` that ended without that line).
    listener.quit().await;
    drop(slow);
}

/// The cursor of [`two_rounded_pages`]' second page.
const SECOND_PAGE: &str = "2026-03-23T17:51:03Z";

/// A Rounded server of two pages: the first (asked for without a cursor) holds `first`
/// and points to [`SECOND_PAGE`], which holds `second` and points to `second_next`.
async fn two_rounded_pages(
    first: &str,
    second: &[&str],
    second_next: &str,
) -> wiremock::MockServer {
    use wiremock::matchers::{method, query_param, query_param_is_missing};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let page = |ids: &[&str], next: &str| {
        ResponseTemplate::new(200).set_body_json(rounded_page(ids, Some(next)))
    };
    Mock::given(method("GET"))
        .and(query_param_is_missing("cursor"))
        .respond_with(page(&[first], SECOND_PAGE))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("cursor", SECOND_PAGE))
        .respond_with(page(second, second_next))
        .mount(&server)
        .await;
    server
}

/// A walk whose vendor hands back a cursor it gave before prints what it got and offers no
/// resume: resuming at that cursor would go round again.
#[tokio::test(flavor = "multi_thread")]
async fn a_walk_whose_cursors_come_round_offers_no_resume() {
    // The second page names itself as the next.
    let server = two_rounded_pages(
        "0e1d9985-2d47-435c-857f-86f21a87a093",
        &["8560ad9d-f4de-4f2d-8053-1369bba94bd0"],
        SECOND_PAGE,
    )
    .await;
    let config = vendor_config("rounded", &server.uri(), "");
    for args in [
        &["calls", "list", "--all", "--json"][..],
        &["export", "--format", "jsonl"][..],
    ] {
        let out = run_with(&config, args).await;
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out).lines().count(), 2, "{args:?}: both pages");
        let text = stderr(&out);
        assert!(text.contains("came round again"), "{args:?}: {text}");
        assert!(!text.contains("--cursor"), "{args:?}: {text}");
    }
}

/// A Ctrl-C that comes while a walk prints the page whose next cursor the walk will refuse
/// (one it followed already, one too long to follow) offers no resume either: the walk
/// would have failed on that cursor at the next page, and resuming at it goes round again
/// (or cannot be typed). The page is larger than a pipe holds and standard output is not
/// read until the Ctrl-C is sent, so the signal comes while the page is being written,
/// before the walk asks for more. (An export hands its pages to a writer of its own, so a
/// full pipe does not hold its walk at that point; it keeps its resume point as the
/// listing does, tested in the CLI's `walk` module.)
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_after_a_page_whose_next_cursor_is_refused_offers_no_resume() {
    use std::io::Read;
    // 600 calls print well over the 64 KiB a Linux pipe holds.
    let ids: Vec<String> = (0..600)
        .map(|n| format!("0e1d9985-2d47-435c-857f-{n:012}"))
        .collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let huge = "2".repeat(voiceport_core::MAX_CURSOR_TOKEN_BYTES + 1);
    let cases = [
        ("came round again", SECOND_PAGE),
        ("too long to follow", huge.as_str()),
    ];
    for (said, second_next) in cases {
        // The second page names itself as the next, or a cursor too long.
        let server =
            two_rounded_pages("8560ad9d-f4de-4f2d-8053-1369bba94bd0", &ids, second_next).await;
        let config = vendor_config("rounded", &server.uri(), "");
        let mut child = spawn_piped(&config, &["calls", "list", "--all", "--json"]);
        let mut stdout = child.stdout.take().unwrap();
        // Read until the second page has begun to print; what is left of it fills
        // the pipe, and the walk waits there. Within a minute: a walk that stalls before
        // it fails the test rather than hanging it.
        let reading = tokio::task::spawn_blocking(move || {
            let mut seen = Vec::new();
            let mut chunk = [0u8; 4096];
            while !String::from_utf8_lossy(&seen).contains(ids_first()) {
                match stdout.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(read) => seen.extend_from_slice(&chunk[..read]),
                }
            }
            (stdout, seen)
        });
        let read = tokio::time::timeout(std::time::Duration::from_secs(60), reading).await;
        let Ok(read) = read else {
            let _ = child.kill();
            panic!("{said}: the second page did not begin within a minute");
        };
        let (stdout, seen) = read.unwrap();
        assert!(
            String::from_utf8_lossy(&seen).contains(ids_first()),
            "{said}: the second page never began"
        );
        let kill = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        child.stdout = Some(stdout);
        let out = wait_output(child).await;
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(130), "{said}: {text}");
        assert!(text.contains(said), "{said}: {text}");
        assert!(!text.contains("--cursor"), "{said}: {text}");
    }

    /// The first call of the second page, as printed.
    fn ids_first() -> &'static str {
        "0e1d9985-2d47-435c-857f-000000000000"
    }
}

/// A walk whose vendor hands back a next cursor too long to follow prints what it got and
/// offers no resume: the cursor that would resume is the one refused, and would not fit a
/// command line.
#[tokio::test(flavor = "multi_thread")]
async fn a_walk_whose_next_cursor_is_too_long_offers_no_resume() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let server = MockServer::start().await;
    let huge = "2".repeat(voiceport_core::MAX_CURSOR_TOKEN_BYTES + 1);
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(rounded_page(
            &["0e1d9985-2d47-435c-857f-86f21a87a093"],
            Some(&huge),
        )))
        .mount(&server)
        .await;
    let config = vendor_config("rounded", &server.uri(), "");
    let out = run_with(&config, &["calls", "list", "--all", "--json"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1, "the page's call");
    let text = stderr(&out);
    assert!(text.contains("too long to follow"), "{text}");
    assert!(!text.contains("--cursor"), "{text}");
    // One page (no --all): the page is printed, its cursor is neither printed nor given
    // as JSON's `next_cursor`, and the listing fails as --all does (a null cursor and
    // success would read as the last page).
    let out = run_with(&config, &["calls", "list"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("longer than the"), "{text}");
    assert!(!text.contains("--cursor"), "{text}");
    assert!(stdout(&out).contains("0e1d9985"), "{}", stdout(&out));
    let out = run_with(&config, &["calls", "list", "--json"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["next_cursor"], serde_json::Value::Null, "{page}");
    assert_eq!(page["calls"].as_array().map(Vec::len), Some(1), "{page}");
    // A token at the limit is given, as --all follows it (the length is the vendor's
    // token's, not its JSON-wrapped cursor's).
    let server = MockServer::start().await;
    let at_limit = "2".repeat(voiceport_core::MAX_CURSOR_TOKEN_BYTES);
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(rounded_page(
            &["0e1d9985-2d47-435c-857f-86f21a87a093"],
            Some(&at_limit),
        )))
        .mount(&server)
        .await;
    let config = vendor_config("rounded", &server.uri(), "");
    let out = run_with(&config, &["calls", "list", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(page["next_cursor"].is_string(), "at the limit, given");
}

/// A merged walk one of whose vendors answers the same call under new cursors stops on
/// it, and offers a cursor that resumes the other provider alone: resumed at the failed
/// page, that vendor would give the same call again.
#[tokio::test(flavor = "multi_thread")]
async fn a_merged_walk_resumes_without_a_vendor_whose_cursors_came_round() {
    use wiremock::matchers::{method, query_param, query_param_is_missing};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    const LOOPING_CALL: &str = "0e1d9985-2d47-435c-857f-86f21a87a093";
    let looping = MockServer::start().await;
    let page = |cursor: Option<&str>, next: &str| {
        let answer =
            ResponseTemplate::new(200).set_body_json(rounded_page(&[LOOPING_CALL], Some(next)));
        let given = Mock::given(method("GET"));
        match cursor {
            None => given
                .and(query_param_is_missing("cursor"))
                .respond_with(answer),
            Some(cursor) => given
                .and(query_param("cursor", cursor))
                .respond_with(answer),
        }
    };
    for (cursor, next) in [
        (None, "A"),
        (Some("A"), "B"),
        (Some("B"), "C"),
        (Some("C"), "D"),
    ] {
        page(cursor, next).mount(&looping).await;
    }
    // The other vendor's calls are older: none is printed before the first fails.
    let steady = MockServer::start().await;
    let mut older = rounded_page(
        &[
            "8560ad9d-f4de-4f2d-8053-1369bba94bd0",
            "3b8e2f1c-6d4a-4e5b-9c7d-1a2b3c4d5e6f",
        ],
        None,
    );
    for call in older["data"].as_array_mut().unwrap() {
        call["start_time"] = serde_json::json!("2026-03-22T09:00:00Z");
        call["end_time"] = serde_json::json!("2026-03-22T09:01:00Z");
    }
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(older))
        .mount(&steady)
        .await;
    let provider = |name: &str, url: &str| {
        format!(
            "[providers.{name}]\nkind = \"rounded\"\napi_key = \"{HOSTILE_KEY}\"\nbase_url = \"{url}\"\n\
             [providers.{name}.retry]\nmax_attempts = 1\n"
        )
    };
    let config = private_config(
        "merged-cycle",
        &(provider("looping", &looping.uri()) + &provider("steady", &steady.uri())),
    );
    let list = [
        "calls",
        "list",
        "--providers",
        "looping,steady",
        "--all",
        "--json",
    ];
    let out = run_with(&config, &list).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let printed = stdout(&out);
    // Once: the pages after the first repeat it, and a page's repeats are dropped.
    assert_eq!(printed.matches(LOOPING_CALL).count(), 1, "{printed}");
    assert!(!printed.contains("8560ad9d"), "{printed}");
    let text = stderr(&out);
    assert!(
        text.contains("came round again, so it cannot go further; the other providers can"),
        "{text}"
    );
    let token = text
        .split("--cursor ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(|token| token.trim_matches('\''))
        .unwrap_or_else(|| panic!("no cursor offered: {text}"));
    let resumed = run_with(&config, &[&list[..], &["--cursor", token]].concat()).await;
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let rest = stdout(&resumed);
    assert!(!rest.contains(LOOPING_CALL), "{rest}");
    assert!(
        rest.contains("8560ad9d") && rest.contains("3b8e2f1c"),
        "{rest}"
    );
}

/// `listen` whose standard output nobody reads (a print stuck on a full pipe) still ends
/// on a second Ctrl-C: the stuck print, whose sender still waits, holds the first Ctrl-C's
/// drain, and does not hold the process.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn listen_stops_on_a_second_ctrl_c_with_a_print_stuck() {
    // Standard output is a pipe this test never reads.
    let stdout = std::process::Stdio::piped();
    let mut listener = Listener::start("listen-stuck", &["--json"], stdout).await;
    let url = format!("http://{}/webhooks/support", listener.address().await);
    let report =
        std::fs::read_to_string(voicebot_fixture("webhook_end_of_call_report.json")).unwrap();
    // Distinct reports, each sender waiting as long as it takes, until two in a row are
    // still unanswered after 2 s: the print is stuck on the full pipe (one slow answer on
    // a loaded machine is not enough to say so), and their deliveries are in progress.
    let client = http_client();
    let mut waiting = Vec::new();
    for n in 0..2_000 {
        let body = report.replace(
            "019d071c-9a80-7ccf-8496-59b559123fd3",
            &format!("019d071c-9a80-7ccf-8496-{n:012}"),
        );
        let post = client
            .post(&url)
            .header("x-vapi-secret", "listen-secret-31")
            .header("content-type", "application/json")
            .body(body)
            .send();
        let mut sent = tokio::spawn(post);
        match tokio::time::timeout(std::time::Duration::from_secs(2), &mut sent).await {
            Ok(answer) => {
                let response = answer.unwrap().unwrap();
                assert!(response.status().is_success(), "{response:?}");
                waiting.clear();
            }
            Err(_) => {
                waiting.push(sent);
                if waiting.len() == 2 {
                    break;
                }
            }
        }
    }
    assert_eq!(waiting.len(), 2, "no print got stuck");
    // The first Ctrl-C waits for the deliveries in progress, which never finish (for up to
    // 10 s): it is still running once it says so.
    listener.stop().await;
    assert!(
        listener.child.0.try_wait().unwrap().is_none(),
        "it ended on the first Ctrl-C"
    );
    // The second ends it.
    listener.quit().await;
}

/// The local app's answer to a request the vendor waits on is read up to 64 KiB: a longer
/// one is neither held nor passed on, the vendor gets 204, and that is said.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn listen_reads_at_most_64_kib_of_the_local_app_s_reply() {
    let app = wiremock::MockServer::start().await;
    let result = "x".repeat(100 * 1024);
    let huge = serde_json::json!({"results": [{"toolCallId": "call_1", "result": result}]});
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(&huge))
        .mount(&app)
        .await;
    let forward = format!("{}/events", app.uri());
    let (mut listener, answer) = tool_call_forwarded("listen-reply-cap", &forward).await;
    assert_eq!(answer.status(), 204);
    let warning = listener.next_line().await;
    assert!(warning.contains("more than 64 KiB"), "{warning}");
    assert_eq!(app.received_requests().await.unwrap().len(), 1);
}

/// A local app whose answer to a request breaks off (its body cut short, the connection
/// closed) gave no answer: the vendor hears of a failure (500), not a 204 it would take for
/// success.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn listen_fails_a_request_whose_local_answer_breaks_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let forward = format!("http://{}/events", app.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = app.accept().await {
            let mut request = vec![0; 64 * 1024];
            let _ = socket.read(&mut request).await;
            // Headers announcing 200 bytes, then a third of them, then the end.
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n";
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(br#"{"results": [{"toolCallId": "#).await;
            let _ = socket.shutdown().await;
        }
    });
    let (mut listener, answer) = tool_call_forwarded("listen-reply-broken", &forward).await;
    assert_eq!(answer.status(), 500);
    let warning = listener.next_line().await;
    assert!(warning.contains("answer broke off"), "{warning}");
}

/// Starts `listen --forward FORWARD` and posts it a Vapi `tool-calls` request: the
/// listener, and the answer the vendor got.
#[cfg(unix)]
async fn tool_call_forwarded(tag: &str, forward: &str) -> (Listener, reqwest::Response) {
    let stdout = std::process::Stdio::null();
    let mut listener = Listener::start(tag, &["--forward", forward], stdout).await;
    let url = format!("http://{}/webhooks/support", listener.address().await);
    let body = std::fs::read(voicebot_fixture("webhook_tool_calls_string_arguments.json")).unwrap();
    let answer = http_client()
        .post(&url)
        .header("x-vapi-secret", "listen-secret-31")
        .body(body)
        .send()
        .await
        .unwrap();
    (listener, answer)
}

/// An event the local app of `--forward` does not take is printed all the same, marked,
/// and the warning promises no resend a Voicebot Studio (Vapi) vendor does not make.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn listen_prints_an_event_the_forward_target_did_not_take() {
    use std::io::BufRead;
    let app = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(503))
        .mount(&app)
        .await;
    let forward = format!("{}/events", app.uri());
    for json in [true, false] {
        let mut args = vec!["--forward", forward.as_str()];
        if json {
            args.insert(0, "--json");
        }
        let stdout = std::process::Stdio::piped();
        let mut listener = Listener::start("listen-not-taken", &args, stdout).await;
        let url = format!("http://{}/webhooks/support", listener.address().await);
        let body = std::fs::read(voicebot_fixture("webhook_end_of_call_report.json")).unwrap();
        let answer = http_client()
            .post(&url)
            .header("x-vapi-secret", "listen-secret-31")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 500);
        let warning = listener.next_line().await;
        assert!(warning.contains("503"), "{warning}");
        assert!(!warning.contains("will send"), "{warning}");
        assert!(warning.contains("does not send it again"), "{warning}");
        assert!(warning.contains("calls list"), "{warning}");
        let stdout = listener.child.0.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufReader::new(stdout)
                .read_line(&mut line)
                .unwrap();
            line
        })
        .await
        .unwrap();
        if json {
            let record: Value = serde_json::from_str(&line).unwrap();
            assert_eq!(record["event"]["vendor_event"], "end-of-call-report");
            assert_eq!(record["forwarded"], false, "{record}");
        } else {
            assert!(line.contains("end-of-call-report"), "{line}");
            assert!(line.contains("not forwarded"), "{line}");
            // The vendor's time, said to be UTC.
            let time = line.split_whitespace().next().unwrap_or_default();
            assert!(time.len() == 9 && time.ends_with('Z'), "{line}");
        }
    }
}

/// An event whose print had begun when its vendor hung up (the receiver then lets the
/// vendor's retry through) is printed once: the retry is answered, not printed again.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn listen_prints_a_retry_of_an_event_whose_print_went_on_once() {
    use std::io::Read;
    let stdout = std::process::Stdio::piped();
    let mut listener = Listener::start("listen-retry", &["--json"], stdout).await;
    let url = format!("http://{}/webhooks/support", listener.address().await);
    let report =
        std::fs::read_to_string(voicebot_fixture("webhook_end_of_call_report.json")).unwrap();
    let body = |n: usize| {
        report.replace(
            "019d071c-9a80-7ccf-8496-59b559123fd3",
            &format!("019d071c-9a80-7ccf-8496-{n:012}"),
        )
    };
    let post = |body: String, timeout: u64| {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(std::time::Duration::from_secs(timeout))
            .build()
            .unwrap();
        client
            .post(&url)
            .header("x-vapi-secret", "listen-secret-31")
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    // Distinct reports until one is not answered in 2 s: its print is stuck on the full
    // pipe, and its sender hangs up.
    let mut hung_up = None;
    for n in 0..2_000 {
        match post(body(n), 2).await {
            Ok(response) => assert!(response.status().is_success(), "{response:?}"),
            Err(error) if error.is_timeout() => {
                hung_up = Some(n);
                break;
            }
            Err(error) => panic!("{error}"),
        }
    }
    let hung_up = hung_up.expect("no print got stuck");
    // Standard output is read from now on: the stuck print goes on.
    let mut stdout = listener.child.0.stdout.take().unwrap();
    let reading = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).unwrap();
        text
    });
    // The vendor's retry of the event, answered as taken.
    let retried = post(body(hung_up), 60).await.unwrap();
    assert!(retried.status().is_success(), "{retried:?}");
    // Nothing in progress: it ends, and standard output with it.
    listener.interrupt();
    let text = tokio::task::spawn_blocking(move || reading.join().unwrap())
        .await
        .unwrap();
    let id = format!("019d071c-9a80-7ccf-8496-{hung_up:012}");
    let printed = text.lines().filter(|line| line.contains(&id)).count();
    assert_eq!(printed, 1, "{id} printed {printed} times");
}

/// A vendor's call id cannot fake a line in what an interrupted dial says, on standard
/// output or standard error, through one provider or a route.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_dial_says_the_vendors_call_id_escaped() {
    let id = "b48d0eec-c2e3-4b12-85c6-2aa47f65badb\n  no call was placed";
    let route = "[routes.out]\nproviders = [\"x\"]\npolicy = \"failover\"\n";
    for (args, config) in [
        (&["calls", "dial", "--to", "+16175550120"][..], ""),
        (
            &["calls", "dial", "--to", "+16175550120", "--route", "out"][..],
            route,
        ),
    ] {
        let out = interrupt_then_answer(201, rounded_dialed(id), args, config).await;
        assert_eq!(out.status.code(), Some(130), "{args:?}: {}", stderr(&out));
        for text in [stderr(&out), stdout(&out)] {
            assert!(
                !text.lines().any(|line| line.starts_with("  no call")),
                "{args:?}: {text}"
            );
        }
        assert!(
            stderr(&out).contains("badb\\u000a  no call was placed"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            stdout(&out).contains("b48d0eec"),
            "{args:?}: {}",
            stdout(&out)
        );
    }
}

/// A `--forward` or `--webhooks` URL that is refused is never said with its user,
/// password or query, whether it parses or not.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_url_is_said_without_its_credentials() {
    let config = vendor_config(
        "voicebot",
        "http://127.0.0.1:9",
        "[providers.x.webhook]\nsecret = \"s\"\n",
    );
    for url in [
        "https://ops:p4ss@hooks.example.com:99999/in?token=s3cr3t",
        "ftp://ops:p4ss@hooks.example.com/in?token=s3cr3t",
        "ops:p4ss@hooks.example.com/in",
        // `p4` would be a port, and the first `/` end the host: it does not parse.
        "https://ops:p4/ss@hooks.example.com/in",
        // A `?` or `#` in the password: the password is not a query.
        "https://ops:p4?ss@hooks.example.com:99999/in",
        "https://ops:p4#ss@hooks.example.com:99999/in",
        // It parses (`ops` the host, 1234 the port), `@` in its path: not said.
        "ftp://ops:1234/p4ss@hooks.example.com/in",
    ] {
        for args in [
            &["listen", "--port", "0", "--forward", url][..],
            &["sandbox", "--port", "0", "--webhooks", url][..],
        ] {
            let out = run_with(&config, args).await;
            let text = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{url}: {text}");
            assert!(text.contains(args[3]), "{url}: {text}");
            assert!(!text.contains("p4"), "{url}: {text}");
            assert!(!text.contains("ss@"), "{url}: {text}");
            assert!(!text.contains("1234"), "{url}: {text}");
            assert!(!text.contains("s3cr3t"), "{url}: {text}");
        }
    }
    // What the URL was is still told, credentials aside: all of it when it parses, its
    // scheme when it does not.
    for (url, told) in [
        (
            "ftp://ops:p4ss@hooks.example.com:99/in?token=s3cr3t#s3cr3t",
            "\"ftp://***@hooks.example.com:99/in\"",
        ),
        (
            "https://ops:p4ss@hooks.example.com:99999/in?token=s3cr3t",
            "\"https://…\" (the rest not shown: it does not parse)",
        ),
        (
            "ops:p4ss@hooks.example.com/in",
            "(not shown: it has no host)",
        ),
    ] {
        let out = run_with(&config, &["listen", "--port", "0", "--forward", url]).await;
        assert!(stderr(&out).contains(told), "{url}: {}", stderr(&out));
    }
}

/// A port already in use ends `listen` with exit code 1, which `--help` documents.
#[tokio::test(flavor = "multi_thread")]
async fn a_port_in_use_exits_1_as_documented() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let config = vendor_config(
        "voicebot",
        "http://127.0.0.1:9",
        "[providers.x.webhook]\nsecret = \"s\"\n",
    );
    for args in [
        &["listen", "--port", port.as_str()][..],
        &["sandbox", "--port", port.as_str()][..],
    ] {
        let out = run_with(&config, args).await;
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {text}");
        assert!(text.contains("cannot listen on"), "{args:?}: {text}");
        // In use: where to look, and how to take another port.
        let command = format!("another `voiceport {}`", args[0]);
        assert!(
            text.contains(&command) && text.contains("--port 0"),
            "{text}"
        );
    }
    let help = stdout(&run(None, &["--help"]).await);
    let code_1 = help
        .split("\n  2 ")
        .next()
        .and_then(|text| text.split("\n  1 ").nth(1))
        .unwrap_or_else(|| panic!("{help}"));
    let code_1 = code_1.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(code_1.contains("the port to listen on"), "{help}");
    drop(taken);
}

/// A merged walk that fails before printing anything gives the plain error, as one
/// provider's does: no cursor to resume from (nothing to resume after), nothing printed.
#[tokio::test(flavor = "multi_thread")]
async fn a_merged_walk_that_fails_at_once_offers_no_resume() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let voicebot = voicebot_listing_four_calls().await;
    let rounded = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&rounded)
        .await;
    let config = private_config(
        "merged-at-once",
        &format!(
            "[providers.vb]\nkind = \"voicebot\"\napi_key = \"k\"\nbase_url = \"{}\"\n\
             [providers.vb.retry]\nmax_attempts = 1\n\
             [providers.rd]\nkind = \"rounded\"\napi_key = \"k\"\nbase_url = \"{}\"\n\
             [providers.rd.retry]\nmax_attempts = 1\n",
            voicebot.uri(),
            rounded.uri()
        ),
    );
    for args in [
        &["--json", "calls", "list", "--providers", "vb,rd"][..],
        &["calls", "list", "--providers", "all", "--all"][..],
        &["export", "--providers", "all"][..],
    ] {
        let out = run_with(&config, args).await;
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {text}");
        assert!(!text.contains("--cursor"), "{args:?}: {text}");
        assert!(!text.contains("calls were printed"), "{args:?}: {text}");
        // The error names the vendor (`rounded`); the hint, which provider that was.
        assert!(text.contains("provider `rd` failed"), "{args:?}: {text}");
        assert_eq!(stdout(&out).trim(), "", "{args:?}");
    }
}

/// Ctrl-C while a walk waits for a page ends it with exit code 130, the rows printed so
/// far whole, and the cursor to resume after them.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_a_walk_keeps_whole_rows_and_says_where_to_resume() {
    use wiremock::matchers::{method, query_param, query_param_is_missing};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    const NEXT: &str = "2026-03-23T17:51:03Z";
    let server = MockServer::start().await;
    let config = vendor_config("rounded", &server.uri(), "");
    for args in [
        &["calls", "list", "--all", "--json"][..],
        &["calls", "list", "--all"][..],
        &["export", "--format", "jsonl"][..],
        &["export", "--format", "csv"][..],
        &["calls", "list", "--all", "--json", "--providers", "x"][..],
        &["export", "--providers", "x"][..],
    ] {
        // The first page at once; the second never comes in the test's time.
        server.reset().await;
        Mock::given(method("GET"))
            .and(query_param_is_missing("cursor"))
            .respond_with(ResponseTemplate::new(200).set_body_json(rounded_page(
                &[
                    "0e1d9985-2d47-435c-857f-86f21a87a093",
                    "8560ad9d-f4de-4f2d-8053-1369bba94bd0",
                ],
                Some(NEXT),
            )))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(query_param("cursor", NEXT))
            .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(600)))
            .mount(&server)
            .await;
        let child = spawn_piped(&config, args);
        // Interrupted once the second page is asked for.
        let out = interrupt_once_asked(&server, child, 2, &format!("{args:?}")).await;
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(130), "{args:?}: {text}");
        assert!(text.contains("--cursor"), "{args:?}: {text}");
        if args[0] == "export" {
            assert!(text.contains("--append"), "{args:?}: {text}");
        }
        // As many whole rows as it says (a header line, and a table's header, aside).
        let done = if args[0] == "export" {
            "written"
        } else {
            "printed"
        };
        let printed: usize = text
            .split(&format!(" calls were {done}"))
            .next()
            .and_then(|before| before.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{args:?}: {text}"));
        let rows = stdout(&out);
        let mut lines: Vec<&str> = rows.lines().collect();
        if args.contains(&"csv") || !args.contains(&"--json") && args[0] == "calls" {
            lines.remove(0);
        }
        if args.contains(&"--providers") && args[0] == "export" {
            // A merged export's default format is JSON Lines.
            assert!(lines.iter().all(|l| l.starts_with('{')), "{rows}");
        }
        assert_eq!(lines.len(), printed, "{args:?}: {rows}\n{text}");
        for line in lines.iter().filter(|l| l.starts_with('{')) {
            serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        }
    }
}

/// Ctrl-C before the first page of a walk has come says that no call was printed, and no
/// cursor (the start's would only repeat the command): merged or not, the same words.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_before_any_call_of_a_walk_says_so_alike_merged_or_not() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let config = vendor_config("rounded", &server.uri(), "");
    let mut said = Vec::new();
    for args in [
        &["calls", "list", "--all"][..],
        &["export", "--format", "jsonl"][..],
        &["calls", "list", "--all", "--providers", "x"][..],
        &["calls", "list", "--all", "--json", "--providers", "all"][..],
        &["export", "--providers", "x"][..],
    ] {
        server.reset().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(600)))
            .mount(&server)
            .await;
        let child = spawn_piped(&config, args);
        // Interrupted once the first page is asked for.
        let out = interrupt_once_asked(&server, child, 1, &format!("{args:?}")).await;
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(130), "{args:?}: {text}");
        let line = text
            .lines()
            .find(|l| l.contains("interrupted"))
            .unwrap_or_else(|| panic!("{args:?}: {text}"));
        // An export writes its calls (to a file, or standard output), a listing prints them.
        let done = if args[0] == "export" {
            "written"
        } else {
            "printed"
        };
        assert!(
            line.contains(&format!("no call was {done}")),
            "{args:?}: {text}"
        );
        assert!(!text.contains("--cursor"), "{args:?}: {text}");
        assert!(!text.contains("calls were"), "{args:?}: {text}");
        said.push(line.to_owned());
    }
    said.sort();
    said.dedup();
    assert_eq!(said.len(), 2, "{said:#?}");
}

/// Where each column of a table begins, read off its header: a header cell begins after
/// two spaces (a header may hold one: `ID (provider:call)`).
fn column_starts(header: &str) -> Vec<usize> {
    let chars: Vec<char> = header.chars().collect();
    (0..chars.len())
        .filter(|&i| {
            chars[i] != ' ' && (i == 0 || (i >= 2 && chars[i - 1] == ' ' && chars[i - 2] == ' '))
        })
        .collect()
}

/// Every row of `table` has a cell beginning at each of `starts` (a space before it, none
/// at it).
fn assert_columns_begin_at(table: &str, starts: &[usize]) {
    for line in table.lines().skip(1) {
        let chars: Vec<char> = line.chars().collect();
        for &start in starts.iter().filter(|&&s| s > 0) {
            assert!(
                chars.get(start - 1) == Some(&' ') && chars.get(start).is_some_and(|c| *c != ' '),
                "no column begins at {start} in {line:?}:\n{table}"
            );
        }
    }
}

/// A Rounded list of one page: a call per `(id, start time)`.
fn rounded_calls_at(calls: &[(&str, &str)]) -> Value {
    let calls: Vec<Value> = calls
        .iter()
        .map(|(id, at)| {
            serde_json::json!({
                "id": id, "type": "phone_call", "status": "completed",
                "start_time": at, "end_time": at, "duration_seconds": 44,
                "from_number": "+16175550142", "to_number": "+16175550120",
                "direction": "outbound"
            })
        })
        .collect();
    serde_json::json!({"message": "Calls retrieved successfully", "data": calls,
                       "error": null, "status": 200, "next_cursor": null})
}

/// A merged table lines up every column however long each provider's name: its newest
/// call from a provider with a short name does not set the widths for the rest.
#[tokio::test(flavor = "multi_thread")]
async fn a_merged_listing_lines_up_its_columns() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let short = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(rounded_calls_at(&[("c1", "2026-03-23T17:58:40Z")])),
        )
        .mount(&short)
        .await;
    let long = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(rounded_calls_at(&[
            (
                "b48d0eec-c2e3-4b12-85c6-2aa47f65badb",
                "2026-03-22T10:00:00Z",
            ),
            (
                "a48d0eec-c2e3-4b12-85c6-2aa47f65badb",
                "2026-03-21T10:00:00Z",
            ),
        ])))
        .mount(&long)
        .await;
    let config = private_config(
        "merged-widths",
        &format!(
            "[providers.r]\nkind = \"rounded\"\napi_key = \"k\"\nbase_url = \"{}\"\n\
             [providers.rounded_second_account]\nkind = \"rounded\"\napi_key = \"k\"\nbase_url = \"{}\"\n",
            short.uri(),
            long.uri()
        ),
    );
    // One page: printed whole, every column as wide as its widest cell.
    let out = run_with(&config, &["calls", "list", "--providers", "all"]).await;
    let table = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(table.lines().count(), 4, "{table}");
    assert!(table.lines().nth(1).unwrap().starts_with("r "), "{table}");
    let starts = column_starts(table.lines().next().unwrap());
    assert_eq!(starts.len(), 9, "{table}");
    assert_columns_begin_at(&table, &starts);
    // Streamed (--all): the provider column is as wide as the longest name from the start.
    let out = run_with(&config, &["calls", "list", "--providers", "all", "--all"]).await;
    let table = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(table.lines().count(), 4, "{table}");
    let starts = column_starts(table.lines().next().unwrap());
    assert_columns_begin_at(&table, &starts[..2]);
}

/// `check --dial` with a number that is not E.164 is refused as a usage error before
/// anything is sent, rather than reported as a failed case of the account.
#[tokio::test(flavor = "multi_thread")]
async fn check_refuses_a_dial_number_that_is_not_e164() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(400).set_body_string("{\"message\": \"bad number\"}"))
        .mount(&server)
        .await;
    let config = vendor_config("vapi", &server.uri(), "");
    for number in [
        "4155550187",
        "+04155550187",
        "+290123",
        "+0290123",
        "+1415555018712345",
        "+1 415 555 0187 1234 5",
        "+",
    ] {
        let out = run_with(&config, &["check", "--dial", number]).await;
        assert_eq!(out.status.code(), Some(2), "{number}: {}", stderr(&out));
        assert!(stderr(&out).contains("E.164"), "{number}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{number}");
    }
    let sent = server.received_requests().await.unwrap();
    assert!(sent.is_empty(), "{sent:?}");
    // The shortest (7 digits: Saint Helena's +290 numbers) and longest (15) are taken,
    // and so is one written with spaces after its `+`, as a dial's `--to` is.
    for number in ["+2904567", "+141555501871234", "+1 415 555 0187"] {
        let out = run_with(&config, &["check", "--dial", number]).await;
        assert_ne!(out.status.code(), Some(2), "{number}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("E.164"),
            "{number}: {}",
            stderr(&out)
        );
    }
}

/// Cases no option of `check` can run say so in the table; the JSON report stays exact.
#[tokio::test(flavor = "multi_thread")]
async fn check_marks_the_cases_the_cli_cannot_run() {
    let env = env().await;
    let out = run(Some(&env), &["check", "-p", "vapi"]).await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    let row = |case: &str| {
        text.lines()
            .find(|l| l.starts_with(case))
            .unwrap_or_else(|| panic!("{case}: {text}"))
            .to_owned()
    };
    // Vapi can update a name, end and delete a call: the check never writes.
    for case in [
        "dial a busy line",
        "dial scheduled",
        "webhooks",
        "update name",
        "end a live call",
        "delete a call",
    ] {
        let row = row(case);
        assert!(row.contains("not run"), "{row}");
        assert!(row.ends_with(" (*)"), "{row}");
    }
    // What the mark means, said once under the table.
    let note = "(*) not from the CLI: the library's `conformance` feature runs it where an `Environment` allows";
    assert_eq!(text.matches(note).count(), 1, "{text}");
    assert_eq!(text.matches("not from the CLI").count(), 1, "{text}");
    // A case the user can run (with --dial) is not marked.
    let dial = row("dial, then wait for the end");
    assert!(dial.contains("--dial"), "{dial}");
    assert!(!dial.contains("(*)"), "{dial}");
    let report = json(&run(Some(&env), &["check", "-p", "vapi", "--json"]).await);
    // The JSON report holds the outcomes alone: the table's note is the table's.
    assert!(!report.to_string().contains("not from the CLI"), "{report}");
}

/// An account that cannot be reached or refuses the key is said once, with exit code 3
/// (a vendor or network error), not in every row of a table.
#[tokio::test(flavor = "multi_thread")]
async fn check_of_an_unreachable_account_says_the_error_once() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};
    // A port nothing listens on, held for the test's life (another test cannot take it).
    let closed = RefusingPort::new();
    let refused = vendor_config("vapi", &format!("http://127.0.0.1:{}", closed.port()), "");
    let unauthorized = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401))
        .mount(&unauthorized)
        .await;
    let wrong_key = vendor_config("vapi", &unauthorized.uri(), "");
    // A rate-limited account is not pressed with every case, each failing as the adapter's.
    let limited = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(429))
        .mount(&limited)
        .await;
    let rate_limited = vendor_config("vapi", &limited.uri(), "");
    // Nor is an account whose vendor is failing (an outage).
    let down = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .mount(&down)
        .await;
    let outage = vendor_config("vapi", &down.uri(), "");
    for (config, said) in [
        (&refused, "connection failed"),
        (&wrong_key, "unauthorized"),
        (&rate_limited, "rate limited"),
        (&outage, "vendor server error (HTTP 503)"),
    ] {
        for json in [false, true] {
            let mut args = vec!["check", "--dial", "+14155550187"];
            if json {
                args.push("--json");
            }
            let out = run_with(config, &args).await;
            let text = stderr(&out);
            assert_eq!(out.status.code(), Some(3), "{said}: {text}");
            assert_eq!(stdout(&out), "", "{said}");
            let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("error:")).collect();
            assert_eq!(errors.len(), 1, "{text}");
            assert!(errors[0].contains(said), "{text}");
            // A connection that failed says the address it tried.
            if said == "connection failed" {
                let tried = format!("at http://127.0.0.1:{} (its base_url)", closed.port());
                assert!(text.contains(&tried), "{text}");
            }
        }
    }
    // Nothing was dialed on the account that answered.
    let sent = unauthorized.received_requests().await.unwrap();
    assert!(sent.iter().all(|r| r.method.as_str() == "GET"), "{sent:?}");
    drop(closed);
}

/// A port bound and not listening, for as long as it is held: a connection to it is
/// refused, and no other socket can take it meanwhile (as a port bound and let go can be).
struct RefusingPort(tokio::net::TcpSocket);

impl RefusingPort {
    fn new() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        RefusingPort(socket)
    }

    fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }
}

/// A local file that does not decode is said as that, with the JSON path and the excerpt,
/// not as a response of the network; a line break in it cannot fake a line.
#[tokio::test(flavor = "multi_thread")]
async fn normalize_says_which_file_does_not_decode_as_what() {
    let dir = std::env::temp_dir().join(format!("voiceport-undecoded-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("call.json");
    std::fs::write(&file, "{\"id\": 42,\n\"status\": \"ended\"}").unwrap();
    let path = file.to_str().unwrap();
    let out = run(
        None,
        &["normalize", "--vendor", "vapi", "--what", "call", path],
    )
    .await;
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.starts_with(&format!(
            "error: cannot decode {path} as a vapi call at `id`: "
        )),
        "{text}"
    );
    assert!(text.contains("(body: {\"id\": 42,"), "{text}");
    assert!(!text.contains("get_call"), "{text}");
    assert!(!text.contains("response"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
}

/// `calls recording` prints its labels in one column, the URLs after them.
#[tokio::test(flavor = "multi_thread")]
async fn recording_urls_line_up() {
    let env = env().await;
    let list = json(&run(Some(&env), &["-p", "vapi", "calls", "list", "--json"]).await);
    let mut shown = None;
    for call in list["calls"].as_array().unwrap() {
        let id = call["id"].as_str().unwrap();
        let args = ["-p", "vapi", "calls", "recording", id];
        let recording = json(&run(Some(&env), &[&args[..], &["--json"]].concat()).await);
        if recording["mono_url"].is_string() && recording["stereo_url"].is_string() {
            shown = Some(stdout(&run(Some(&env), &args).await));
            break;
        }
    }
    let shown = shown.expect("a vapi call with both recordings");
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 2, "{shown}");
    let at: Vec<usize> = lines.iter().map(|l| l.find("http").unwrap()).collect();
    assert_eq!(at[0], at[1], "{shown}");
    assert!(
        lines[0].starts_with("mono ") && lines[1].starts_with("stereo "),
        "{shown}"
    );
}

/// A global option is not offered where it means nothing (it is still accepted there),
/// and stays where it does, below the command's own options.
#[tokio::test(flavor = "multi_thread")]
async fn global_options_are_hidden_where_they_mean_nothing() {
    let hidden: [(&str, &[&str]); 6] = [
        ("normalize", &["--provider", "--config", "--json"]),
        (
            "sandbox",
            &["--provider", "--config", "--json", "--compact", "--pretty"],
        ),
        ("demo", &["--provider", "--config"]),
        (
            "completions",
            &["--provider", "--config", "--json", "--pretty"],
        ),
        // Refused there (exit 2): JSON Lines only.
        ("listen", &["--pretty"]),
        ("export", &["--pretty"]),
    ];
    for (command, options) in hidden {
        let help = stdout(&run(None, &[command, "--help"]).await);
        for option in options {
            assert!(!help.contains(option), "{command} {option}: {help}");
        }
        assert!(help.contains("--verbose"), "{command}: {help}");
    }
    for command in [&["check"][..], &["calls", "list"], &["listen"]] {
        let help = stdout(&run(None, &[command, &["--help"]].concat()).await);
        let (own, global) = help.split_once("Global options:").expect(&help);
        assert!(global.contains("-p, --provider"), "{command:?}: {help}");
        assert!(global.contains("--config <FILE>"), "{command:?}: {help}");
        assert!(!own.contains("--verbose"), "{command:?}: {help}");
    }
    let help = stdout(&run(None, &["normalize", "--help"]).await);
    assert!(help.contains("--compact"), "{help}");
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/rounded/get_call.json"
    );
    for args in [
        &["-p", "x", "normalize", "--vendor", "rounded", fixture][..],
        &["normalize", "-p", "x", "--vendor", "rounded", fixture],
        &[
            "normalize",
            "--json",
            "--config",
            "nowhere.toml",
            "--vendor",
            "rounded",
            fixture,
        ],
    ] {
        let call = json(&run(None, args).await);
        assert_eq!(call["provider"], "rounded", "{args:?}");
    }
}
