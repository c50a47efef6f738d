//! libyaml's event stream, read through the same parser serde_norway uses
//! (`unsafe-libyaml-norway`), so that the guard sees exactly the nodes,
//! anchors and aliases the real load will see. This is the only unsafe
//! code of the YAML entry points: a parser over a borrowed string, events
//! copied out and freed one at a time.

use std::ffi::CStr;
use std::mem::MaybeUninit;

use unsafe_libyaml_norway as unsafe_sys;

/// One parser event, reduced to what the guard counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    DocumentStart,
    Scalar { anchor: Option<Vec<u8>>, len: u64 },
    Alias { anchor: Vec<u8> },
    CollectionStart { anchor: Option<Vec<u8>> },
    CollectionEnd,
}

/// Events of a YAML text with the 1-based line each starts on. The
/// stream ends at the end of the text or at the first syntax error (left to
/// the real load to report, in its own words).
pub struct Events<'a> {
    parser: Box<MaybeUninit<unsafe_sys::yaml_parser_t>>,
    /// Whether libyaml initialised `parser` (and it must be deleted).
    initialised: bool,
    done: bool,
    // The parser reads from this borrowed text until it is dropped.
    _text: &'a [u8],
}

impl<'a> Events<'a> {
    /// A parser over `text` (UTF-8, as serde_norway reads a `&str`).
    pub fn new(text: &'a str) -> Events<'a> {
        let mut parser = Box::new(MaybeUninit::<unsafe_sys::yaml_parser_t>::uninit());
        let p = parser.as_mut_ptr();
        // SAFETY: `p` points to writable memory for a parser, which
        // `yaml_parser_initialize` zeroes and initialises (it only fails on
        // allocation failure, where libyaml-rs aborts). The input pointer
        // stays valid while the parser lives: `_text` borrows it for 'a.
        let ok = unsafe {
            let init = unsafe_sys::yaml_parser_initialize(p);
            if init.ok {
                unsafe_sys::yaml_parser_set_encoding(p, unsafe_sys::YAML_UTF8_ENCODING);
                unsafe_sys::yaml_parser_set_input_string(p, text.as_ptr(), text.len() as u64);
            }
            init.ok
        };
        Events {
            parser,
            initialised: ok,
            // An uninitialised parser is never read.
            done: !ok,
            _text: text.as_bytes(),
        }
    }
}

/// A NUL-terminated libyaml string as bytes; none for a null pointer.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string that outlives the call.
unsafe fn c_bytes(p: *const u8) -> Option<Vec<u8>> {
    if p.is_null() {
        return None;
    }
    // SAFETY: as the caller promises.
    Some(unsafe { CStr::from_ptr(p.cast()) }.to_bytes().to_vec())
}

impl Iterator for Events<'_> {
    type Item = (Event, u64);

    fn next(&mut self) -> Option<(Event, u64)> {
        loop {
            if self.done {
                return None;
            }
            let p = self.parser.as_mut_ptr();
            let mut raw = MaybeUninit::<unsafe_sys::yaml_event_t>::uninit();
            let e = raw.as_mut_ptr();
            // SAFETY: the parser was initialised in `new` (else `done`) and
            // has not failed (`done` is set on failure and at the end).
            // On success libyaml initialised `*e`; its fields are read for
            // the event's type only, its strings copied, and the event is
            // freed exactly once.
            let item = unsafe {
                if unsafe_sys::yaml_parser_parse(p, e).fail {
                    self.done = true;
                    return None;
                }
                let line = (*e).start_mark.line + 1;
                let event = match (*e).type_ {
                    unsafe_sys::YAML_STREAM_END_EVENT => {
                        self.done = true;
                        None
                    }
                    unsafe_sys::YAML_DOCUMENT_START_EVENT => Some(Event::DocumentStart),
                    unsafe_sys::YAML_SCALAR_EVENT => Some(Event::Scalar {
                        anchor: c_bytes((*e).data.scalar.anchor),
                        len: (*e).data.scalar.length,
                    }),
                    unsafe_sys::YAML_ALIAS_EVENT => Some(Event::Alias {
                        anchor: c_bytes((*e).data.alias.anchor).unwrap_or_default(),
                    }),
                    unsafe_sys::YAML_SEQUENCE_START_EVENT => Some(Event::CollectionStart {
                        anchor: c_bytes((*e).data.sequence_start.anchor),
                    }),
                    unsafe_sys::YAML_MAPPING_START_EVENT => Some(Event::CollectionStart {
                        anchor: c_bytes((*e).data.mapping_start.anchor),
                    }),
                    unsafe_sys::YAML_SEQUENCE_END_EVENT | unsafe_sys::YAML_MAPPING_END_EVENT => {
                        Some(Event::CollectionEnd)
                    }
                    _ => None,
                };
                unsafe_sys::yaml_event_delete(e);
                event.map(|ev| (ev, line))
            };
            if item.is_some() {
                return item;
            }
        }
    }
}

impl Drop for Events<'_> {
    fn drop(&mut self) {
        if self.initialised {
            // SAFETY: a parser initialised in `new` is deleted once, here.
            unsafe { unsafe_sys::yaml_parser_delete(self.parser.as_mut_ptr()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Vec<Event> {
        Events::new(text).map(|(e, _)| e).collect()
    }

    #[test]
    fn nodes_anchors_and_aliases() {
        use Event::*;
        assert_eq!(
            events("a: &x [1, 2]\nb: *x\n"),
            vec![
                DocumentStart,
                CollectionStart { anchor: None },
                Scalar {
                    anchor: None,
                    len: 1
                },
                CollectionStart {
                    anchor: Some(b"x".to_vec())
                },
                Scalar {
                    anchor: None,
                    len: 1
                },
                Scalar {
                    anchor: None,
                    len: 1
                },
                CollectionEnd,
                Scalar {
                    anchor: None,
                    len: 1
                },
                Alias {
                    anchor: b"x".to_vec()
                },
                CollectionEnd,
            ]
        );
    }

    #[test]
    fn lines_and_errors() {
        let v: Vec<(Event, u64)> = Events::new("a:\n  - b\n  - : [").collect();
        assert_eq!(v[0].1, 1);
        assert!(v.iter().any(|(_, l)| *l == 2));
        // The stream stops at the syntax error.
        assert!(!v.iter().any(|(e, _)| *e == Event::CollectionEnd));
        assert_eq!(events(""), vec![]);
    }
}
