//! Splitting commands as Pebble does (`canonical/x-go/strutil/shlex`):
//! whitespace separates words, `'...'` is literal, `"..."` allows `\`
//! escapes, `\` escapes the next character, `#` starting a word comments
//! out the rest of the line. Also Pebble's `[ default args ]` group.

/// Split `s` into words, or the lexer's error.
pub fn split(s: &str) -> Result<Vec<String>, String> {
    #[derive(PartialEq)]
    enum St {
        Start,
        Word,
        Escape,
        QuotedEscape,
        Double,
        Single,
        Comment,
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut st = St::Start;
    let space = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    for c in s.chars() {
        st = match st {
            St::Start => match c {
                c if space(c) => St::Start,
                '"' => St::Double,
                '\'' => St::Single,
                '\\' => St::Escape,
                '#' => St::Comment,
                c => {
                    word.push(c);
                    St::Word
                }
            },
            St::Word => match c {
                c if space(c) => {
                    words.push(std::mem::take(&mut word));
                    St::Start
                }
                '"' => St::Double,
                '\'' => St::Single,
                '\\' => St::Escape,
                c => {
                    word.push(c);
                    St::Word
                }
            },
            St::Escape => {
                word.push(c);
                St::Word
            }
            St::QuotedEscape => {
                word.push(c);
                St::Double
            }
            St::Double => match c {
                '"' => St::Word,
                '\\' => St::QuotedEscape,
                c => {
                    word.push(c);
                    St::Double
                }
            },
            St::Single => match c {
                '\'' => St::Word,
                c => {
                    word.push(c);
                    St::Single
                }
            },
            St::Comment => {
                if c == '\n' {
                    St::Start
                } else {
                    St::Comment
                }
            }
        };
    }
    match st {
        St::Start | St::Comment => {}
        St::Word => words.push(word),
        St::Escape | St::QuotedEscape => return Err("EOF found after escape character".into()),
        St::Double | St::Single => return Err("EOF found when expecting closing quote".into()),
    }
    Ok(words)
}

/// A service command split into its base words and its `[ ... ]` default
/// arguments (`Service.ParseCommand`, without the service-name wrapper).
pub fn parse_command(command: &str) -> Result<(Vec<String>, Vec<String>), String> {
    let args = split(command)?;
    let (mut base, mut extra) = (Vec::new(), Vec::new());
    let (mut in_brackets, mut got_brackets) = (false, false);
    for (idx, arg) in args.into_iter().enumerate() {
        if in_brackets {
            if arg == "[" {
                return Err("cannot nest [ ... ] groups".into());
            }
            if arg == "]" {
                in_brackets = false;
                continue;
            }
            extra.push(arg);
            continue;
        }
        if got_brackets {
            return Err("cannot have any arguments after [ ... ] group".into());
        }
        if arg == "[" {
            if idx == 0 {
                return Err("cannot start command with [ ... ] group".into());
            }
            in_brackets = true;
            got_brackets = true;
            continue;
        }
        if arg == "]" {
            return Err("cannot have ] outside of [ ... ] group".into());
        }
        base.push(arg);
    }
    Ok((base, extra))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_pebble() {
        assert_eq!(
            split(r#"/bin/sh -c "echo \"hi\" there" 'a b'c d\ e"#).unwrap(),
            ["/bin/sh", "-c", "echo \"hi\" there", "a bc", "d e"]
        );
        assert_eq!(split("a #comment\nb").unwrap(), ["a", "b"]);
        assert_eq!(split("a#b").unwrap(), ["a#b"]);
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert_eq!(
            split("'open").unwrap_err(),
            "EOF found when expecting closing quote"
        );
        assert_eq!(
            split("x\\").unwrap_err(),
            "EOF found after escape character"
        );
    }

    #[test]
    fn default_args() {
        assert_eq!(
            parse_command("svc --a [ --port 80 ]").unwrap(),
            (
                vec!["svc".into(), "--a".into()],
                vec!["--port".into(), "80".into()]
            )
        );
        assert_eq!(
            parse_command("[ x ]").unwrap_err(),
            "cannot start command with [ ... ] group"
        );
        assert_eq!(
            parse_command("a [ b [ c ] ]").unwrap_err(),
            "cannot nest [ ... ] groups"
        );
        assert_eq!(
            parse_command("a [ b ] c").unwrap_err(),
            "cannot have any arguments after [ ... ] group"
        );
        assert_eq!(
            parse_command("a ]").unwrap_err(),
            "cannot have ] outside of [ ... ] group"
        );
    }
}
