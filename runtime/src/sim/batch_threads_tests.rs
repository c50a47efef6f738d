//! The batch pipeline on its own, with plain closures for jobs: results in
//! order whatever thread ran them, and a job's panic raised where its
//! result is asked for.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::Pipeline;

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
