async fn ask_all(llm: LlmClient, prompts: Vec<String>) -> Vec<anyhow::Result<Completion>> {
    let permits = tokio::sync::Semaphore::new(3);
    gather(prompts.iter().map(|prompt| async {
        let _permit = permits.acquire().await?;
        llm.complete(prompt, MAX_TOKENS).await
    }))
    .await
}
