// expect: ✗ nothing was searched
async fn search_everyone() {
    let _searches = gather([find_users_async(3), find_users_async(2), find_users_async(1)]);
}
