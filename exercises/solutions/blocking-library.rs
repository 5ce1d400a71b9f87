async fn lookup(n: u32) {
    tokio::task::spawn_blocking(move || find_users_sync(n)).await.unwrap();
}
