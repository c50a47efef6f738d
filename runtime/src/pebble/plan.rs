//! The plan manager (`planstate.PlanManager`): the ordered layers and the
//! plan combined from them. Adding a layer recombines and revalidates the
//! whole plan; a failing layer leaves everything as it was.

use crate::go::quote::quote;
use crate::pebble::accounts::Accounts;
use crate::pebble::layer::{self, FormatError, Layer, combine, render, validate};

/// Why `POST /v1/layers` refused a layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AddLayerError {
    /// `cannot parse layer YAML: ...` (HTTP 400).
    #[error("cannot parse layer YAML: {0}")]
    Parse(FormatError),
    /// `layer "x" already exists` (HTTP 400).
    #[error("layer {} already exists", quote(.0))]
    LabelExists(String),
    /// A combine or plan validation error (HTTP 400).
    #[error("{0}")]
    Format(FormatError),
    /// Anything else (HTTP 500).
    #[error("{0}")]
    Internal(String),
}

impl AddLayerError {
    /// The HTTP status Pebble answers with.
    pub fn status(&self) -> u16 {
        match self {
            AddLayerError::Internal(_) => 500,
            _ => 400,
        }
    }
}

/// The layers of one Pebble and their combination.
#[derive(Debug, Clone, Default)]
pub struct PlanManager {
    layers: Vec<Layer>,
    combined: Layer,
}

impl PlanManager {
    /// A plan from layers already in order (as a State brings them).
    pub fn from_layers(layers: Vec<Layer>) -> Result<PlanManager, FormatError> {
        let combined = combine_and_validate(&layers)?;
        Ok(PlanManager { layers, combined })
    }

    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The combined plan (services, checks, log targets, workloads).
    pub fn plan(&self) -> &Layer {
        &self.combined
    }

    /// The plan as `GET /v1/plan?format=yaml` renders it.
    pub fn plan_yaml(&self) -> String {
        render::plan_yaml(&self.combined)
    }

    /// Parse `text` and add it under `label`, appending or (with `combine`)
    /// merging into the existing layer of that label.
    pub fn add_layer(
        &mut self,
        label: &str,
        text: &str,
        combine: bool,
        inner: bool,
        accounts: &Accounts,
    ) -> Result<(), AddLayerError> {
        let layer = layer::parse(0, label, text, accounts).map_err(AddLayerError::Parse)?;
        if combine {
            self.combine_layer(layer, inner)
        } else {
            self.append_layer(layer, inner)
        }
    }

    /// `AppendLayer`: the label must be new.
    pub fn append_layer(&mut self, layer: Layer, inner: bool) -> Result<(), AddLayerError> {
        if self.layers.iter().any(|l| l.label == layer.label) {
            return Err(AddLayerError::LabelExists(layer.label));
        }
        self.insert_new(layer, inner)
    }

    /// `CombineLayer`: merge into the layer of that label, in its place,
    /// storing the combination (defaults included); append if none.
    pub fn combine_layer(&mut self, layer: Layer, inner: bool) -> Result<(), AddLayerError> {
        let Some(index) = self.layers.iter().position(|l| l.label == layer.label) else {
            return self.insert_new(layer, inner);
        };
        let found = &self.layers[index];
        let mut merged = combine::combine(&[found, &layer]).map_err(AddLayerError::Format)?;
        merged.order = found.order;
        merged.label = found.label.clone();
        let mut layers = self.layers.clone();
        layers[index] = merged;
        self.update(layers)
    }

    /// `appendLayer`: pick the order (next thousand, or the next slot of an
    /// existing `sub/` directory when `inner`).
    fn insert_new(&mut self, mut layer: Layer, inner: bool) -> Result<(), AddLayerError> {
        let count = self.layers.len();
        let (mut index, mut order) = (0usize, 1000i64);
        if count > 0 {
            let (sub, has_sub) = match layer.label.split_once('/') {
                Some((s, _)) => (s, true),
                None => (layer.label.as_str(), false),
            };
            for i in (0..count).rev() {
                let existing = &self.layers[i];
                let existing_sub = existing.label.split('/').next().unwrap_or("");
                if existing_sub == sub {
                    order = existing.order + 1;
                    index = i + 1;
                    break;
                }
            }
            if index == 0 {
                index = count;
                order = (self.layers[count - 1].order / 1000 + 1) * 1000;
                if has_sub {
                    order += 1;
                }
            }
        }
        if index != count && !inner {
            return Err(AddLayerError::Internal(
                "cannot insert sub-directory layer without 'inner' attribute set".into(),
            ));
        }
        layer.order = order;
        let mut layers = self.layers.clone();
        layers.insert(index, layer);
        self.update(layers)
    }

    fn update(&mut self, layers: Vec<Layer>) -> Result<(), AddLayerError> {
        let combined = combine_and_validate(&layers).map_err(AddLayerError::Format)?;
        self.layers = layers;
        self.combined = combined;
        Ok(())
    }
}

fn combine_and_validate(layers: &[Layer]) -> Result<Layer, FormatError> {
    let refs: Vec<&Layer> = layers.iter().collect();
    let combined = combine::combine(&refs)?;
    validate::validate_plan(
        &combined.services,
        &combined.checks,
        &combined.log_targets,
        &combined.workloads,
    )?;
    Ok(combined)
}
