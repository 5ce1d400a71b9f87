//! The server side of notebook 04: [`ServingLayer`], an endpoint on one
//! thread in front of the LLM, and [`load_test`](fn@load_test), many clients asking it at
//! once.

pub(crate) mod layer;
pub(crate) mod load_test;

pub use layer::{ServingLayer, Upstream};
pub use load_test::{LoadReport, load_test};
