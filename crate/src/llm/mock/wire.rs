//! The JSON on the mock's wire: OpenAI's request and answer shapes, with the
//! fields clients read (a request's other fields are accepted and ignored, as
//! real servers do), and the mock's own shapes for the two RAG stages that
//! have no OpenAI counterpart. The crate's own clients send and read these
//! same types, so the two sides cannot disagree on a field.
//!
//! Types the mock only sends, and no client of the crate reads (async-openai
//! parses those), only serialize.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChatMessage {
    /// `system`, `user`, `assistant`...
    pub(crate) role: String,
    /// A string, or OpenAI's list of parts (`{"type": "text", "text"}`).
    #[serde(default)]
    pub(crate) content: Value,
}

impl ChatMessage {
    /// The text of the message: its `content` string, or the text parts of
    /// its list joined by spaces.
    pub(crate) fn text(&self) -> String {
        match &self.content {
            Value::String(text) => text.clone(),
            Value::Array(parts) => parts
                .iter()
                .filter_map(|part| part.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(" "),
            _ => String::new(),
        }
    }
}

/// `stream_options` of a streamed request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StreamOptions {
    /// Send a last chunk with the token counts before `[DONE]`.
    #[serde(default)]
    pub(crate) include_usage: bool,
}

/// The body of `POST /v1/chat/completions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChatRequest {
    /// The model to answer.
    pub(crate) model: String,
    /// The conversation so far.
    pub(crate) messages: Vec<ChatMessage>,
    /// The most tokens to generate (older name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_tokens: Option<u32>,
    /// The most tokens to generate; wins over `max_tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_completion_tokens: Option<u32>,
    /// Send the answer as server-sent events as it is generated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) stream: Option<bool>,
    /// Options of a streamed answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) stream_options: Option<StreamOptions>,
}

/// The body of `POST /v1/completions` (OpenAI's legacy completions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TextCompletionRequest {
    /// The model to answer.
    pub(crate) model: String,
    /// A string or a list of strings; each gets its own choice.
    pub(crate) prompt: Value,
    /// The most tokens to generate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_tokens: Option<u32>,
    /// Send the answer as server-sent events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) stream: Option<bool>,
    /// Options of a streamed answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) stream_options: Option<StreamOptions>,
}

/// A `chat.completion` answer: the fields clients read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChatCompletion {
    /// `chatcmpl-...`.
    pub(crate) id: String,
    /// Always `chat.completion`.
    pub(crate) object: String,
    /// Unix seconds.
    pub(crate) created: u64,
    /// The model that answered.
    pub(crate) model: String,
    /// The answers; the mock gives one.
    pub(crate) choices: Vec<ChatChoice>,
    /// Token counts.
    pub(crate) usage: Option<Usage>,
}

/// One answer of a [`ChatCompletion`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChatChoice {
    /// Its position among the choices.
    pub(crate) index: u32,
    /// What the assistant said.
    pub(crate) message: AssistantMessage,
    /// `stop` when the answer is complete, `length` when cut at `max_tokens`.
    pub(crate) finish_reason: Option<String>,
}

/// The assistant's message in a [`ChatChoice`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AssistantMessage {
    /// Always `assistant`.
    pub(crate) role: String,
    /// The answer's text.
    pub(crate) content: Option<String>,
}

/// One server-sent event of a streamed chat completion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ChatCompletionChunk {
    /// The id shared by every chunk of the answer.
    pub(crate) id: String,
    /// Always `chat.completion.chunk`.
    pub(crate) object: &'static str,
    /// Unix seconds.
    pub(crate) created: u64,
    /// The model that answered.
    pub(crate) model: String,
    /// The new part of the answer; none in the chunk of token counts.
    pub(crate) choices: Vec<ChunkChoice>,
    /// Token counts, in the last chunk when the request asked for them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) usage: Option<Usage>,
}

/// One answer's new part in a [`ChatCompletionChunk`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ChunkChoice {
    /// Its position among the choices.
    pub(crate) index: u32,
    /// What was added to the message.
    pub(crate) delta: Delta,
    /// Null until the last chunk of the answer, then why it ended.
    pub(crate) finish_reason: Option<&'static str>,
}

/// What a chunk adds to the assistant's message: its role with the first
/// token, a token, or nothing in the chunk that ends the answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Delta {
    /// `assistant`, in the first chunk only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) role: Option<&'static str>,
    /// The token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) content: Option<String>,
}

