async fn ask(llm: LlmClient, prompt: String) -> anyhow::Result<Completion> {
    let policy = RetryPolicy {
        attempts: 4,
        timeout: Duration::from_secs(1),
        first_backoff: Duration::from_millis(200),
    };
    with_retries(&prompt, &policy, || llm.complete(&prompt, MAX_TOKENS))
        .await
        .result
}
