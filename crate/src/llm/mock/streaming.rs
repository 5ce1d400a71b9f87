//! Sending an answer as server-sent events, token by token, at the pace of a
//! model generating it.

use crate::llm::mock::state::InFlight;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Serialize;
use std::convert::Infallible;
use std::time::Duration;

/// Sends `chunks` as server-sent events, the first after `first_after`, each
/// next after `between`, then the `tail` (the chunk that ends the answer, and
/// the token counts if asked for) at once and `[DONE]`; the in-flight guard
/// is held until the last event is sent.
pub(super) fn event_stream<C: Serialize + Send + 'static>(
    chunks: Vec<C>,
    first_after: Duration,
    between: Duration,
    tail: Vec<C>,
    in_flight: InFlight,
) -> Response {
    let event = |chunk: C| {
        Event::default()
            .json_data(chunk)
            .expect("the wire types serialize to JSON")
    };
    let delays = std::iter::once(first_after).chain(std::iter::repeat(between));
    let events = futures::stream::iter(chunks.into_iter().zip(delays))
        .then(move |(chunk, delay)| async move {
            tokio::time::sleep(delay).await;
            event(chunk)
        })
        .chain(futures::stream::iter(tail.into_iter().map(event)))
        .chain(futures::stream::once(async {
            Event::default().data("[DONE]")
        }))
        // The stream owns the in-flight guard: the request counts as served
        // until its last event is sent or the client goes away.
        .map(move |event| {
            let _ = &in_flight;
            Ok::<_, Infallible>(event)
        });
    Sse::new(events).into_response()
}