/// A `text_completion` answer, or one chunk of it when streamed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TextCompletion {
    /// `cmpl-...`, shared by every chunk of a streamed answer.
    pub(crate) id: String,
    /// Always `text_completion`, streamed or not.
    pub(crate) object: &'static str,
    /// Unix seconds.
    pub(crate) created: u64,
    /// The model that answered.
    pub(crate) model: String,
    /// The answer, or a chunk's new part of it; none in the chunk of token
    /// counts.
    pub(crate) choices: Vec<TextChoice>,
    /// Token counts: always in a whole answer, in the last chunk of a stream
    /// that asked for them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) usage: Option<Usage>,
}

/// One answer of a [`TextCompletion`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TextChoice {
    /// The text, or a chunk's token.
    pub(crate) text: String,
    /// Its position among the choices.
    pub(crate) index: u32,
    /// Always null: the mock computes no log probabilities, but OpenAI's
    /// answers always carry the field.
    pub(crate) logprobs: (),
    /// Null until the answer is complete, then why it ended.
    pub(crate) finish_reason: Option<&'static str>,
}

/// Token counts of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Usage {
    /// Tokens of the prompt (the mock counts words).
    pub(crate) prompt_tokens: u32,
    /// Tokens generated.
    pub(crate) completion_tokens: u32,
    /// Their sum.
    pub(crate) total_tokens: u32,
}

/// A completed answer, as the crate's clients return it.
///
/// # Examples
///
/// ```
/// use async_walkthrough::llm::{LlmClient, answer_tokens};
/// use async_walkthrough::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> anyhow::Result<()> {
/// let server = MockLlm { latency: Duration::ZERO, ..MockLlm::default() }.start().await?;
/// let answer: Completion = LlmClient::new(server.url()).complete("Why async?", 4).await?;
/// assert_eq!(answer.tokens, 4);
/// assert_eq!(answer.text, answer_tokens(4).concat());
/// server.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    /// The generated text.
    pub text: String,
    /// How many tokens it has.
    pub tokens: u32,
}

/// The body of `POST /v1/embeddings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EmbeddingRequest {
    /// The model to embed with.
    pub(crate) model: String,
    /// A string or a list of strings.
    pub(crate) input: Value,
}

/// The answer to `POST /v1/embeddings`: one embedding per input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct EmbeddingList {
    /// Always `list`.
    pub(crate) object: &'static str,
    /// The embeddings, in the order of the inputs.
    pub(crate) data: Vec<Embedding>,
    /// The model that embedded them.
    pub(crate) model: String,
    /// Tokens of the inputs.
    pub(crate) usage: EmbeddingUsage,
}

/// One input's embedding in an [`EmbeddingList`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Embedding {
    /// Always `embedding`.
    pub(crate) object: &'static str,
    /// The input's position.
    pub(crate) index: usize,
    /// A unit vector.
    pub(crate) embedding: Vec<f32>,
}

/// Token counts of an embedding request: all of them are the prompt's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct EmbeddingUsage {
    /// Tokens of the inputs (the mock counts words).
    pub(crate) prompt_tokens: u32,
    /// The same number.
    pub(crate) total_tokens: u32,
}

/// The answer to `GET /v1/models`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ModelList {
    /// Always `list`.
    pub(crate) object: &'static str,
    /// The models served: the mock serves one.
    pub(crate) data: Vec<Model>,
}

/// One model of a [`ModelList`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Model {
    /// Its name, as requests give it.
    pub(crate) id: String,
    /// Always `model`.
    pub(crate) object: &'static str,
    /// Unix seconds; 0 for the mock's.
    pub(crate) created: u64,
    /// Who publishes it.
    pub(crate) owned_by: &'static str,
}

/// The answer to `GET /health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Health {
    /// Always `ok`: a server that answers is healthy.
    pub(crate) status: &'static str,
}

/// The body of `POST /v1/search`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SearchRequest {
    /// What to search for.
    pub(crate) query: String,
    /// How many documents to return.
    pub(crate) top_k: u32,
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SearchResults {
    /// The best-matching documents, best first.
    pub(crate) documents: Vec<String>,
}

/// The body of `POST /v1/lookup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LookupRequest {
    /// The database key.
    pub(crate) key: String,
}

/// The answer to a database lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The key looked up.
    pub key: String,
    /// What the database holds for it.
    pub value: String,
}
