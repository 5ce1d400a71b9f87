async fn find_users_slowly(n: u32) {
    for i in 1..=n {
        println!("{i}th user is being searched out of {n} people...");
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    println!("Total {n} people have been searched!");
}
