//! Cross-model relations from the operator's side: `juju offer`, `juju
//! consume`, `juju remove-saas`, and `integrate` with a SAAS name
//! (`sim/cmr.rs` says what each side sees).

use super::super::cmr::Offer;
use super::super::lifecycle::Touched;
use super::super::{SimError, Simulator};
use super::{not_found, parse_end, usage};
use crate::juju::names::is_app_name;
use crate::state::RelationKind;

/// Scenario step `offer: {endpoints: APP:EP[,EP], name: NAME}`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferStep {
    pub endpoints: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// Scenario step `consume: {offer: NAME, alias: SAAS}`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumeStep {
    pub offer: String,
    #[serde(default)]
    pub alias: Option<String>,
}

/// A SAAS name at one end of `integrate`, resolved.
pub(super) struct Saas {
    pub name: String,
    pub offer: String,
    pub offerer: String,
    pub endpoints: Vec<String>,
}

impl Simulator {
    /// `juju offer APP:EP[,EP…] [NAME]`: make endpoints of `APP` available
    /// to other models under `name` (default: the application's name).
    /// Returns the offer's name.
    pub fn offer(&mut self, app_endpoints: &str, name: Option<&str>) -> Result<String, SimError> {
        let (app, endpoints) = parse_end(app_endpoints);
        let Some(endpoints) = endpoints.filter(|e| !e.is_empty()) else {
            return usage(format!(
                "offer {app_endpoints:?}: name the endpoints (<application>:<endpoint>[,<endpoint>…])"
            ));
        };
        let meta = self.meta_of(app)?;
        let endpoints: Vec<String> = endpoints.split(',').map(str::to_string).collect();
        for ep in &endpoints {
            match meta.endpoints.get(ep) {
                None => {
                    return usage(format!("application {app:?} has no endpoint {ep:?}"));
                }
                Some(e) if e.kind == RelationKind::Peer => {
                    return usage(format!(
                        "{app}:{ep} is a peer endpoint: it cannot be offered"
                    ));
                }
                Some(e) if e.kind == RelationKind::Subordinate => {
                    return usage(format!(
                        "{app}:{ep} is container-scoped: it cannot be offered"
                    ));
                }
                Some(_) => {}
            }
        }
        let name = name.unwrap_or(app).to_string();
        if !is_app_name(&name) {
            return usage(format!("offer name {name:?} is not valid"));
        }
        if self.model.meta.offers.contains_key(&name) {
            return usage(format!("offer {name:?} already exists"));
        }
        let offer = Offer {
            app: app.to_string(),
            endpoints,
        };
        self.model.meta_mut().offers.insert(name.clone(), offer);
        self.finish_op(Touched::new())?;
        Ok(name)
    }

    /// `juju consume OFFER [ALIAS]`: the offer becomes a SAAS application
    /// named `alias` (default: the offer's name) that `integrate` takes.
    /// Returns the SAAS name.
    pub fn consume(&mut self, offer: &str, alias: Option<&str>) -> Result<String, SimError> {
        if !self.model.meta.offers.contains_key(offer) {
            return Err(not_found("offer", offer));
        }
        let name = alias.unwrap_or(offer).to_string();
        if !is_app_name(&name) {
            return usage(format!("SAAS name {name:?} is not valid"));
        }
        if self.model.app(&name).is_some() || self.model.meta.saas.contains_key(&name) {
            return usage(format!("application {name:?} already exists"));
        }
        self.model
            .meta_mut()
            .saas
            .insert(name.clone(), offer.to_string());
        self.finish_op(Touched::new())?;
        Ok(name)
    }

    /// `juju remove-saas NAME`: its relations are removed (their units
    /// depart and run relation-broken), then the name.
    pub fn remove_saas(&mut self, name: &str) -> Result<(), SimError> {
        if !self.model.meta.saas.contains_key(name) {
            return Err(not_found("SAAS", name));
        }
        let ids: Vec<u32> = (self.model.relations.values())
            .filter(|r| r.cross_model.as_ref().is_some_and(|x| x.saas == name))
            .map(|r| r.id)
            .collect();
        let mut touched = Touched::new();
        for id in ids {
            self.kill_relation(id, &mut touched);
        }
        self.model.meta_mut().saas.remove(name);
        self.finish_op(touched)
    }

    /// `a` and `b` of `integrate` with a SAAS name replaced by its offer's
    /// application, and that SAAS.
    pub(super) fn through_saas(
        &self,
        a: &str,
        b: &str,
    ) -> Result<(String, String, Option<Saas>), SimError> {
        let resolve = |end: &str| -> Option<(String, Saas)> {
            let (name, ep) = parse_end(end);
            let offer_name = self.model.meta.saas.get(name)?;
            let offer = self.model.meta.offers.get(offer_name)?;
            let end = match ep {
                Some(ep) => format!("{}:{ep}", offer.app),
                None => offer.app.clone(),
            };
            let saas = Saas {
                name: name.to_string(),
                offer: offer_name.clone(),
                offerer: offer.app.clone(),
                endpoints: offer.endpoints.clone(),
            };
            Some((end, saas))
        };
        match (resolve(a), resolve(b)) {
            (None, None) => Ok((a.to_string(), b.to_string(), None)),
            (Some(_), Some(_)) => usage("two SAAS names cannot be integrated with each other"),
            (Some((a2, s)), None) => self
                .consumer_of(&s, b)
                .map(|()| (a2, b.to_string(), Some(s))),
            (None, Some((b2, s))) => self
                .consumer_of(&s, a)
                .map(|()| (a.to_string(), b2, Some(s))),
        }
    }

    /// The consuming end must be another application of the model.
    fn consumer_of(&self, saas: &Saas, end: &str) -> Result<(), SimError> {
        let (app, _) = parse_end(end);
        if app == saas.offerer {
            return usage(format!(
                "{app:?} offers {:?}: an application does not consume its own offer",
                saas.offer
            ));
        }
        Ok(())
    }

    /// The application a relation end names: a SAAS name stands for its
    /// offer's application.
    pub(super) fn app_behind(&self, name: &str) -> String {
        (self.model.meta.saas.get(name))
            .and_then(|o| self.model.meta.offers.get(o))
            .map_or_else(|| name.to_string(), |o| o.app.clone())
    }
}
