// expect: ✗ they did not all overlap
async fn search_everyone() {
    find_users_async(3).await;
    gather([find_users_async(2), find_users_async(1)]).await;
}
