//! `POST /v1/services`: the start, stop, restart, replan and autostart
//! changes, their tasks in lanes in dependency order, and their summaries.

use std::collections::BTreeSet;

use super::ServiceManager;
use crate::go::quote::quote;
use crate::pebble::changes::{Status, Work};
use crate::pebble::error::ApiError;
use crate::pebble::layer::{FormatError, Layer, order};
use crate::pebble::overlord::Overlord;

/// Services grouped in lanes, in order.
type Lanes = Vec<Vec<String>>;

/// What a services action does: the lanes of stop tasks, then of start
/// tasks, the services counted in its summary and those named in it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionLanes {
    pub stop: Lanes,
    pub start: Lanes,
    pub counted: Vec<String>,
    pub requested: Vec<String>,
}

impl ServiceManager {
    /// `POST /v1/services`, first half: the lanes of stop and start tasks
    /// `action` makes (a replan also updates the records whose definition
    /// changed).
    pub fn action_lanes(
        &mut self,
        plan: &Layer,
        action: &str,
        names: &[String],
    ) -> Result<ActionLanes, ApiError> {
        let mut requested: Vec<String> = names.to_vec();
        match action {
            "replan" | "autostart" if !names.is_empty() => {
                return Err(ApiError::bad_request(format!(
                    "{action} accepts no service names"
                )));
            }
            "replan" => {}
            "autostart" => {
                let defaults = default_service_names(plan).map_err(ApiError::server)?;
                if defaults.is_empty() {
                    return Err(
                        ApiError::bad_request("no default services").kind("no-default-services")
                    );
                }
                requested = defaults;
            }
            _ if names.is_empty() => {
                return Err(ApiError::bad_request(format!(
                    "must specify services for {action} action"
                )));
            }
            _ => {}
        }
        let services = plan.services.clone();
        let fail = |e: FormatError| ApiError::bad_request(format!("cannot {action} services: {e}"));
        // (stop lanes, start lanes, lanes counted for the summary)
        let (stop_lanes, start_lanes, counted): (Vec<Vec<String>>, Vec<Vec<String>>, Vec<String>) =
            match action {
                "start" | "autostart" => {
                    let lanes = order::start_order(&services, &requested).map_err(fail)?;
                    let counted = lanes.concat();
                    (Vec::new(), lanes, counted)
                }
                "stop" => {
                    let lanes = order::stop_order(&services, &requested).map_err(fail)?;
                    let counted = lanes.concat();
                    (lanes, Vec::new(), counted)
                }
                "restart" => {
                    let stop = order::stop_order(&services, &requested).map_err(fail)?;
                    let stop: Vec<Vec<String>> = stop
                        .into_iter()
                        .map(|lane| {
                            lane.into_iter()
                                .filter(|n| requested.contains(n))
                                .collect::<Vec<_>>()
                        })
                        .filter(|l| !l.is_empty())
                        .collect();
                    let start = order::start_order(&services, &requested).map_err(fail)?;
                    let counted = start.concat();
                    (stop, start, counted)
                }
                "replan" => {
                    let (stop, start) = self.replan_lanes(plan).map_err(fail)?;
                    let mut replanned: BTreeSet<String> = BTreeSet::new();
                    replanned.extend(stop.iter().flatten().cloned());
                    replanned.extend(start.iter().flatten().cloned());
                    requested = replanned.into_iter().collect();
                    (stop, start, requested.clone())
                }
                other => {
                    return Err(ApiError::bad_request(format!(
                        "invalid action {}",
                        quote(other)
                    )));
                }
            };
        Ok(ActionLanes {
            stop: stop_lanes,
            start: start_lanes,
            counted,
            requested,
        })
    }

    /// `ServiceManager.Replan`: stop (then start) services whose definition
    /// changed since they started; start every enabled service.
    fn replan_lanes(&mut self, plan: &Layer) -> Result<(Lanes, Lanes), FormatError> {
        let mut needs_restart = BTreeSet::new();
        let mut stop = Vec::new();
        for (name, record) in self.services.iter_mut() {
            if let Some(config) = plan.services.get(name) {
                let workload = plan.workloads.get(&record.config.workload);
                let same_workload = workload.is_none() || workload == record.workload.as_ref();
                if *config == record.config && same_workload {
                    continue;
                }
                record.config = config.clone();
                if let Some(w) = workload {
                    record.workload = Some(w.clone());
                }
            }
            needs_restart.insert(name.clone());
            stop.push(name.clone());
        }
        let start: Vec<String> = plan
            .services
            .iter()
            .filter(|(n, s)| needs_restart.contains(*n) || s.enabled())
            .map(|(n, _)| n.clone())
            .collect();
        let stop_lanes = order::stop_order(&plan.services, &stop)?;
        let start_lanes = order::start_order(&plan.services, &start)?;
        Ok((stop_lanes, start_lanes))
    }
}

/// `POST /v1/services`, second half: the change for `action` with its stop
/// and start tasks (each lane waits in order, starts after every stop);
/// its id.
pub fn action_change(ov: &mut Overlord, action: &str, lanes: &ActionLanes) -> String {
    let now = ov.now();
    let (stop_lanes, start_lanes) = (&lanes.stop, &lanes.start);
    let (counted, requested) = (&lanes.counted, &lanes.requested);
    let change = ov.changes.new_change(now, action, "");
    let mut stop_ids = Vec::new();
    for lane in stop_lanes {
        let lane_id = ov.changes.new_lane();
        let mut prev: Option<String> = None;
        for name in lane {
            let id = ov.changes.add_task(
                now,
                &change,
                "stop",
                &format!("Stop service {}", quote(name)),
                Work::Stop(name.clone()),
                vec![lane_id],
                prev.iter().cloned().collect(),
            );
            prev = Some(id.clone());
            stop_ids.push(id);
        }
    }
    let mut start_count = 0;
    for lane in start_lanes {
        let lane_id = ov.changes.new_lane();
        let mut prev: Option<String> = None;
        for name in lane {
            let mut wait: Vec<String> = stop_ids.clone();
            wait.extend(prev.iter().cloned());
            let id = ov.changes.add_task(
                now,
                &change,
                "start",
                &format!("Start service {}", quote(name)),
                Work::Start(name.clone()),
                vec![lane_id],
                wait,
            );
            prev = Some(id);
            start_count += 1;
        }
    }
    let total = stop_ids.len() + start_count;
    let summary = if total == 0 {
        format!("{} - no services", title(action))
    } else if counted.len() == 1 {
        format!("{} service {}", title(action), quote(&requested[0]))
    } else {
        format!(
            "{} service {} and {} more",
            title(action),
            quote(requested.first().map(String::as_str).unwrap_or("")),
            counted.len().saturating_sub(1)
        )
    };
    let c = ov.changes.change_mut(&change).expect("just made");
    c.summary = summary;
    if total == 0 {
        c.explicit = Some(Status::Done);
    }
    if !requested.is_empty() {
        c.data.insert(
            "service-names".into(),
            serde_json::Value::from(requested.clone()),
        );
    }
    change
}

/// Services with `startup: enabled`, in start order.
fn default_service_names(plan: &Layer) -> Result<Vec<String>, String> {
    let services = &plan.services;
    let names: Vec<String> = services
        .iter()
        .filter(|(_, s)| s.enabled())
        .map(|(n, _)| n.clone())
        .collect();
    let lanes = order::start_order(services, &names).map_err(|e| e.to_string())?;
    Ok(lanes.concat())
}

fn title(action: &str) -> String {
    let mut c = action.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
