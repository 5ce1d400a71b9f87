//! Notebook 05's producer and consumer: a waiter takes orders, a cook cooks
//! them, and a channel between them must keep the waiter from running ahead.

use super::{Verdict, tenths};
use crate::sync::lock;
use crate::timing::stopwatch::Stopwatch;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many orders the check's kitchen has, and how long each takes to cook.
const ORDERS: u32 = 8;
const COOKING: Duration = Duration::from_millis(100);

/// With a channel of 2, the waiter is at most 4 orders ahead of the cook:
/// 2 in the channel, 1 in the waiter's hands waiting for room, 1 on the
/// stove.
const AHEAD_AT_MOST: u32 = 4;

/// How long the check waits for the pipeline to end: the orders take 0.8 s.
const ENDS_WITHIN: Duration = Duration::from_secs(3);

/// One order, numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order(pub u32);

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "order {}", self.0)
    }
}

/// The kitchen of the exercise: [`Kitchen::orders`] for the waiter (the
/// producer), [`Kitchen::cook`] for the cook (the consumer). It counts how
/// far the waiter runs ahead and what was cooked, in which order. Cloning
/// it gives another handle on the same kitchen.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// // One after another: take an order, cook it, take the next.
/// async fn serve_orders(kitchen: Kitchen) {
///     for order in kitchen.orders() {
///         kitchen.cook(order).await;
///     }
/// }
/// let verdict: Verdict = check_orders_flow(serve_orders).await;
/// assert!(verdict.passed());
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Kitchen {
    counts: Arc<Mutex<Counts>>,
}

#[derive(Debug, Default)]
struct Counts {
    taken: u32,
    cooked: Vec<u32>,
    most_ahead: u32,
}

impl Kitchen {
    /// The orders, as the waiter takes them one by one.
    pub fn orders(&self) -> Orders {
        Orders {
            next: 1,
            kitchen: self.clone(),
        }
    }

    /// Cooks `order`: 100 ms.
    pub async fn cook(&self, order: Order) {
        tokio::time::sleep(COOKING).await;
        lock(&self.counts).cooked.push(order.0);
    }
}

/// The orders of a [`Kitchen`]: an iterator that notes each order taken.
#[derive(Debug)]
pub struct Orders {
    next: u32,
    kitchen: Kitchen,
}

impl Iterator for Orders {
    type Item = Order;

    fn next(&mut self) -> Option<Order> {
        if self.next > ORDERS {
            return None;
        }
        let order = Order(self.next);
        self.next += 1;
        let mut counts = lock(&self.kitchen.counts);
        counts.taken += 1;
        let ahead = counts.taken - counts.cooked.len() as u32;
        counts.most_ahead = counts.most_ahead.max(ahead);
        Some(order)
    }
}

/// Awaits `serve_orders` with a kitchen of 8 orders (100 ms of cooking each)
/// and says whether they flowed: every order cooked once and in order, the
/// waiter never more than 4 orders ahead of the cook (what a channel of 2
/// allows), and the whole ending by itself once the last order is cooked.
/// An `serve_orders` still waiting after 3 s is dropped.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// // All orders taken at once, then cooked: the waiter runs 8 ahead.
/// async fn serve_orders(kitchen: Kitchen) {
///     let orders: Vec<Order> = kitchen.orders().collect();
///     for order in orders {
///         kitchen.cook(order).await;
///     }
/// }
/// let verdict: Verdict = check_orders_flow(serve_orders).await;
/// assert_eq!(
///     verdict.lines()[1],
///     "✗ the waiter ran 8 orders ahead of the cook; with a channel of 2 it is never more than 4 ahead (2 in the channel, 1 in its hands, 1 on the stove)"
/// );
/// # }
/// ```
pub async fn check_orders_flow<F, Fut>(serve_orders: F) -> Verdict
where
    F: FnOnce(Kitchen) -> Fut,
    Fut: Future<Output = ()>,
{
    let kitchen = Kitchen::default();
    let stopwatch = Stopwatch::start();
    let ended = tokio::time::timeout(ENDS_WITHIN, serve_orders(kitchen.clone()))
        .await
        .is_ok();
    let took = stopwatch.elapsed();
    let counts = lock(&kitchen.counts);
    judge(&counts, ended.then_some(took)).announce()
}

fn judge(counts: &Counts, ended_after: Option<Duration>) -> Verdict {
    let mut verdict = Verdict::new("orders flow");
    let expected: Vec<u32> = (1..=ORDERS).collect();
    if counts.cooked == expected {
        verdict.point(true, "all 8 orders were cooked, once each and in order");
    } else {
        let cooked: Vec<String> = counts.cooked.iter().map(u32::to_string).collect();
        verdict.point(
            false,
            format!(
                "cooked [{}]; all 8 orders should be cooked, once each and in order",
                cooked.join(", ")
            ),
        );
    }
    if counts.most_ahead <= AHEAD_AT_MOST {
        verdict.point(
            true,
            format!(
                "the waiter kept pace: never more than {AHEAD_AT_MOST} orders ahead of the cook"
            ),
        );
    } else {
        verdict.point(
            false,
            format!(
                "the waiter ran {} orders ahead of the cook; with a channel of 2 it is never more than {AHEAD_AT_MOST} ahead (2 in the channel, 1 in its hands, 1 on the stove)",
                counts.most_ahead
            ),
        );
    }
    match ended_after {
        Some(_) if counts.cooked.len() as u32 == ORDERS => {
            verdict.point(true, "it ended by itself once the last order was cooked")
        }
        Some(took) => verdict.point(
            false,
            format!(
                "it ended after {} s with {} of 8 orders cooked; it should end when the last one is",
                tenths(took),
                counts.cooked.len()
            ),
        ),
        None => verdict.point(
            false,
            format!(
                "it was still waiting after {} s: the cook waits for more orders as long as any sender is alive",
                ENDS_WITHIN.as_secs()
            ),
        ),
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipeline_that_never_ends_is_reported() {
        let counts = Counts {
            taken: 8,
            cooked: (1..=8).collect(),
            most_ahead: 4,
        };
        let verdict = judge(&counts, None);
        assert_eq!(
            verdict.lines()[2],
            "✗ it was still waiting after 3 s: the cook waits for more orders as long as any sender is alive"
        );
    }

    #[test]
    fn orders_lost_are_listed() {
        let counts = Counts {
            taken: 8,
            cooked: vec![1, 2, 3],
            most_ahead: 2,
        };
        let verdict = judge(&counts, Some(Duration::from_millis(300)));
        assert_eq!(
            verdict.lines()[0],
            "✗ cooked [1, 2, 3]; all 8 orders should be cooked, once each and in order"
        );
    }
}
