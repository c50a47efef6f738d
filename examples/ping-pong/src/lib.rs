//! ping-pong: units of two applications rally a ball over a relation, for
//! charmbox's model simulator. Each unit keeps `ball` in its unit databag;
//! when a remote unit's ball is at least its own and below `rounds`, it hits
//! back with that ball plus one. The leader greets the remote application in
//! the application databag and shares a secret with it.

use charmbox_sdk::{Charm, Error, Event, EventKind, Model, Relation, SecretOptions, Status, info};

const ENDPOINTS: [&str; 2] = ["ping", "pong"];

#[derive(Default)]
struct PingPong;

impl Charm for PingPong {
    fn handle(&mut self, event: &Event, model: &Model) -> Result<(), Error> {
        match event.kind() {
            EventKind::Start => model.unit().set_status(Status::active("")),
            EventKind::PebbleReady => {
                info!("{} is ready", event.container_name().unwrap_or_default());
                Ok(())
            }
            EventKind::RelationCreated => self.created(event, model),
            EventKind::RelationJoined | EventKind::RelationChanged => self.rally(event, model),
            EventKind::SecretChanged => {
                let secret = event.secret().ok_or_else(|| Error::msg("no secret"))?;
                let content = secret.get_content(true)?;
                info!(
                    "token is now {}",
                    content.get("token").cloned().unwrap_or_default()
                );
                Ok(())
            }
            EventKind::SecretRotate => {
                let secret = event.secret().ok_or_else(|| Error::msg("no secret"))?;
                let old = secret.peek_content()?;
                let n: u32 = old
                    .get("token")
                    .and_then(|t| t.rsplit('-').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                let app = model.app().name().to_string();
                secret.set_content([("token", format!("{app}-{}", n + 1))])
            }
            EventKind::Action => {
                let ball = event
                    .params()?
                    .get("ball")
                    .and_then(|b| b.as_u64())
                    .unwrap_or(1);
                for ep in ENDPOINTS {
                    for r in model.relations(ep)? {
                        r.local_unit_data().set("ball", &ball.to_string())?;
                    }
                }
                event.set_results([("served", ball.to_string())])
            }
            _ => Ok(()),
        }
    }
}

fn ball(r: &Relation, unit: Option<&str>) -> Result<u64, Error> {
    let bag = match unit {
        Some(u) => r.unit_data(u),
        None => r.local_unit_data(),
    };
    Ok(bag.get("ball")?.and_then(|b| b.parse().ok()).unwrap_or(0))
}

impl PingPong {
    /// The provider's leader greets the remote application and shares a token.
    fn created(&self, event: &Event, model: &Model) -> Result<(), Error> {
        let Some(r) = event.relation() else {
            return Ok(());
        };
        if r.name() != "ping" || !model.unit().is_leader()? {
            return Ok(());
        }
        let app = model.app().name().to_string();
        r.local_app_data()
            .set("greeting", &format!("hello from {app}"))?;
        // A resumed relation keeps its data, and the token with it.
        if r.local_app_data().get("token-id")?.is_some() {
            return Ok(());
        }
        let secret = model.app().add_secret(
            [("token", format!("{app}-1"))],
            &SecretOptions::label(format!("token-{}", r.id())),
        )?;
        secret.grant(&r, None)?;
        if let Some(id) = secret.id() {
            r.local_app_data().set("token-id", id)?;
        }
        Ok(())
    }

    fn rally(&self, event: &Event, model: &Model) -> Result<(), Error> {
        let Some(r) = event.relation() else {
            return Ok(());
        };
        if r.name() == "players" {
            return Ok(());
        }
        let Some(remote) = event.remote_unit() else {
            // The remote application's bag: read the shared token.
            if let Some(id) = r.remote_app_data()?.get("token-id")? {
                let token = model.get_secret(Some(&id), None)?.get_content(false)?;
                info!(
                    "token from {}: {}",
                    r.app()?,
                    token.get("token").cloned().unwrap_or_default()
                );
            }
            return Ok(());
        };
        let rounds = model.config().get_int("rounds")?.unwrap_or(3).max(0) as u64;
        let mine = ball(&r, None)?;
        let theirs = ball(&r, Some(remote))?;
        // The provider serves first.
        if r.name() == "ping" && mine == 0 && theirs == 0 {
            r.local_unit_data().set("ball", "1")?;
            return Ok(());
        }
        if theirs >= mine && theirs < rounds && theirs > 0 {
            r.local_unit_data().set("ball", &(theirs + 1).to_string())?;
        }
        Ok(())
    }
}

charmbox_sdk::export_charm!(PingPong);
