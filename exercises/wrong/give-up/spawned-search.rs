// expect: ✗ the search went on after it gave up
async fn search_within_two_seconds() -> Option<()> {
    let search = tokio::spawn(find_users_async(5));
    tokio::time::timeout(Duration::from_secs(2), search).await.ok().map(|_| ())
}
