async fn search_within_two_seconds() -> Option<()> {
    tokio::time::timeout(Duration::from_secs(2), find_users_async(5)).await.ok()
}
