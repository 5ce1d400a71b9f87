//! What the mock model says. It does no inference: a completion is one fixed
//! sentence cut to the tokens asked for (a token is a word), an embedding is
//! a hash of the words, and a search ranks a fixed list of documents by how
//! close their titles embed to the query.

use crate::mix::fnv1a;

/// The mock model's one answer; a request for fewer tokens gets it cut short
/// (`finish_reason: "length"`), any other the whole of it (`"stop"`).
const ANSWER: &str = "Async lets one thread wait on many requests at once, \
                      so their waiting overlaps instead of adding up.";

/// How many numbers an embedding has.
pub const EMBEDDING_SIZE: usize = 64;

/// The documents the mock vector search ranks.
const DOCUMENTS: &[&str] = &[
    "doc-01 event loops",
    "doc-02 futures and polling",
    "doc-03 tokio runtimes",
    "doc-04 backpressure",
    "doc-05 timeouts and retries",
    "doc-06 streaming responses",
    "doc-07 connection pools",
    "doc-08 rate limits",
];

/// The first `count` tokens of the mock's answer, at most all of it; each but
/// the first starts with its space, so the tokens join into the text.
pub fn answer_tokens(count: u32) -> Vec<String> {
    ANSWER
        .split_whitespace()
        .take(count as usize)
        .enumerate()
        .map(|(index, word)| {
            if index == 0 {
                word.to_owned()
            } else {
                format!(" {word}")
            }
        })
        .collect()
}

/// How many tokens the whole answer has: a request for as many or more gets
/// `finish_reason: "stop"`.
pub fn answer_length() -> u32 {
    ANSWER.split_whitespace().count() as u32
}

/// The mock's tokens are words.
pub(super) fn count_tokens(text: &str) -> u32 {
    text.split_whitespace().count() as u32
}

/// A unit vector of [`EMBEDDING_SIZE`] numbers that depends only on `text`:
/// the same text always embeds the same way, and texts sharing words embed
/// closer (each word adds to one hashed position).
pub(super) fn embedding_of(text: &str) -> Vec<f32> {
    let mut vector = [0f32; EMBEDDING_SIZE];
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let hash = fnv1a(word.to_lowercase().bytes());
        vector[(hash % EMBEDDING_SIZE as u64) as usize] += 1.0;
    }
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt().max(1.0);
    vector.iter().map(|x| x / norm).collect()
}

/// The `top_k` documents closest to `query`, closest first.
pub(super) fn search_documents(query: &str, top_k: usize) -> Vec<String> {
    let query = embedding_of(query);
    // A document is ranked by its title, without its id.
    let score = |document: &str| -> f32 {
        let title = document
            .split_once(' ')
            .map_or(document, |(_id, title)| title);
        let vector = embedding_of(title);
        query.iter().zip(&vector).map(|(a, b)| a * b).sum()
    };
    let mut ranked: Vec<&str> = DOCUMENTS.to_vec();
    ranked.sort_by(|a, b| score(b).total_cmp(&score(a)));
    ranked.into_iter().take(top_k).map(str::to_owned).collect()
}
