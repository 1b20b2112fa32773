//! The look before dialing again: the calls a dial whose outcome is unknown may have placed.

use chrono::{DateTime, TimeDelta, Utc};
use futures::TryStreamExt;

use crate::adapter::same_number;
use crate::{Call, CallQuery, DialRequest, Filter, Result, SortOrder, VoiceProvider, paging};

/// How long before the dial a call it placed may say it was created: the vendor's clock
/// and this machine's may differ by that much.
const CLOCK_MARGIN: TimeDelta = TimeDelta::minutes(2);

/// The calls `request` may have placed on `provider` when dialed at `dialed_at`: see
/// [`VoiceProviderExt::find_dialed`](crate::VoiceProviderExt::find_dialed).
pub(crate) async fn find_dialed<P: VoiceProvider + ?Sized>(
    provider: &P,
    request: &DialRequest,
    dialed_at: DateTime<Utc>,
) -> Result<Vec<Call>> {
    let caps = provider.capabilities();
    let from = dialed_at - CLOCK_MARGIN;
    // The number called: asked of the vendor where it filters on it, and compared here
    // however the call writes it (a vendor may drop the `+`).
    let mut query = CallQuery::default();
    if caps.supports_filter(Filter::ToNumber) {
        query.to_number = Some(request.to.clone());
    }
    // A vendor that ranges by the start time leaves out a call still ringing, or never
    // answered: no range is asked of it, the time is compared here.
    if caps.supports_filter(Filter::TimeRange) && !caps.time_range_on_start {
        query.since = Some(from);
    }
    // Newest first, where the vendor lists so: the walk stops at the first call older
    // than the dial, rather than reading every call to the number.
    let newest_first = caps.supports_sort(SortOrder::Descending);
    if newest_first {
        query.sort = Some(SortOrder::Descending);
    }
    let created = |call: &Call| call.created_at.or(call.started_at);
    let mut calls = paging::call_stream(provider, query);
    let mut found = Vec::new();
    while let Some(call) = calls.try_next().await? {
        let before = created(&call).is_some_and(|at| at < from);
        if before && newest_first {
            break;
        }
        let to_the_number = (call.to.as_deref()).is_some_and(|to| same_number(to, &request.to));
        if !before && to_the_number && may_be_ours(request, &call) {
            found.push(call);
        }
    }
    Ok(found)
}

/// Whether `call` may be the one `request` placed, by its metadata: only a call that reads
/// back one of the request's keys with another value is told apart. A call without the
/// key may be ours (a vendor that does not read a dial's metadata back, or one the dial
/// could not set it on) and is kept: a call missed here would be dialed again.
fn may_be_ours(request: &DialRequest, call: &Call) -> bool {
    (request.metadata.iter()).all(|(key, value)| call.metadata.get(key).is_none_or(|v| v == value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_call_reading_back_another_value_of_a_key_is_told_apart() {
        let mut request = DialRequest::to("+14155550187");
        request.metadata.insert("order_id".into(), "A-1042".into());
        let mut call = Call::new(crate::CallId::new("c"), crate::ProviderKind::Retell);
        assert!(may_be_ours(&request, &call), "no metadata read back");
        call.metadata.insert("crm".into(), 7.into());
        assert!(may_be_ours(&request, &call), "other keys only");
        call.metadata.insert("order_id".into(), "A-1042".into());
        assert!(may_be_ours(&request, &call), "the same value");
        call.metadata.insert("order_id".into(), "A-1043".into());
        assert!(!may_be_ours(&request, &call), "another value");
        assert!(
            may_be_ours(&DialRequest::to("+14155550187"), &call),
            "a request without"
        );
    }
}
