//! The built `voiceport` binary, run as a user would, against the sandbox.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use voiceport_core::ProviderKind;
use voiceport_sandbox::Sandbox;

struct Env {
    _sandbox: Sandbox,
    config: PathBuf,
}

async fn env() -> Env {
    let sandbox = Sandbox::builder()
        .calls(ProviderKind::HappyRobot, 30)
        .calls(ProviderKind::Voicebot, 30)
        .calls(ProviderKind::Rounded, 30)
        .timing(voiceport_sandbox::Timing {
            queued: std::time::Duration::from_millis(20),
            ringing: std::time::Duration::from_millis(20),
            talk: std::time::Duration::from_millis(60),
        })
        .start()
        .await
        .unwrap();
    let mut toml = String::from("default = \"happyrobot\"\n");
    for kind in ProviderKind::ALL {
        let config = sandbox.provider_config(kind);
        toml.push_str(&format!(
            "[providers.{kind}]\nkind = \"{kind}\"\napi_key = \"{}\"\nbase_url = \"{}\"\n[providers.{kind}.options]\n",
            sandbox.api_key(kind),
            sandbox.base_url(kind)
        ));
        for (key, value) in &config.options {
            toml.push_str(&format!("{key} = {value}\n"));
        }
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

async fn run(env: Option<&Env>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_voiceport"));
    if let Some(env) = env {
        command.arg("--config").arg(&env.config);
    }
    command
        .args(args)
        .env_remove("XDG_CONFIG_HOME")
        .env("HOME", std::env::temp_dir());
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
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

    let all = json(
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
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "completed")
    );

    let table = stdout(
        &run(
            Some(&env),
            &["-p", "rounded", "calls", "list", "--limit", "3"],
        )
        .await,
    );
    assert!(table.starts_with("ID"), "{table}");
    assert_eq!(table.lines().count(), 4);

    let done = json(
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
    let vid = done.as_array().unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
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
    let env = env().await;
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
    let hid = scheduled["id"].as_str().unwrap().to_owned();
    assert_eq!(scheduled["status"], "scheduled");
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
            .any(|n| n["content"] == "call back Friday")
    );
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
}

#[tokio::test(flavor = "multi_thread")]
async fn capabilities_table_and_json() {
    let env = env().await;
    let table = stdout(&run(Some(&env), &["capabilities"]).await);
    assert!(
        table.contains("notes") && table.contains("happyrobot (happyrobot)"),
        "{table}"
    );
    let caps = json(&run(Some(&env), &["capabilities", "--json"]).await);
    assert_eq!(caps["happyrobot (happyrobot)"]["notes"], true);
    assert_eq!(caps["voicebot (voicebot)"]["notes"], false);
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
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not support add_note"));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_config_exits_2_naming_the_field() {
    let dir = std::env::temp_dir().join(format!("voiceport-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("voiceport.toml");
    std::fs::write(&path, "[providers.x]\nkind = \"vapi\"\napi_key = \"k\"\n").unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_voiceport"));
    command.arg("--config").arg(&path).args(["calls", "list"]);
    let out = command.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("providers.x.kind"), "{stderr}");
    assert!(!stderr.contains("\"k\""));

    let out = run(None, &["calls", "list"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no configuration found"));

    let usage = run(None, &["calls", "dial"]).await;
    assert_eq!(usage.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn normalize_every_fixture() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures");
    let mut seen = 0;
    for vendor in ["happyrobot", "voicebot", "rounded"] {
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
                // A vendor error body normalizes to the error it stands for.
                assert_eq!(out.status.code(), Some(3), "{vendor}/{name}");
                assert!(
                    String::from_utf8_lossy(&out.stderr).contains("rounded"),
                    "{vendor}/{name}"
                );
                continue;
            }
            let value = json(&out);
            assert!(value.is_object() || value.is_array(), "{vendor}/{name}");
            seen += 1;
        }
    }
    assert!(seen >= 40, "only {seen} fixtures normalized");
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_shows_all_three_vendors() {
    let out = run(None, &["demo"]).await;
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let header = text.lines().next().unwrap_or_default();
    for vendor in ["happyrobot", "voicebot", "rounded"] {
        assert!(header.contains(vendor), "{text}");
    }
    assert!(text.contains("completed"), "{text}");
    let seen = json(&run(None, &["demo", "--json"]).await);
    assert_eq!(seen.as_array().unwrap().len(), 3);
    assert!(
        seen.as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "completed" && s["utterances"].as_u64() > Some(3))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_command_serves_a_config_that_works_and_takes_faults() {
    /// The server process, killed however the test ends.
    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut server = Server(
        std::process::Command::new(env!("CARGO_BIN_EXE_voiceport"))
            .args(["sandbox", "--port", "0", "--calls", "5"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = server.0.stdout.take().unwrap();
    // Everything up to the last line it prints (the fault-control hint).
    let lines = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut lines = Vec::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let last = line.starts_with("# faults:");
            lines.push(line);
            if last {
                break;
            }
        }
        lines
    })
    .await
    .unwrap();
    assert!(
        lines[0].starts_with("voiceport sandbox on http://127.0.0.1:"),
        "{lines:?}"
    );
    let base = lines[0]
        .trim_start_matches("voiceport sandbox on ")
        .trim_end_matches(" (Ctrl-C to stop)")
        .to_owned();
    assert!(
        lines
            .last()
            .unwrap()
            .contains(&format!("{base}/_sandbox/faults"))
    );

    // The printed configuration is a working voiceport.toml.
    let toml: String = lines
        .iter()
        .filter(|l| !l.starts_with("voiceport sandbox") && !l.starts_with("# faults"))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = std::env::temp_dir().join(format!("voiceport-cli-standalone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("voiceport.toml");
    std::fs::write(&config, toml).unwrap();
    let list = || {
        let config = config.clone();
        async move {
            let mut command = Command::new(env!("CARGO_BIN_EXE_voiceport"));
            command
                .arg("--config")
                .arg(config)
                .args(["-p", "rounded", "--json", "calls", "list"]);
            tokio::task::spawn_blocking(move || command.output().unwrap())
                .await
                .unwrap()
        }
    };
    let calls = json(&list().await);
    assert_eq!(calls["calls"].as_array().map(Vec::len), Some(5), "{calls}");

    // A fault armed over HTTP reaches the next command; clearing it restores service.
    let http = reqwest::Client::new();
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
}

#[tokio::test(flavor = "multi_thread")]
async fn check_runs_the_read_only_suite_and_one_dial_when_asked() {
    let env = env().await;
    for vendor in ["happyrobot", "voicebot", "rounded"] {
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
        // With --dial: the dial case runs and passes.
        let report = json(
            &run(
                Some(&env),
                &["check", "-p", vendor, "--dial", "+14155550199", "--json"],
            )
            .await,
        );
        let cases = report["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 30, "{report}");
        let dial = cases
            .iter()
            .find(|c| c["case"] == "dial, then wait for the end")
            .unwrap();
        assert_eq!(dial["outcome"], "passed", "{report}");
        assert!(cases.iter().all(|c| c["outcome"] != "failed"), "{report}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn listen_prints_verified_events_and_forwards_them() {
    use std::io::BufRead;
    /// The listener process, killed however the test ends.
    struct Listener(std::process::Child);
    impl Drop for Listener {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    // The local app `--forward` posts to.
    let app = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/events"))
        .respond_with(wiremock::ResponseTemplate::new(204))
        .expect(1)
        .mount(&app)
        .await;
    let dir = std::env::temp_dir().join(format!("voiceport-listen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("voiceport.toml");
    std::fs::write(
        &config,
        "[providers.support]\nkind = \"voicebot\"\napi_key = \"k\"\n\
         [providers.support.webhook]\nsecret = \"listen-secret-31\"\n\
         [providers.other]\nkind = \"rounded\"\napi_key = \"k\"\n",
    )
    .unwrap();
    let mut child = Listener(
        Command::new(env!("CARGO_BIN_EXE_voiceport"))
            .arg("--config")
            .arg(&config)
            .args(["listen", "--port", "0", "--json", "--forward"])
            .arg(format!("{}/events", app.uri()))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = child.0.stderr.take().unwrap();
    let banner = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stderr).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    assert!(banner.contains("for: support"), "{banner}");
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .replace("{provider}", "support");
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/voicebot/webhook_end_of_call_report.json"
    ))
    .unwrap();
    let post = |secret: &'static str| {
        reqwest::Client::new()
            .post(&url)
            .header("x-vapi-secret", secret)
            .body(body.clone())
            .send()
    };
    assert_eq!(post("wrong").await.unwrap().status(), 401);
    assert_eq!(post("listen-secret-31").await.unwrap().status(), 204);
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let record: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(record["provider"], "support");
    assert_eq!(record["event"]["vendor_event"], "end-of-call-report");
    assert_eq!(record["event"]["event"], "ended");
    // The forward happens after the print; wait for it.
    for _ in 0..100 {
        if !app.received_requests().await.unwrap_or_default().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let forwarded = app.received_requests().await.unwrap();
    let sent: Value = serde_json::from_slice(&forwarded[0].body).unwrap();
    assert_eq!(sent, record);
}
