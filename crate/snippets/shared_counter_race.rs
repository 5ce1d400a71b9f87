/// Three threads count searched users in one shared variable, with no lock.
pub fn count_on_threads() -> u32 {
    let mut users_searched = 0;
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                for _ in 0..1_000 {
                    users_searched += 1;
                }
            });
        }
    });
    users_searched
}
