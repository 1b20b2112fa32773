//! `voiceport sandbox`: the vendors' emulators on a port, and the configuration that
//! reaches them.
use voiceport::webhooks::{Scheme, VendorWebhooks};
use voiceport::{ProviderKind, Registry};
use voiceport_sandbox::Sandbox;

use crate::cli::SandboxArgs;
use crate::interrupts::StopSignal;
use crate::urls::receiver_base;
use crate::{Failure, Outcome, output};

/// The phases of a dialed call, as `--queued-ms`, `--ringing-ms` and `--talk-ms` say.
fn timing_of(args: &SandboxArgs) -> voiceport_sandbox::Timing {
    let ms = std::time::Duration::from_millis;
    voiceport_sandbox::Timing::default()
        .with_queued(ms(args.queued_ms))
        .with_ringing(ms(args.ringing_ms))
        .with_talk(ms(args.talk_ms))
}

pub(crate) async fn run(args: SandboxArgs) -> Outcome {
    // Heard from the start: a stop sent once the address is printed ends it with 0.
    let mut stop = StopSignal::listen()?;
    let mut builder = voiceport_sandbox::Sandbox::builder()
        .seed(args.seed)
        .addr(([127, 0, 0, 1], args.port).into())
        .timing(timing_of(&args));
    for &kind in voiceport_sandbox::EMULATED {
        builder = builder.calls(kind, args.calls as usize);
    }
    let receiver = args.webhooks.as_deref().map(receiver_base).transpose()?;
    let sandbox = builder
        .start()
        .await
        .map_err(|e| Failure::cannot_listen("sandbox", ([127, 0, 0, 1], args.port).into(), e))?;
    // Before the keys go in: a file `>` just created (empty) is made its owner's alone, as
    // every command reading a file that holds keys would otherwise ask.
    let made_private = output_file_made_private();
    let mut toml = sandbox_toml(&sandbox);
    if let Some(receiver) = &receiver {
        // The emulators sign with the tables printed below: one text for both.
        toml = with_webhook_tables(&toml);
        let registry = voiceport::Registry::from_toml_str(&toml)?;
        point_webhooks(&sandbox, &registry, receiver, false)?;
    }
    output::line(&format!(
        "# voiceport sandbox on http://{} (Ctrl-C to stop)\n",
        sandbox.addr()
    ))?;
    output::line("# voiceport.toml for the sandbox")?;
    if let Some(first) = voiceport_sandbox::EMULATED.first() {
        // At the top: `default` is a top-level key, so it must come before any [table].
        output::line(&format!(
            "# several providers: commands use `default`, unless `-p NAME` names another\n\
             default = \"{first}\"\n"
        ))?;
    }
    output::line(&toml)?;
    output::line("# dialed calls end by the last digit of the number called:")?;
    for (digits, how) in voiceport_sandbox::DIAL_OUTCOMES {
        output::line(&format!("#   {digits:<4} {how}"))?;
    }
    output::line("# (so +14155550187 has a conversation, with a transcript)")?;
    output::line(&format!(
        "# faults: POST http://{0}/_sandbox/faults {{\"fault\": \"status\", \"status\": 503}}; \
         DELETE it to clear; GET http://{0}/_sandbox for counts, \
         GET http://{0}/_sandbox/requests/{{vendor}} for the requests answered",
        sandbox.addr()
    ))?;
    match receiver {
        Some(receiver) => output::line(&format!(
            "# webhooks: each vendor posts to {receiver}/webhooks/{{vendor}}: `voiceport listen \
             --config FILE` there (FILE holding the configuration above) verifies them; \
             GET http://{}/_sandbox/webhooks/{{vendor}} for the deliveries",
            sandbox.addr()
        ))?,
        None => output::line(&format!(
            "# webhooks: PUT http://{0}/_sandbox/webhooks/{{vendor}} {{\"url\": \"http://127.0.0.1:8787/webhooks/NAME\", \"secret\": \"…\"}} \
             (signed as that [providers.NAME.webhook] table says), or start with --webhooks URL; \
             GET it for the deliveries",
            sandbox.addr()
        ))?,
    }
    // Written to a file (`voiceport sandbox > voiceport.toml`), the configuration leaves
    // the terminal blank: say there that it runs, and where; as a comment, should standard
    // error go into the same file (`2>&1`, nohup).
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        let private = if made_private {
            " (a file, now readable by you alone)"
        } else {
            ""
        };
        output::say(&format!(
            "# voiceport sandbox on http://{}: its configuration went to standard output{private}; Ctrl-C to stop",
            sandbox.addr()
        ));
    }
    // Ctrl-C, SIGTERM or SIGHUP ends it, with 0.
    stop.received().await;
    Ok(())
}

