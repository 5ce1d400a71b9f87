//! The exercises' checks, driven as a notebook cell drives them, on tokio's
//! paused clock: each check passes a solution and fails the starting code
//! and a wrong attempt, naming what went wrong. (`make test` runs the same
//! three in the notebooks' own kernels, on the real clock.)
//!
//! The search checks record rows from every thread, so the tests that run
//! them take turns: this binary holds nothing else that starts rows.

use async_walkthrough::prelude::*;
use std::time::Duration;
use tokio::sync::mpsc;

// tokio's Mutex, as its guard is held across the checks' awaits; it works
// across the tests' runtimes, one per test.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn verdict_line(verdict: &Verdict, start: &str) -> bool {
    verdict.lines().iter().any(|line| line.starts_with(start))
}

#[tokio::test(start_paused = true)]
async fn searches_together() {
    let _turn = ONE_AT_A_TIME.lock().await;
    async fn in_a_row() {
        find_users_async(3).await;
        find_users_async(2).await;
        find_users_async(1).await;
    }
    let verdict = check_searches_overlap(in_a_row).await;
    assert!(verdict_line(
        &verdict,
        "✗ they did not all overlap: find_users(1) started at 5.0 s"
    ));

    async fn spawned() {
        let handles = [3, 2, 1].map(|users| tokio::spawn(find_users_async(users)));
        for handle in handles {
            handle.await.unwrap();
        }
    }
    assert!(check_searches_overlap(spawned).await.passed());

    async fn not_awaited() {
        let _searches = gather([
            find_users_async(3),
            find_users_async(2),
            find_users_async(1),
        ]);
    }
    let verdict = check_searches_overlap(not_awaited).await;
    assert!(verdict_line(&verdict, "✗ nothing was searched"));
}

