//! `later` and `create_task`: futures and tasks kept across notebook cells.
//!
//! Each test plays the cells of a notebook in a row. The futures run on
//! runtimes of their own, so these tests take real time (tenths of seconds);
//! none of them asserts on how long anything took.

use async_walkthrough::notebook::{capture_future, create_task, later};
use async_walkthrough::post::{find_users_async, gather};
use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The tests count the threads `create_task` leaves behind, so they take turns,
/// each starting once the threads of the one before have ended.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    assert_no_task_thread_left();
    turn
}

/// Runs one notebook cell's async code, as evcxr does: on a runtime of its own.
fn in_a_cell<T>(cell: impl Future<Output = T>) -> T {
    tokio::runtime::Runtime::new().unwrap().block_on(cell)
}

/// Threads of this process that run a task or a `Later`.
fn task_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("Linux lists a process's threads in /proc/self/task")
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "create_task")
        .count()
}

/// Waits until no task thread is left; fails after 5 s.
fn assert_no_task_thread_left() {
    for _ in 0..500 {
        if task_threads() == 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{} task thread(s) still running", task_threads());
}

fn two_searches() -> impl Future<Output = Vec<()>> + Send {
    gather([find_users_async(2), find_users_async(1)])
}

#[test]
fn a_later_prints_what_the_future_prints_awaited_directly() {
    let _turn = one_at_a_time();
    in_a_cell(async {
        let (_, direct) = capture_future(two_searches()).await;

        let kept = later(capture_future(two_searches()));
        let (_, deferred) = kept.await;

        assert_eq!(deferred, direct);
        assert_eq!(direct[0], "1th user is being searched out of 2 people...");
        assert_no_task_thread_left();
    })
}

#[test]
fn a_later_does_nothing_until_awaited() {
    let _turn = one_at_a_time();
    let started = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&started);
    let kept = later(async move { flag.store(true, Ordering::SeqCst) });
    std::thread::sleep(Duration::from_millis(50));
    assert!(!started.load(Ordering::SeqCst));
    assert!(format!("{kept:?}").ends_with("not started>"), "{kept:?}");
    assert_eq!(task_threads(), 0);

    in_a_cell(kept.into_future());
    assert!(started.load(Ordering::SeqCst));
}

#[test]
fn dropping_a_later_mid_way_stops_it() {
    let _turn = one_at_a_time();
    in_a_cell(async {
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = SetOnDrop(Arc::clone(&dropped));
        let kept = later(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
        let gave_up = tokio::time::timeout(Duration::from_millis(50), kept).await;
        assert!(gave_up.is_err());
        assert_no_task_thread_left();
        assert!(dropped.load(Ordering::SeqCst));
    })
}

#[test]
#[should_panic(expected = "inside a later")]
fn a_panic_in_a_later_reaches_the_awaiting_cell() {
    let _turn = one_at_a_time();
    in_a_cell(async { later(async { panic!("inside a later") }).await })
}

#[test]
fn a_task_runs_between_cells_and_is_awaited_in_a_later_one() {
    let _turn = one_at_a_time();
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    // Cell 1 creates the task and ends.
    let task = create_task(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        flag.store(true, Ordering::SeqCst);
        7
    });
    assert!(format!("{task:?}").ends_with("running>"), "{task:?}");
    // No cell runs for a while; the task goes on.
    std::thread::sleep(Duration::from_millis(300));
    assert!(ran.load(Ordering::SeqCst));
    assert!(task.is_finished());
    assert!(format!("{task:?}").ends_with("finished>"), "{task:?}");
    // A later cell awaits it.
    assert_eq!(in_a_cell(task).unwrap(), 7);
    assert_no_task_thread_left();
}

#[test]
fn a_task_prints_every_line_of_its_search() {
    let _turn = one_at_a_time();
    in_a_cell(async {
        let task = create_task(capture_future(find_users_async(2)));
        let ((), lines) = task.await.unwrap();
        assert_eq!(
            lines,
            [
                "1th user is being searched out of 2 people...",
                "2th user is being searched out of 2 people...",
                "Total 2 people have been searched!",
            ]
        );
    })
}

#[test]
fn an_aborted_task_is_cancelled_and_leaves_nothing_running() {
    let _turn = one_at_a_time();
    in_a_cell(async {
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = SetOnDrop(Arc::clone(&dropped));
        let task = create_task(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
        task.abort();
        let error = task.await.unwrap_err();
        assert!(error.is_cancelled());
        assert!(dropped.load(Ordering::SeqCst));
        assert_no_task_thread_left();
    })
}

#[test]
fn a_panicking_task_gives_an_error_value() {
    let _turn = one_at_a_time();
    in_a_cell(async {
        let task = create_task(async { panic!("inside a task") });
        let error = task.await.unwrap_err();
        assert!(error.is_panic());
        let message = error.into_panic();
        assert_eq!(message.downcast_ref::<&str>(), Some(&"inside a task"));
        assert_no_task_thread_left();
    })
}

#[test]
fn a_dropped_task_handle_lets_the_task_finish() {
    let _turn = one_at_a_time();
    in_a_cell(async {
        let ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        drop(create_task(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            flag.store(true, Ordering::SeqCst);
        }));
        for _ in 0..500 {
            if ran.load(Ordering::SeqCst) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(ran.load(Ordering::SeqCst));
        assert_no_task_thread_left();
    })
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_task_has_run_to_its_first_wait_when_create_task_returns() {
    let _turn = one_at_a_time();
    let started = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&started);
    let task = create_task(async move {
        flag.store(true, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
    });
    assert!(started.load(Ordering::SeqCst));
    in_a_cell(task).unwrap();
    assert_no_task_thread_left();
}
