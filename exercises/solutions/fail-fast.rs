async fn run_all(jobs: Vec<Job>) -> Result<Vec<u32>, String> {
    let mut group = JoinSet::new();
    for job in jobs {
        group.spawn(job);
    }
    let mut numbers = Vec::new();
    // On the first error `?` returns, and dropping `group` aborts the rest.
    while let Some(done) = group.join_next().await {
        numbers.push(done.unwrap()?);
    }
    Ok(numbers)
}
