// expect: ✗ the search of 3 users took 0.0 s
async fn lookup(n: u32) {
    let _search = tokio::task::spawn_blocking(move || find_users_sync(n));
}