/// Narrows standard output to its owner's reading and writing when it is an empty regular
/// file (what `> voiceport.toml` creates), through the descriptor itself; whether it did.
/// Never a file that holds something already (`>> app.log`, whose permissions are the
/// user's choice), a device (`/dev/null`), a pipe or a terminal, nor elsewhere than on
/// Unix.
fn output_file_made_private() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::PermissionsExt;
        let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
            return false;
        };
        let file = std::fs::File::from(fd);
        let Ok(metadata) = file.metadata() else {
            return false;
        };
        let mode = metadata.permissions().mode();
        // Only narrowed: the group's and others' bits taken away, nothing added.
        metadata.is_file()
            && metadata.len() == 0
            && mode & 0o077 != 0
            && file
                .set_permissions(std::fs::Permissions::from_mode(mode & !0o077))
                .is_ok()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// A `voiceport.toml` that points one provider per vendor at `sandbox`.
pub(crate) fn sandbox_toml(sandbox: &Sandbox) -> String {
    let tables = voiceport_sandbox::EMULATED
        .iter()
        .map(|&kind| sandbox.provider_toml(kind.as_str(), kind));
    tables.collect::<Vec<_>>().join("\n")
}

/// The made-up webhook secret of `kind`'s emulator in the demo and `voiceport sandbox
/// --webhooks`.
fn webhook_secret(kind: ProviderKind) -> String {
    format!("sandbox-{kind}-webhook-secret")
}

/// `registry_toml` (from [`sandbox_toml`]) with a `[providers.NAME.webhook]` table per
/// vendor, written as that vendor can deliver ([`VendorWebhooks`]; the tables are printed
/// for users to copy): its usual scheme with the [`webhook_secret`] (Retell's signature
/// takes the API key, so its table names no secret), or where its deliveries never come
/// as that scheme checks (Rounded's agents take a URL and no headers), the first scheme
/// they can come as that checks something (the secret in the URL, `verify = "query"`).
pub(crate) fn with_webhook_tables(registry_toml: &str) -> String {
    let mut text = String::from(registry_toml);
    for &kind in voiceport_sandbox::EMULATED {
        let secret = webhook_secret(kind);
        let vendor = VendorWebhooks::of(kind);
        let why = vendor.why_not_others;
        let table = if vendor.sent_as.contains(&vendor.scheme) {
            match vendor.scheme {
                // Keyed with the API key: no secret of its own.
                Scheme::Retell => "# signed with the API key\n".to_owned(),
                _ => format!("secret = \"{secret}\"\n"),
            }
        } else {
            match (vendor.sent_as.iter()).find(|&&scheme| scheme != Scheme::None) {
                Some(scheme) => format!("# {why}\nverify = \"{scheme}\"\nsecret = \"{secret}\"\n"),
                None => format!("# {why}\nverify = \"none\"\n"),
            }
        };
        text.push_str(&format!("[providers.{kind}.webhook]\n{table}\n"));
    }
    text
}

/// Points each emulator of a provider of `registry` with a webhook table at
/// `{base}/webhooks/{name}` (`Sandbox::point_webhooks_at`: the name percent-encoded, two
/// providers of one vendor refused), signing as that table says and delivering as the
/// vendor does (its retries and timeout), with the Vapi family's tool-call requests when
/// `tool_calls`.
/// For the demo's receiver and `voiceport sandbox --webhooks`.
pub(crate) fn point_webhooks(
    sandbox: &Sandbox,
    registry: &Registry,
    base: &str,
    tool_calls: bool,
) -> Result<(), Failure> {
    let receiver = format!("{base}/webhooks/{{provider}}");
    sandbox.point_webhooks_at_with(&receiver, registry.file(), |target| {
        target.tool_calls(tool_calls)
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each timing flag sets its own phase (the process test checks only that a call
    /// stays queued as long as `--queued-ms` says).
    #[test]
    fn each_timing_flag_sets_its_phase() {
        use clap::Parser;
        let argv = [
            "voiceport",
            "sandbox",
            "--queued-ms",
            "1",
            "--ringing-ms",
            "2",
            "--talk-ms",
            "3",
        ];
        let args = match crate::cli::Cli::try_parse_from(argv).map(|cli| cli.command) {
            Ok(crate::cli::Command::Sandbox(args)) => args,
            other => panic!("{other:?}"),
        };
        let ms = std::time::Duration::from_millis;
        let timing = timing_of(&args);
        assert_eq!(
            (timing.queued, timing.ringing, timing.talk),
            (ms(1), ms(2), ms(3))
        );
    }
}
