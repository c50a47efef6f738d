//! One typed check of a backend's answer. A request names the reply variant
//! it must get back (`HookReply::Text`, `PebbleReply::Services`…); any other
//! variant is a host bug or a corrupt trace, and the call traps the guest
//! with an [`UnexpectedReply`]. The hook-tool adapters, the raw `jujuc`
//! tools and the Pebble adapter all check through [`expect_variant!`](crate::expect_variant)
//! and differ only in the error type they convert it to.

/// A backend answered a request with another reply variant than it must.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("backend answered {expected} with {got}")]
pub struct UnexpectedReply {
    /// The variant the request must produce.
    pub expected: &'static str,
    /// The reply the backend gave, as `Debug` prints it.
    pub got: String,
}

impl UnexpectedReply {
    /// The error for `got` where `expected` was due.
    pub fn new(expected: &'static str, got: &impl std::fmt::Debug) -> Self {
        UnexpectedReply {
            expected,
            got: format!("{got:?}"),
        }
    }
}

/// `expect_variant!(reply, Enum::Variant)`: the payload of `Variant` (or `()`
/// for `Done`), else an [`UnexpectedReply`]. `Enum` must be in scope.
#[macro_export]
macro_rules! expect_variant {
    ($reply:expr, $enum:ident :: Done) => {
        match $reply {
            $enum::Done => Ok(()),
            other => Err($crate::backend::UnexpectedReply::new("Done", &other)),
        }
    };
    ($reply:expr, $enum:ident :: $variant:ident) => {
        match $reply {
            $enum::$variant(v) => Ok(v),
            other => Err($crate::backend::UnexpectedReply::new(
                stringify!($variant),
                &other,
            )),
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::backend::HookReply;

    #[test]
    fn the_named_variant_or_the_reply_given() {
        let text: Result<String, _> = expect_variant!(HookReply::Text("x".into()), HookReply::Text);
        assert_eq!(text, Ok("x".to_string()));
        let done = expect_variant!(HookReply::Done, HookReply::Done);
        assert_eq!(done, Ok(()));
        let wrong: Result<bool, _> = expect_variant!(HookReply::Done, HookReply::Bool);
        assert_eq!(
            wrong.unwrap_err().to_string(),
            "backend answered Bool with Done"
        );
    }
}
