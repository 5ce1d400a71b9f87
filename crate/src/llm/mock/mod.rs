//! [`MockLlm`]: a stand-in for an LLM API that speaks OpenAI's API, served
//! over real HTTP, so that notebook 04 can measure what async does for LLM
//! calls without a network, a GPU or an account, and so that the clients
//! people use against real servers (the `openai` Python package,
//! async-openai, anything that talks to llama.cpp, vLLM or Ollama) work
//! against it unchanged.
//!
//! It does no inference: an answer is a fixed sentence cut to `max_tokens`
//! words, sent after a configurable latency. What it does model faithfully is
//! what a client sees: answers take time, many requests can wait at once, a
//! streamed answer arrives token by token (a time to first token, then a time
//! between tokens), and some answers fail or are slow ([`Faults`](crate::llm::Faults), seeded so
//! a notebook shows the same failures every run).
//!
//! Routes:
//!
//! | route | body | answer |
//! | --- | --- | --- |
//! | `GET /health` | | `{"status": "ok"}` |
//! | `GET /metrics` | | Prometheus text: requests by route and status, in flight, latency histogram |
//! | `GET /v1/models` | | the one model it serves, as a `list` |
//! | `POST /v1/chat/completions` | `{"model", "messages", "max_tokens"?, "max_completion_tokens"?, "stream"?, "stream_options"?}` | a `chat.completion`, or `chat.completion.chunk` server-sent events ending with `data: [DONE]` |
//! | `POST /v1/completions` | `{"model", "prompt", "max_tokens"?, "stream"?}` | a `text_completion` (`choices[].text`), or its chunks |
//! | `POST /v1/embeddings` | `{"model", "input"}` | `data[].embedding`, unit vectors |
//! | `POST /v1/search` | `{"query", "top_k"}` | [`SearchResults`](wire::SearchResults) |
//! | `POST /v1/lookup` | `{"key"}` | [`Record`](wire::Record) |
//!
//! The last three are the stages of a retrieval-augmented (RAG) answer, each
//! with its own latency ([`StageLatencies`]); search and lookup have no
//! OpenAI counterpart and stay in the mock's own shape. Errors come in
//! OpenAI's shape ([`ApiError`](crate::http::ApiError)): 400 for malformed JSON or a value out of
//! range, 422 for a missing or wrongly typed field, 401 when an API key is
//! required and missing or wrong, 404 for an unknown model or path, 429 (with
//! `retry-after`), 500 and 503 for injected faults. The server keeps serving.
//!
//! The server counts the requests it is serving at each moment and the most
//! it ever served at once ([`ServerStats`]), so a notebook can show a
//! concurrency limit as measured by the server rather than assumed.
//!
//! # Layout
//!
//! - `config`: [`MockLlm`], how the mock behaves;
//! - `server`: starting it, and [`MockLlmServer`], the running server;
//! - `state`: what the handlers share: the configuration, the counts
//!   ([`ServerStats`]) and each prompt's fate;
//! - `routes`: the router, its middleware and the handlers other than the
//!   completions;
//! - `completions`: the two completion routes, answered whole or streamed
//!   (`streaming`);
//! - `answers`: what the mock model says: its one answer cut into tokens,
//!   embeddings and the documents a search ranks;
//! - `metrics`: `GET /metrics`'s counters, kept by prometheus-client;
//! - `wire`: the JSON shapes of requests and answers, shared with the
//!   crate's clients.
//!
//! Each imports only files below it in this list or outside `mock`, never
//! this one.

mod answers;
mod completions;
mod config;
mod metrics;
mod routes;
mod server;
mod state;
mod streaming;
pub(crate) mod wire;

pub use answers::{EMBEDDING_SIZE, answer_length, answer_tokens};
pub use config::{DEFAULT_MODEL, MockLlm, StageLatencies};
pub use server::MockLlmServer;
pub use state::ServerStats;
pub use wire::Completion;
