//! The two completion routes, `POST /v1/chat/completions` and
//! `POST /v1/completions`: each request becomes a [`Generation`] (the model
//! and token limit checked, its fate drawn), answered whole after the
//! latency or streamed token by token.

use crate::http::api_error::ApiError;
use crate::llm::faults::{Failure, Fate};
use crate::llm::mock::answers::{answer_length, answer_tokens, count_tokens};
use crate::llm::mock::state::{InFlight, Shared};
use crate::llm::mock::streaming::event_stream;
use crate::llm::mock::wire::{
    AssistantMessage, ChatChoice, ChatCompletion, ChatCompletionChunk, ChatRequest, ChunkChoice,
    Delta, StreamOptions, TextChoice, TextCompletion, TextCompletionRequest, Usage,
};
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The most tokens one completion may ask for.
const MAX_TOKENS_LIMIT: u32 = 1024;

/// What one completion will send, once its fate allows it.
struct Generation {
    tokens: Vec<String>,
    finish_reason: &'static str,
    usage: Usage,
    first_token_after: Duration,
    /// Held until the last token is sent or the client goes away.
    in_flight: InFlight,
}

/// Checks the model and the token limit, counts the request and draws its
/// fate; an injected failure is answered here, after the usual latency
/// (a rate limit at once, as real APIs do).
async fn generate(
    shared: &Arc<Shared>,
    model: &str,
    prompt: &str,
    max_tokens: Option<u32>,
    max_tokens_param: &str,
) -> Result<Generation, ApiError> {
    shared.check_model(model)?;
    if let Some(max_tokens) = max_tokens
        && !(1..=MAX_TOKENS_LIMIT).contains(&max_tokens)
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("{max_tokens_param} must be from 1 to {MAX_TOKENS_LIMIT}"),
        )
        .param(max_tokens_param));
    }
    let in_flight = shared.serving();
    let config = &shared.config;
    let first_token_after = match shared.fate_of(prompt) {
        Fate::Normal => config.latency,
        Fate::Slow => config.faults.slow_latency,
        Fate::Error(Failure::RateLimited) => {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "injected fault: rate limit reached, retry after 1 s",
            )
            .code("rate_limit_exceeded")
            .retry_after(1));
        }
        Fate::Error(failure) => {
            tokio::time::sleep(config.latency).await;
            let (status, message) = match failure {
                Failure::Internal => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "injected fault: the model crashed, try again",
                ),
                _ => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "injected fault: the model is overloaded, try again",
                ),
            };
            return Err(ApiError::new(status, message));
        }
    };
    let whole = answer_length();
    let wanted = max_tokens.unwrap_or(whole);
    let tokens = answer_tokens(wanted);
    let prompt_tokens = count_tokens(prompt);
    let completion_tokens = tokens.len() as u32;
    Ok(Generation {
        tokens,
        finish_reason: if wanted < whole { "length" } else { "stop" },
        usage: Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
        },
        first_token_after,
        in_flight,
    })
}

impl Generation {
    /// Streams the answer: one chunk per token (`chunk_of` its index and
    /// text) at the pace of the configuration, then `finished` and, if
    /// `options` ask for it, the token counts (`usage_chunk`).
    fn stream<C: Serialize + Send + 'static>(
        self,
        token_delay: Duration,
        options: Option<StreamOptions>,
        chunk_of: impl FnMut((usize, String)) -> C,
        finished: C,
        usage_chunk: impl FnOnce(Usage) -> C,
    ) -> Response {
        let chunks = self.tokens.into_iter().enumerate().map(chunk_of).collect();
        let mut tail = vec![finished];
        if options.is_some_and(|options| options.include_usage) {
            tail.push(usage_chunk(self.usage));
        }
        event_stream(
            chunks,
            self.first_token_after,
            token_delay,
            tail,
            self.in_flight,
        )
    }
}

