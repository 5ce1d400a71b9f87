// expect: ✗ nothing was searched
async fn search_within_two_seconds() -> Option<()> {
    tokio::time::sleep(Duration::from_secs(2)).await;
    None
}
