//! The mock's router: its routes under a check of the API key and the
//! metrics, and the handlers of every route but the completions.

use crate::http::api_error::{ApiError, BODY_LIMIT, method_not_allowed, not_found};
use crate::llm::mock::answers::{count_tokens, embedding_of, search_documents};
use crate::llm::mock::completions::{chat_completions, text_completions};
use crate::llm::mock::metrics::Metrics;
use crate::llm::mock::state::Shared;
use crate::llm::mock::wire::{
    Embedding, EmbeddingList, EmbeddingRequest, EmbeddingUsage, Health, LookupRequest, Model,
    ModelList, Record, SearchRequest, SearchResults,
};
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The routes, under a check of the API key (for `/v1/`) and the metrics.
pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/completions", post(text_completions))
        .route("/v1/embeddings", post(embed))
        .route("/v1/search", post(search))
        .route("/v1/lookup", post(lookup))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            authorize,
        ))
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), count))
        .with_state(shared)
}

/// Counts every answer by route and status and times it.
async fn count(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let route = Metrics::route_of(request.uri().path());
    let started = Instant::now();
    let response = next.run(request).await;
    shared
        .metrics
        .observe(route, response.status().as_u16(), started.elapsed());
    response
}

/// With an API key configured, a `/v1/` request without `Authorization:
/// Bearer <key>` gets a 401. Health and metrics stay open, as on vLLM, so
/// probes and scrapers need no key.
async fn authorize(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if let Some(key) = &shared.config.api_key
        && request.uri().path().starts_with("/v1/")
    {
        let presented = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        if presented != Some(key.as_str()) {
            let message = match presented {
                None => "No API key provided: send Authorization: Bearer <key>",
                Some(_) => "Incorrect API key provided",
            };
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, message).code("invalid_api_key"));
        }
    }
    Ok(next.run(request).await)
}

async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Prometheus's text format (OpenMetrics flavour), with the in-flight gauges
/// read at the moment of the scrape.
async fn metrics(State(shared): State<Arc<Shared>>) -> Result<Response, ApiError> {
    let stats = shared.stats();
    let text = shared
        .metrics
        .encode(stats.in_flight, stats.max_in_flight)
        .map_err(|error| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("encoding the metrics: {error}"),
            )
        })?;
    let content_type =
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
    Ok(([(CONTENT_TYPE, content_type)], text).into_response())
}

async fn models(State(shared): State<Arc<Shared>>) -> Json<ModelList> {
    Json(ModelList {
        object: "list",
        data: vec![Model {
            id: shared.config.model.clone(),
            object: "model",
            created: 0,
            owned_by: "async-walkthrough",
        }],
    })
}

/// Waits out a stage's latency while counted as in flight.
async fn stage(shared: &Arc<Shared>, latency: Duration) {
    let _in_flight = shared.serving();
    tokio::time::sleep(latency).await;
}

async fn embed(
    State(shared): State<Arc<Shared>>,
    body: Result<Json<EmbeddingRequest>, JsonRejection>,
) -> Result<Json<EmbeddingList>, ApiError> {
    let Json(request) = body?;
    shared.check_model(&request.model)?;
    let inputs: Vec<&str> = match &request.input {
        Value::String(input) => vec![input],
        Value::Array(inputs) if !inputs.is_empty() => inputs
            .iter()
            .map(|input| input.as_str())
            .collect::<Option<_>>()
            .ok_or_else(|| {
                ApiError::new(StatusCode::BAD_REQUEST, "input must be strings").param("input")
            })?,
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "input must be a string or a list of strings",
            )
            .param("input"));
        }
    };
    stage(&shared, shared.config.stages.embedding).await;
    let data = inputs
        .iter()
        .enumerate()
        .map(|(index, input)| Embedding {
            object: "embedding",
            index,
            embedding: embedding_of(input),
        })
        .collect();
    let tokens: u32 = inputs.iter().map(|input| count_tokens(input)).sum();
    Ok(Json(EmbeddingList {
        object: "list",
        data,
        model: shared.config.model.clone(),
        usage: EmbeddingUsage {
            prompt_tokens: tokens,
            total_tokens: tokens,
        },
    }))
}

async fn search(
    State(shared): State<Arc<Shared>>,
    body: Result<Json<SearchRequest>, JsonRejection>,
) -> Result<Json<SearchResults>, ApiError> {
    let Json(request) = body?;
    stage(&shared, shared.config.stages.search).await;
    let documents = search_documents(&request.query, request.top_k as usize);
    Ok(Json(SearchResults { documents }))
}

async fn lookup(
    State(shared): State<Arc<Shared>>,
    body: Result<Json<LookupRequest>, JsonRejection>,
) -> Result<Json<Record>, ApiError> {
    let Json(request) = body?;
    stage(&shared, shared.config.stages.lookup).await;
    let value = format!("profile of {}: prefers short answers", request.key);
    Ok(Json(Record {
        key: request.key,
        value,
    }))
}