/// Unix seconds, for the answers' `created`.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// `POST /v1/chat/completions`: a `chat.completion`, or its chunks.
pub(super) async fn chat_completions(
    State(shared): State<Arc<Shared>>,
    body: Result<Json<ChatRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = body?;
    if request.messages.is_empty() {
        return Err(
            ApiError::new(StatusCode::BAD_REQUEST, "messages must not be empty").param("messages"),
        );
    }
    let prompt = request
        .messages
        .iter()
        .map(|message| message.text())
        .collect::<Vec<_>>()
        .join("\n");
    let (max_tokens, param) = match request.max_completion_tokens {
        Some(limit) => (Some(limit), "max_completion_tokens"),
        None => (request.max_tokens, "max_tokens"),
    };
    let generation = generate(&shared, &request.model, &prompt, max_tokens, param).await?;
    let id = shared.next_id("chatcmpl");
    let created = unix_now();
    let model = &shared.config.model;
    if request.stream != Some(true) {
        tokio::time::sleep(generation.first_token_after).await;
        let answer = ChatCompletion {
            id,
            object: "chat.completion".into(),
            created,
            model: model.clone(),
            choices: vec![ChatChoice {
                index: 0,
                message: AssistantMessage {
                    role: "assistant".into(),
                    content: Some(generation.tokens.concat()),
                },
                finish_reason: Some(generation.finish_reason.into()),
            }],
            usage: Some(generation.usage),
        };
        return Ok(Json(answer).into_response());
    }
    let chunk = |choices: Vec<ChunkChoice>, usage: Option<Usage>| ChatCompletionChunk {
        id: id.clone(),
        object: "chat.completion.chunk",
        created,
        model: model.clone(),
        choices,
        usage,
    };
    let choice = |delta: Delta, finish_reason: Option<&'static str>| ChunkChoice {
        index: 0,
        delta,
        finish_reason,
    };
    let finished = choice(Delta::default(), Some(generation.finish_reason));
    let finished = chunk(vec![finished], None);
    Ok(generation.stream(
        shared.config.token_delay,
        request.stream_options,
        // The role comes with the first token, when the model has one to send.
        |(index, token)| {
            let delta = Delta {
                role: (index == 0).then_some("assistant"),
                content: Some(token),
            };
            chunk(vec![choice(delta, None)], None)
        },
        finished,
        |usage| chunk(Vec::new(), Some(usage)),
    ))
}

/// `POST /v1/completions`: a `text_completion`, or its chunks.
pub(super) async fn text_completions(
    State(shared): State<Arc<Shared>>,
    body: Result<Json<TextCompletionRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = body?;
    let only_prompt = match &request.prompt {
        Value::Array(prompts) if prompts.len() == 1 => &prompts[0],
        prompt => prompt,
    };
    let Value::String(prompt) = only_prompt else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "prompt must be a string (or a list of one string)",
        )
        .param("prompt"));
    };
    let generation = generate(
        &shared,
        &request.model,
        prompt,
        request.max_tokens,
        "max_tokens",
    )
    .await?;
    let id = shared.next_id("cmpl");
    let created = unix_now();
    let model = &shared.config.model;
    let answer = |choices: Vec<TextChoice>, usage: Option<Usage>| TextCompletion {
        id: id.clone(),
        object: "text_completion",
        created,
        model: model.clone(),
        choices,
        usage,
    };
    let choice = |text: String, finish_reason: Option<&'static str>| TextChoice {
        text,
        index: 0,
        logprobs: (),
        finish_reason,
    };
    if request.stream != Some(true) {
        tokio::time::sleep(generation.first_token_after).await;
        let whole = choice(generation.tokens.concat(), Some(generation.finish_reason));
        return Ok(Json(answer(vec![whole], Some(generation.usage))).into_response());
    }
    let finished = choice(String::new(), Some(generation.finish_reason));
    let finished = answer(vec![finished], None);
    Ok(generation.stream(
        shared.config.token_delay,
        request.stream_options,
        |(_index, token)| answer(vec![choice(token, None)], None),
        finished,
        |usage| answer(Vec::new(), Some(usage)),
    ))
}
