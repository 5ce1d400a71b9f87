// expect: waiting out a stalled answer
async fn ask(llm: LlmClient, prompt: String) -> anyhow::Result<Completion> {
    let mut answer = llm.complete(&prompt, MAX_TOKENS).await;
    for _ in 1..4 {
        if answer.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        answer = llm.complete(&prompt, MAX_TOKENS).await;
    }
    answer
}
