// expect: ✗ 2 job(s) still running
async fn run_all(jobs: Vec<Job>) -> Result<Vec<u32>, String> {
    let mut handles: FuturesUnordered<JoinHandle<Result<u32, String>>> =
        jobs.into_iter().map(tokio::spawn).collect();
    let mut numbers = Vec::new();
    while let Some(done) = handles.next().await {
        numbers.push(done.unwrap()?);
    }
    Ok(numbers)
}