#[tokio::test(start_paused = true)]
async fn searches_never_block() {
    async fn skipping(_users: u32) {
        let _nap = tokio::time::sleep(Duration::from_secs(1));
    }
    let verdict = check_searches_never_block(skipping).await;
    assert!(verdict_line(&verdict, "✗ the search of 3 users took 0.0 s"));

    async fn sleeping(users: u32) {
        for _ in 0..users {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    assert!(check_searches_never_block(sleeping).await.passed());
}

#[tokio::test(start_paused = true)]
async fn give_up_in_time() {
    let _turn = ONE_AT_A_TIME.lock().await;
    async fn waited_out() -> Option<()> {
        find_users_async(5).await;
        Some(())
    }
    let verdict = check_gives_up_after_two_seconds(waited_out).await;
    assert_eq!(
        verdict.lines().last().unwrap(),
        "give up in time: not yet, 1 of 3 points hold"
    );

    async fn left_running() -> Option<()> {
        let search = tokio::spawn(find_users_async(5));
        tokio::time::timeout(Duration::from_secs(2), search)
            .await
            .ok()
            .map(|_| ())
    }
    let verdict = check_gives_up_after_two_seconds(left_running).await;
    assert!(verdict_line(
        &verdict,
        "✗ the search went on after it gave up"
    ));

    async fn dropped() -> Option<()> {
        tokio::time::timeout(Duration::from_secs(2), find_users_async(5))
            .await
            .ok()
    }
    assert!(check_gives_up_after_two_seconds(dropped).await.passed());
}

#[tokio::test(start_paused = true)]
async fn fail_fast() {
    async fn in_order(jobs: Vec<Job>) -> Result<Vec<u32>, String> {
        let handles: Vec<_> = jobs.into_iter().map(tokio::spawn).collect();
        let mut numbers = Vec::new();
        for handle in handles {
            numbers.push(handle.await.unwrap()?);
        }
        Ok(numbers)
    }
    let verdict = check_group_fails_fast(in_order).await;
    assert!(verdict_line(&verdict, "✗ it answered after 2.0 s"));

    async fn handles_dropped(jobs: Vec<Job>) -> Result<Vec<u32>, String> {
        let mut handles: futures::stream::FuturesUnordered<_> =
            jobs.into_iter().map(tokio::spawn).collect();
        let mut numbers = Vec::new();
        while let Some(done) = futures::StreamExt::next(&mut handles).await {
            numbers.push(done.unwrap()?);
        }
        Ok(numbers)
    }
    let verdict = check_group_fails_fast(handles_dropped).await;
    assert!(verdict_line(&verdict, "✗ 2 job(s) still running"));

    async fn join_set(jobs: Vec<Job>) -> Result<Vec<u32>, String> {
        let mut set = tokio::task::JoinSet::new();
        for job in jobs {
            set.spawn(job);
        }
        let mut numbers = Vec::new();
        while let Some(done) = set.join_next().await {
            numbers.push(done.unwrap()?);
        }
        Ok(numbers)
    }
    assert!(check_group_fails_fast(join_set).await.passed());
}

#[tokio::test(start_paused = true)]
async fn orders_flow() {
    async fn unbounded(kitchen: Kitchen) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Option<Order>>();
        let orders = kitchen.orders();
        let waiter = tokio::spawn(async move {
            for order in orders {
                tx.send(Some(order)).unwrap();
            }
            tx.send(None).unwrap();
        });
        while let Some(Some(order)) = rx.recv().await {
            kitchen.cook(order).await;
        }
        waiter.await.unwrap();
    }
    let verdict = check_orders_flow(unbounded).await;
    assert!(verdict_line(&verdict, "✗ the waiter ran 8 orders ahead"));

    async fn sender_kept(kitchen: Kitchen) {
        let (tx, mut rx) = mpsc::channel::<Order>(2);
        let orders = kitchen.orders();
        let waiter_tx = tx.clone();
        tokio::spawn(async move {
            for order in orders {
                waiter_tx.send(order).await.unwrap();
            }
        });
        while let Some(order) = rx.recv().await {
            kitchen.cook(order).await;
        }
        drop(tx);
    }
    let verdict = check_orders_flow(sender_kept).await;
    assert!(verdict_line(&verdict, "✗ it was still waiting after 3 s"));

    async fn bounded(kitchen: Kitchen) {
        let (tx, mut rx) = mpsc::channel::<Order>(2);
        let orders = kitchen.orders();
        let waiter = tokio::spawn(async move {
            for order in orders {
                tx.send(order).await.unwrap();
            }
        });
        while let Some(order) = rx.recv().await {
            kitchen.cook(order).await;
        }
        waiter.await.unwrap();
    }
    let verdict = check_orders_flow(bounded).await;
    assert!(verdict.passed(), "{:?}", verdict.lines());
}

#[cfg(feature = "llm")]
mod llm {
    use super::*;

    #[tokio::test]
    async fn three_at_a_time() {
        async fn all_at_once(
            llm: LlmClient,
            prompts: Vec<String>,
        ) -> Vec<anyhow::Result<Completion>> {
            gather(
                prompts
                    .iter()
                    .map(|prompt| llm.complete(prompt, MAX_TOKENS)),
            )
            .await
        }
        let verdict = check_at_most_three_in_flight(all_at_once).await;
        assert!(verdict_line(
            &verdict,
            "✗ the server saw 10 requests at once"
        ));

        async fn permit_dropped(
            llm: LlmClient,
            prompts: Vec<String>,
        ) -> Vec<anyhow::Result<Completion>> {
            let permits = tokio::sync::Semaphore::new(3);
            gather(prompts.iter().map(|prompt| async {
                let _ = permits.acquire().await?;
                llm.complete(prompt, MAX_TOKENS).await
            }))
            .await
        }
        let verdict = check_at_most_three_in_flight(permit_dropped).await;
        assert!(verdict_line(
            &verdict,
            "✗ the server saw 10 requests at once"
        ));

        async fn bounded(llm: LlmClient, prompts: Vec<String>) -> Vec<anyhow::Result<Completion>> {
            let permits = tokio::sync::Semaphore::new(3);
            gather(prompts.iter().map(|prompt| async {
                let _permit = permits.acquire().await?;
                llm.complete(prompt, MAX_TOKENS).await
            }))
            .await
        }
        let verdict = check_at_most_three_in_flight(bounded).await;
        assert!(verdict.passed(), "{:?}", verdict.lines());
    }

    #[tokio::test]
    async fn survive_a_flaky_llm() {
        async fn once(llm: LlmClient, prompt: String) -> anyhow::Result<Completion> {
            llm.complete(&prompt, MAX_TOKENS).await
        }
        let verdict = check_survives_flaky_llm(once).await;
        assert!(verdict_line(&verdict, "✗"), "{:?}", verdict.lines());
        assert!(!verdict.passed());

        async fn retried(llm: LlmClient, prompt: String) -> anyhow::Result<Completion> {
            let policy = RetryPolicy {
                attempts: 4,
                timeout: Duration::from_secs(1),
                first_backoff: Duration::from_millis(200),
            };
            with_retries(&prompt, &policy, || llm.complete(&prompt, MAX_TOKENS))
                .await
                .result
        }
        let verdict = check_survives_flaky_llm(retried).await;
        assert!(verdict.passed(), "{:?}", verdict.lines());
    }
}
