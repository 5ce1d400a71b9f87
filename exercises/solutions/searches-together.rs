async fn search_everyone() {
    gather([find_users_async(3), find_users_async(2), find_users_async(1)]).await;
}
