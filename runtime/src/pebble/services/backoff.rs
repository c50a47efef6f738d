//! Restarts after a process exits: the backoff delay, growing by its
//! factor up to its limit, and its reset once a service stays up.

use super::{ServiceManager, SvcState};
use crate::go::duration::{Duration, SECOND};
use crate::pebble::accounts::Accounts;
use crate::pebble::clock::Timer;
use crate::pebble::layer::Service;
use crate::pebble::overlord::Overlord;

/// `calculateNextBackoff`: the first delay, then ×factor up to the limit.
pub fn next_backoff(config: &Service, current: Duration) -> Duration {
    let limit = config.backoff_limit.value;
    if current.0 == 0 {
        return config.backoff_delay.value;
    }
    if current >= limit {
        return limit;
    }
    let next_secs = current.as_secs_f64() * config.backoff_factor.value;
    let next = next_secs * SECOND as f64;
    let next = if next.is_nan() {
        i64::MIN
    } else if next >= i64::MAX as f64 {
        i64::MAX
    } else {
        next as i64
    };
    Duration(next).min(limit)
}

impl ServiceManager {
    pub(super) fn do_backoff(&mut self, ov: &mut Overlord, name: &str, _on_type: &str) {
        let Some(s) = self.services.get_mut(name) else {
            return;
        };
        s.backoff_num += 1;
        s.backoff_time = next_backoff(&s.config, s.backoff_time);
        let delay = s.backoff_time;
        let epoch = s.epoch;
        self.transition(ov, name, SvcState::Backoff);
        ov.clock.after(
            delay,
            Timer::BackoffElapsed {
                service: name.to_string(),
                epoch,
            },
        );
    }

    pub(crate) fn backoff_elapsed(
        &mut self,
        ov: &mut Overlord,
        accounts: &Accounts,
        name: &str,
        epoch: u64,
    ) {
        let Some(s) = self.services.get(name) else {
            return;
        };
        if s.epoch != epoch || s.state != SvcState::Backoff {
            return;
        }
        if self.start_process(ov, accounts, name).is_ok() {
            self.transition(ov, name, SvcState::Running);
        }
    }

    pub(crate) fn backoff_reset(&mut self, name: &str, epoch: u64) {
        if let Some(s) = self.services.get_mut(name)
            && s.epoch == epoch
            && s.state == SvcState::Running
        {
            s.backoff_num = 0;
            s.backoff_time = Duration(0);
        }
    }
}
