// expect: prompts failed
async fn ask(llm: LlmClient, prompt: String) -> anyhow::Result<Completion> {
    tokio::time::timeout(Duration::from_secs(1), llm.complete(&prompt, MAX_TOKENS)).await?
}
