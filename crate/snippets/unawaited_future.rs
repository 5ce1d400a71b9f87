pub async fn find_users_async(n: u32) {
    println!("searching {n} users");
}

/// Calls the async function but never awaits what it returns.
pub fn process() {
    find_users_async(3);
}
