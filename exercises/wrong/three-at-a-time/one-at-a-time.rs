// expect: ✗ took 5.0 s
async fn ask_all(llm: LlmClient, prompts: Vec<String>) -> Vec<anyhow::Result<Completion>> {
    let mut answers = Vec::new();
    for prompt in &prompts {
        answers.push(llm.complete(prompt, MAX_TOKENS).await);
    }
    answers
}
