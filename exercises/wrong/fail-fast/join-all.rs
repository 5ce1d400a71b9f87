// expect: ✗ it answered after 2.0 s
async fn run_all(jobs: Vec<Job>) -> Result<Vec<u32>, String> {
    futures::future::join_all(jobs).await.into_iter().collect()
}
