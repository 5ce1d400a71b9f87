// expect: ✗ the server saw 10 requests at once
async fn ask_all(llm: LlmClient, prompts: Vec<String>) -> Vec<anyhow::Result<Completion>> {
    let permits = tokio::sync::Semaphore::new(3);
    gather(prompts.iter().map(|prompt| async {
        let _ = permits.acquire().await?;
        llm.complete(prompt, MAX_TOKENS).await
    }))
    .await
}
