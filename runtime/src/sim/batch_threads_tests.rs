//! The batch pipeline on its own, with plain closures for jobs: results in
//! order whatever thread ran them, and a job's panic raised where its
//! result is asked for.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Pipeline, StopOnExit};

#[test]
fn results_come_in_order_and_each_job_runs_once() {
    let runs = AtomicUsize::new(0);
    let run = |n: u64| {
        runs.fetch_add(1, Ordering::Relaxed);
        // Uneven work, so the threads finish out of order.
        (0..(n % 7) * 1000).fold(n, |a, b| a.wrapping_mul(31).wrapping_add(b))
    };
    let jobs: Vec<u64> = (0..500).collect();
    let expected: Vec<u64> = jobs.iter().map(|&n| run(n)).collect();
    runs.store(0, Ordering::Relaxed);
    let pipeline = Pipeline::new(&run, jobs);
    let got: Vec<u64> = std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| pipeline.work());
        }
        (0..pipeline.len()).map(|i| pipeline.result(i)).collect()
    });
    assert_eq!(got, expected);
    assert_eq!(runs.load(Ordering::Relaxed), 500);
}

#[test]
fn a_job_that_panics_on_a_worker_panics_where_its_result_is_asked_for() {
    let run = |n: u32| {
        if n == 3 {
            panic!("job {n} failed");
        }
        n * 2
    };
    let pipeline = Pipeline::new(&run, (0..64).collect());
    let caught = std::thread::scope(|s| {
        // Job 3 runs on the worker: it takes every job before this thread asks.
        s.spawn(|| pipeline.work())
            .join()
            .expect("the worker itself does not panic");
        let first: Vec<u32> = (0..3).map(|i| pipeline.result(i)).collect();
        assert_eq!(first, [0, 2, 4]);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pipeline.result(3)))
    });
    let payload = caught.expect_err("job 3's panic is raised again");
    let message = payload.downcast_ref::<String>().map(String::as_str);
    assert_eq!(message, Some("job 3 failed"));
}

#[test]
fn after_a_panic_no_further_job_is_handed_out() {
    let started = AtomicUsize::new(0);
    let run = |n: u32| {
        started.fetch_add(1, Ordering::Relaxed);
        assert_ne!(n, 3, "job 3 fails");
        n
    };
    let pipeline = Pipeline::new(&run, (0..64).collect());
    // No worker: asking for job 3 runs jobs 0 to 3 on this thread.
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pipeline.result(3)));
    assert!(caught.is_err());
    assert_eq!(started.load(Ordering::Relaxed), 4);
    pipeline.work();
    assert_eq!(started.load(Ordering::Relaxed), 4, "the batch stopped");
    assert_eq!(pipeline.result(1), 1, "jobs already run keep their results");
}

#[test]
fn a_failed_merge_stops_the_workers() {
    let started = AtomicUsize::new(0);
    let run = |n: u32| {
        started.fetch_add(1, Ordering::Relaxed);
        n
    };
    let pipeline = Pipeline::new(&run, (0..1000).collect());
    pipeline.stop();
    std::thread::scope(|s| {
        s.spawn(|| pipeline.work());
    });
    assert_eq!(started.load(Ordering::Relaxed), 0);
}

/// Runs `f` on its own thread and fails the test if it has not returned
/// within a minute (a worker left waiting would otherwise hang the test).
fn within_a_minute<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .expect("returned within a minute")
}

#[test]
fn jobs_pushed_one_at_a_time_reach_workers_already_waiting() {
    let (got, runs) = within_a_minute(|| {
        let runs = AtomicUsize::new(0);
        let run = |n: u64| {
            runs.fetch_add(1, Ordering::Relaxed);
            n * 3
        };
        let pipeline = Pipeline::with_capacity(&run, 200);
        let got: Vec<u64> = std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| pipeline.work());
            }
            for n in 0..200 {
                // Now and then long enough for the workers to go to sleep.
                if n % 50 == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                pipeline.push(n);
            }
            (0..pipeline.len()).map(|i| pipeline.result(i)).collect()
        });
        (got, runs.load(Ordering::Relaxed))
    });
    assert_eq!(got, (0..200).map(|n| n * 3).collect::<Vec<u64>>());
    assert_eq!(runs, 200, "each job ran once");
}

#[test]
fn asking_for_a_result_runs_only_jobs_already_pushed() {
    let run = |n: u32| n + 1;
    let pipeline = Pipeline::with_capacity(&run, 8);
    pipeline.push(10);
    pipeline.push(20);
    // No worker: this thread runs the two jobs pushed, and no more.
    assert_eq!(pipeline.result(1), 21);
    assert_eq!(pipeline.result(0), 11);
}

#[test]
fn stopping_lets_go_of_workers_waiting_for_a_job() {
    let ran = within_a_minute(|| {
        let ran = AtomicUsize::new(0);
        let run = |_: u32| {
            ran.fetch_add(1, Ordering::Relaxed);
        };
        let pipeline = Pipeline::with_capacity(&run, 4);
        std::thread::scope(|s| {
            s.spawn(|| pipeline.work());
            s.spawn(|| pipeline.work());
            // Long enough for both to sleep waiting for the first job.
            std::thread::sleep(std::time::Duration::from_millis(50));
            pipeline.stop();
        });
        ran.load(Ordering::Relaxed)
    });
    assert_eq!(ran, 0);
}

#[test]
fn a_panic_while_pushing_lets_go_of_the_waiting_workers() {
    let caught = within_a_minute(|| {
        let run = |n: u32| n;
        let pipeline = Pipeline::with_capacity(&run, 4);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            std::thread::scope(|s| {
                s.spawn(|| pipeline.work());
                let _stop = StopOnExit(&pipeline);
                pipeline.push(1);
                std::thread::sleep(std::time::Duration::from_millis(50));
                panic!("projecting the second hook failed");
            })
        }))
        .is_err()
    });
    assert!(
        caught,
        "the panic reached the caller, and the worker returned"
    );
}
