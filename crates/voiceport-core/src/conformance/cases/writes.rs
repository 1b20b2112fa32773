//! The cases that change a call: its name, metadata, notes, and ending, canceling or
//! deleting it.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use super::{Check, Suite, not_run, quoted};
use crate::conformance::Outcome;
use crate::{
    Call, CallId, CallStatus, CallUpdate, Error, MetadataMode, NoteInput, NoteUpdate, Operation,
    VoiceProviderExt, Wait,
};

/// How long `end_call` may take to show: some vendors end a call a moment later.
const END_WAIT: Duration = Duration::from_secs(30);

impl Suite<'_> {
    /// The call the write cases change: only the one dialed here, as on a live account
    /// any other (a listed one, a completed one read) is a customer's.
    pub(super) fn writable(&self) -> std::result::Result<CallId, Check> {
        if !self.env.allow_writes() {
            return Err(not_run("read-only run"));
        }
        self.ended
            .as_ref()
            .filter(|_| self.dialed_here)
            .map(|c| c.id.clone())
            .ok_or_else(|| not_run("writes change only a call this run dialed, and none ended"))
    }

    /// The call as the vendor keeps it, read again where `get_call` is a capability: a
    /// write is judged on what was stored, not only on the call the adapter returned
    /// (which an adapter could build without the vendor having stored anything).
    pub(super) async fn stored(&self, id: &CallId) -> std::result::Result<Option<Call>, String> {
        if !self.caps.get_call {
            return Ok(None);
        }
        let call = self.provider.get_call(id).await;
        call.map(Some)
            .map_err(|e| self.failed("get_call after the write", e))
    }

    /// The call a write `returned`, and the call as [`stored`](Self::stored) where it can
    /// be read: each to be judged, by the name given.
    pub(super) async fn returned_and_stored(
        &self,
        id: &CallId,
        returned: Call,
    ) -> std::result::Result<Vec<(&'static str, Call)>, String> {
        let stored = self.stored(id).await?;
        Ok(std::iter::once(("returned", returned))
            .chain(stored.map(|call| ("stored", call)))
            .collect())
    }

    pub(super) async fn update_name(&self) -> Check {
        let update = CallUpdate {
            name: Some("Renewal follow-up".into()),
            ..CallUpdate::default()
        };
        if !self.caps.update_name {
            // Refused as the name, or as updating where the vendor updates nothing.
            let refused = [Operation::UpdateField("name"), Operation::UpdateCall];
            return self.unsupported(
                self.provider.update_call(&self.some_id(), &update).await,
                &refused,
            );
        }
        let id = match self.writable() {
            Ok(id) => id,
            Err(check) => return check,
        };
        let call = self
            .provider
            .update_call(&id, &update)
            .await
            .map_err(|e| self.failed("update_call", e))?;
        for (whose, call) in self.returned_and_stored(&id, call).await? {
            ensure!(
                call.name.as_deref() == Some("Renewal follow-up"),
                "the {whose} call's name is {}",
                quoted(call.name.as_deref())
            );
        }
        Ok(Outcome::Passed)
    }

    pub(super) async fn update_metadata(&self, mode: MetadataMode) -> Check {
        let update = |pairs: &[(&str, serde_json::Value)]| CallUpdate {
            metadata: Some(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.clone()))
                    .collect::<BTreeMap<_, _>>(),
            ),
            metadata_mode: mode,
            ..CallUpdate::default()
        };
        let supported = match mode {
            MetadataMode::Merge => self.caps.update_metadata_merge,
            MetadataMode::Replace => self.caps.update_metadata_replace,
        };
        if !supported {
            let first = update(&[("a", json!(1))]);
            let refused = [
                Operation::UpdateField(mode.update_field()),
                Operation::UpdateCall,
            ];
            return self.unsupported(
                self.provider.update_call(&self.some_id(), &first).await,
                &refused,
            );
        }
        let id = match self.writable() {
            Ok(id) => id,
            Err(check) => return check,
        };
        let send = |u: CallUpdate| {
            let id = id.clone();
            async move { self.provider.update_call(&id, &u).await }
        };
        let fail = |e| self.failed("update_call", e);
        match mode {
            MetadataMode::Merge => {
                send(update(&[("a", json!(1)), ("b", json!(2))]))
                    .await
                    .map_err(fail)?;
                let call = send(update(&[("b", json!(3))])).await.map_err(fail)?;
                for (whose, call) in self.returned_and_stored(&id, call).await? {
                    ensure!(
                        call.metadata.get("a") == Some(&json!(1))
                            && call.metadata.get("b") == Some(&json!(3)),
                        "the {whose} call's merged metadata is {}",
                        json!(call.metadata)
                    );
                }
            }
            MetadataMode::Replace => {
                // Something to replace first (a merge of `z` into it would keep `a`).
                send(update(&[("a", json!(1))])).await.map_err(fail)?;
                let call = send(update(&[("z", json!(true))])).await.map_err(fail)?;
                for (whose, call) in self.returned_and_stored(&id, call).await? {
                    ensure!(
                        call.metadata.len() == 1 && call.metadata.get("z") == Some(&json!(true)),
                        "the {whose} call's replaced metadata is {}",
                        json!(call.metadata)
                    );
                }
            }
        }
        Ok(Outcome::Passed)
    }

    pub(super) async fn notes(&self) -> Check {
        if !self.caps.notes {
            let note = NoteInput::new("hello");
            return self.unsupported(
                self.provider.add_note(&self.some_id(), &note).await,
                &[Operation::AddNote],
            );
        }
        let id = match self.writable() {
            Ok(id) => id,
            Err(check) => return check,
        };
        let fail = |e| self.failed("notes", e);
        let call = self
            .provider
            .add_note(&id, &NoteInput::new("Asked for a callback"))
            .await
            .map_err(fail)?;
        let Some(note) = call
            .notes
            .iter()
            .find(|n| n.content == "Asked for a callback")
        else {
            return Err("the added note is not on the call".into());
        };
        let note_id = note.id.clone();
        if let Some(stored) = self.stored(&id).await? {
            ensure!(
                stored
                    .notes
                    .iter()
                    .any(|n| n.id == note_id && n.content == "Asked for a callback"),
                "the added note is not on the stored call"
            );
        }
        let edited = NoteUpdate::text("Callback on Friday").with_flagged(true);
        let call = self
            .provider
            .update_note(&id, &note_id, &edited)
            .await
            .map_err(fail)?;
        let edited_is_on = |call: &Call| {
            (call.notes.iter())
                .any(|n| n.id == note_id && n.content == "Callback on Friday" && n.flagged)
        };
        ensure!(edited_is_on(&call), "the note was not updated");
        if let Some(stored) = self.stored(&id).await? {
            ensure!(
                edited_is_on(&stored),
                "the note was not updated on the stored call"
            );
        }
        // Unflagged, its text kept.
        let unflag = NoteUpdate::flagged(false);
        let call = (self.provider.update_note(&id, &note_id, &unflag).await).map_err(fail)?;
        ensure!(
            (call.notes.iter())
                .any(|n| n.id == note_id && n.content == "Callback on Friday" && !n.flagged),
            "the note was not unflagged, or lost its text"
        );
        let call = self
            .provider
            .delete_note(&id, &note_id)
            .await
            .map_err(fail)?;
        ensure!(
            call.notes.iter().all(|n| n.id != note_id),
            "the note is still there"
        );
        let persisted = self.provider.get_call(&id).await.map_err(fail)?;
        ensure!(
            persisted.notes.iter().all(|n| n.id != note_id),
            "the deleted note came back"
        );
        Ok(Outcome::Passed)
    }

    pub(super) async fn end_call(&mut self) -> Check {
        if !self.caps.end_call {
            return self.unsupported(
                self.provider.end_call(&self.some_id()).await,
                &[Operation::EndCall],
            );
        }
        if !self.env.allow_writes() {
            return not_run("read-only run");
        }
        // A call that stays live until ended, where the environment has one: a call that
        // ends by itself could hide an end_call that sends nothing.
        let number = self
            .env
            .lasting_call_number()
            .or_else(|| self.env.dial_number());
        let Some(number) = number.filter(|_| self.caps.dial) else {
            return not_run("no live call to end (nothing dialed)");
        };
        let id = self
            .place(&self.dial_request(number))
            .await
            .map_err(|e| self.dial_failed(e))?
            .call_id;
        if let Err(error) = self.provider.end_call(&id).await {
            // A live call left running costs the account: one more try, and the report
            // says whether the call is still live.
            let again = match self.provider.end_call(&id).await {
                Ok(()) => "; a second end_call ended it".to_owned(),
                Err(e) => {
                    self.note_throttling(&e);
                    format!("; a second end_call failed too ({e}): call {id} may still be live")
                }
            };
            return Err(self.failed("end_call", error) + &again);
        }
        // A vendor may end the call a moment after answering: a short wait, not one look.
        let (deadline, poll) = self.env.call_deadline();
        let call = self
            .provider
            .wait_until_ended(
                &id,
                Wait::at_most(deadline.min(END_WAIT)).polling_every(poll),
            )
            .await
            .map_err(|e| {
                self.failed("end_call answered, but then wait_until_ended", e)
                    + &format!("; call {id} may still be live")
            })?;
        // Dialed here and ended: the delete case may have it, by the id the dial answered
        // (not the one read, which an adapter could get wrong).
        ensure!(
            call.id == id,
            "ended call {id}, but reading it gave call {}",
            call.id
        );
        self.spare.push(id);
        Ok(Outcome::Passed)
    }

    pub(super) async fn cancel_call(&self) -> Check {
        if !self.caps.cancel_call {
            return self.unsupported(
                self.provider.cancel_call(&self.some_id()).await,
                &[Operation::CancelCall],
            );
        }
        let Some(id) = &self.scheduled else {
            return not_run("no scheduled call to cancel");
        };
        // Not canceled, the call scheduled here rings in two hours: said with any failure.
        let pending = format!(
            "; the call scheduled here, {id}, will ring in about two hours unless it is canceled"
        );
        let fail = |e| format!("{}{pending}", self.failed("cancel_call", e));
        self.provider.cancel_call(id).await.map_err(fail)?;
        let call = self.provider.get_call(id).await.map_err(fail)?;
        ensure!(
            call.status == CallStatus::Canceled,
            "the call is {}{pending}",
            call.status
        );
        Ok(Outcome::Passed)
    }

    pub(super) async fn delete_call(&self) -> Check {
        if !self.caps.delete_call {
            return self.unsupported(
                self.provider.delete_call(&self.some_id()).await,
                &[Operation::DeleteCall],
            );
        }
        if !self.env.allow_writes() {
            return not_run("read-only run");
        }
        // Only a call dialed here (any other is a customer's on a live account): one no
        // later case reads first, else the one the dial case ended.
        let victim = self.spare.last().or(self
            .ended
            .as_ref()
            .filter(|_| self.dialed_here)
            .map(|c| &c.id));
        let Some(victim) = victim else {
            return not_run("deletes only a call this run dialed, and none ended");
        };
        self.provider
            .delete_call(victim)
            .await
            .map_err(|e| self.failed("delete_call", e))?;
        match self.provider.get_call(victim).await {
            Err(Error::NotFound { .. }) => Ok(Outcome::Passed),
            Ok(call) => Err(format!("after delete, get_call still found {}", call.id)),
            Err(other) => {
                self.note_throttling(&other);
                Err(format!("after delete, get_call gave: {other}"))
            }
        }
    }
}
