//! What `GET /metrics` reports, kept by the prometheus-client crate:
//! requests by route and status, their latencies, and the requests in
//! flight.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Duration;

/// The buckets of the latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 10] = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The routes the metrics name; any other path counts as `other`, so a
/// client probing random paths cannot grow the label set without bound.
const ROUTES: [&str; 8] = [
    "/health",
    "/metrics",
    "/v1/models",
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/embeddings",
    "/v1/search",
    "/v1/lookup",
];

/// The labels of the request counter.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: &'static str,
    status: u16,
}

/// The label of the latency histogram.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: &'static str,
}

/// The server's metrics, registered under the prefix `mock_llm`.
#[derive(Debug)]
pub(super) struct Metrics {
    registry: Registry,
    requests: Family<RouteStatus, Counter>,
    latency: Family<RouteLabel, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
    max_in_flight: Gauge,
}

impl Metrics {
    pub(super) fn new() -> Self {
        let mut registry = Registry::with_prefix("mock_llm");
        let requests = Family::<RouteStatus, Counter>::default();
        let latency: Family<RouteLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        let in_flight = Gauge::default();
        let max_in_flight = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request to the head of its answer (for a stream, before its first token)",
            latency.clone(),
        );
        registry.register(
            "requests_in_flight",
            "Model requests (completions and RAG stages) being served",
            in_flight.clone(),
        );
        registry.register(
            "max_requests_in_flight",
            "The most model requests ever served at once",
            max_in_flight.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            in_flight,
            max_in_flight,
        }
    }

    /// The route label of a request to `path`: the route itself, or `other`.
    pub(super) fn route_of(path: &str) -> &'static str {
        ROUTES
            .into_iter()
            .find(|route| *route == path)
            .unwrap_or("other")
    }

    /// Counts one answer to `route` with `status`, `took` after its request.
    pub(super) fn observe(&self, route: &'static str, status: u16, took: Duration) {
        self.latency
            .get_or_create(&RouteLabel { route })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RouteStatus { route, status })
            .inc();
    }

    /// Prometheus's text format (OpenMetrics flavour), with the in-flight
    /// gauges set to the counts of the moment of the scrape.
    pub(super) fn encode(
        &self,
        in_flight: usize,
        max_in_flight: usize,
    ) -> Result<String, std::fmt::Error> {
        self.in_flight.set(in_flight as i64);
        self.max_in_flight.set(max_in_flight as i64);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
