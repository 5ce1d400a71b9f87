//! An LLM for notebook 04: [`MockLlm`], a stand-in server speaking OpenAI's
//! API with seeded [`Faults`]; [`LlmClient`], its client (and any
//! OpenAI-compatible server's); [`LlmChannel`], the same calls as streams of
//! one HTTP/2 connection; [`with_retries`]; and the notebook's runs against
//! it.

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
    ExternalLlm, MAX_TOKENS, Measured, ask_bounded, ask_gathered, ask_sequentially,
    ask_with_retries, llm_in_use, measure, prompts, rag_answer, stream_answer, talk_to_llm,
};
