//! An LLM for notebook 04: [`MockLlm`], a stand-in server speaking OpenAI's
//! API with seeded [`Faults`]; [`LlmClient`], its client (and any
//! OpenAI-compatible server's); [`LlmChannel`], the same calls as streams of
//! one HTTP/2 connection; [`with_retries`]; and what notebook 04's cells
//! build on to run against it ([`measure_llm`], [`timed_call`], ...).

pub(crate) mod channel;
pub(crate) mod client;
pub(crate) mod faults;
pub(crate) mod mock;
pub(crate) mod retry;
pub(crate) mod runs;

pub use channel::LlmChannel;
pub use client::{HttpStatusError, LlmClient};
pub use faults::{Fate, Faults};
pub use mock::{
    Completion, DEFAULT_MODEL, EMBEDDING_SIZE, MockLlm, MockLlmServer, ServerStats, StageLatencies,
    answer_length, answer_tokens,
};
pub use retry::{Retried, RetryPolicy, with_retries};
pub use runs::{
    ExternalLlm, MAX_TOKENS, Measured, RunReport, llm_in_use, measure_llm, numbered_prompts,
    talk_to_llm,
};
// Notebook 04's cells draw each call to the LLM with it; it lives with the
// other timing code.
pub use crate::timing::timed_call;
