//! The environment a guest is granted, built the first time it is read:
//! most events never ask for it (through WASI's `get-environment` or
//! `event.environment`), and building it formats, hashes and sorts some
//! thirty strings.

use std::sync::{Arc, Mutex, OnceLock};

/// A sorted list of environment variables, shared, never copied.
pub type EnvList = Arc<[(String, String)]>;

type Build = Box<dyn FnOnce() -> Vec<(String, String)> + Send>;

struct Inner {
    built: OnceLock<EnvList>,
    build: Mutex<Option<Build>>,
}

/// An environment list built on first read; cloning shares it.
#[derive(Clone)]
pub struct GuestEnv(Arc<Inner>);

impl GuestEnv {
    /// The list `build` makes, made when first read.
    pub fn lazy(build: impl FnOnce() -> Vec<(String, String)> + Send + 'static) -> GuestEnv {
        GuestEnv(Arc::new(Inner {
            built: OnceLock::new(),
            build: Mutex::new(Some(Box::new(build))),
        }))
    }

    /// A list already made.
    pub fn of(list: impl Into<EnvList>) -> GuestEnv {
        GuestEnv(Arc::new(Inner {
            built: OnceLock::from(list.into()),
            build: Mutex::new(None),
        }))
    }

    /// The list, built now if it was not yet.
    pub fn list(&self) -> &EnvList {
        self.0.built.get_or_init(|| {
            // Taken once: `get_or_init` runs this closure at most once.
            let build = self
                .0
                .build
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            build
                .map(|b| b().into())
                .unwrap_or_else(|| Vec::new().into())
        })
    }

    /// Whether the list has been built (read) yet.
    pub fn is_built(&self) -> bool {
        self.0.built.get().is_some()
    }
}

impl Default for GuestEnv {
    fn default() -> GuestEnv {
        GuestEnv::of(Vec::new())
    }
}

impl std::fmt::Debug for GuestEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.list().iter()).finish()
    }
}

impl From<Vec<(String, String)>> for GuestEnv {
    fn from(list: Vec<(String, String)>) -> GuestEnv {
        GuestEnv::of(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_lazy_list_is_built_once_on_first_read_and_shared_by_clones() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let env = GuestEnv::lazy(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            vec![("A".into(), "1".into())]
        });
        let shared = env.clone();
        assert!(!env.is_built());
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        assert_eq!(shared.list().as_ref(), [("A".to_string(), "1".to_string())]);
        assert!(env.is_built());
        assert_eq!(env.list().len(), 1);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
