//! The elements of a JSON array as `JSON.stringify` writes it, each as its place in the text.
//! A schema'd `publishBatch` crosses its values as one JSON array text (a few `JSON.stringify`
//! calls of runs of them, joined: fewer calls than one per value on the JS thread); the values
//! are found here, on the runtime.

use std::ops::Range;

use memchr::memchr2;

/// Where each element of the JSON array `text` is in it, in order; `None` when `text` is not one
/// array (unbalanced brackets, an unterminated string, text after the closing bracket). Only the
/// structure is checked, brackets counted and not matched: the elements are parsed later, by
/// whatever reads them. Whitespace is
/// allowed where JSON allows it, and left out of the elements.
pub fn array_elements(text: &str) -> Option<Vec<Range<usize>>> {
    let bytes = text.as_bytes();
    let mut at = skip_ws(bytes, 0);
    if bytes.get(at) != Some(&b'[') {
        return None;
    }
    at += 1;
    let mut elements = Vec::new();
    let mut depth = 0usize;
    let mut start = skip_ws(bytes, at);
    if bytes.get(start) == Some(&b']') {
        return (skip_ws(bytes, start + 1) == bytes.len()).then_some(elements);
    }
    at = start;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => at = string_end(bytes, at + 1)?,
            b'[' | b'{' => {
                depth += 1;
                at += 1;
            }
            b']' | b'}' if depth > 0 => {
                depth -= 1;
                at += 1;
            }
            c @ (b',' | b']') if depth == 0 => {
                let end = start
                    + text[start..at]
                        .trim_end_matches([' ', '\t', '\n', '\r'])
                        .len();
                if end == start {
                    return None;
                }
                elements.push(start..end);
                if c == b']' {
                    return (skip_ws(bytes, at + 1) == bytes.len()).then_some(elements);
                }
                at = skip_ws(bytes, at + 1);
                start = at;
            }
            b'}' => return None,
            _ => at += 1,
        }
    }
    None
}

/// The index just past the closing quote of the string whose content starts at `at`.
fn string_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        at += memchr2(b'"', b'\\', bytes.get(at..)?)?;
        if bytes[at] == b'"' {
            return Some(at + 1);
        }
        // An escape: the next byte is taken whatever it is (`\"`, `\\`, `\u…`).
        at += 2;
    }
}

fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'\n' | b'\r') {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of each element.
    fn elements(text: &str) -> Option<Vec<&str>> {
        array_elements(text).map(|found| found.into_iter().map(|r| &text[r]).collect())
    }

    #[test]
    fn splits_top_level_elements() {
        let text = r#"[{"a":[1,2,{"b":"]"}],"c":"x,y"},"s\"t,r]",3,null,true,[[]],{}]"#;
        assert_eq!(
            elements(text).unwrap(),
            vec![
                r#"{"a":[1,2,{"b":"]"}],"c":"x,y"}"#,
                r#""s\"t,r]""#,
                "3",
                "null",
                "true",
                "[[]]",
                "{}"
            ]
        );
    }

    #[test]
    fn takes_whitespace_and_empty_arrays() {
        assert_eq!(elements("[]").unwrap(), Vec::<&str>::new());
        assert_eq!(elements(" [ ] ").unwrap(), Vec::<&str>::new());
        assert_eq!(
            elements("[ 1 , \"a\\\\\" ,\n{ } ]").unwrap(),
            vec!["1", "\"a\\\\\"", "{ }"]
        );
    }

    #[test]
    fn escapes_and_multibyte_text_stay_whole() {
        let text = "[\"\\\\\",\"é,]\",\"\\u005d\"]";
        assert_eq!(
            elements(text).unwrap(),
            vec!["\"\\\\\"", "\"é,]\"", "\"\\u005d\""]
        );
    }

    #[test]
    fn refuses_what_is_not_one_array() {
        for bad in [
            "", "{}", "[", "[1", "[1,", "[1,]", "[,1]", "[1]x", "[\"a]", "[{]", "[}]", "[1]]",
            "[\"\\",
        ] {
            assert!(elements(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn matches_one_stringify_per_value() {
        let values: Vec<serde_json::Value> = (0..50)
            .map(
                |i| serde_json::json!({"id": i, "s": format!("v{i},]\"}}"), "n": [i, {"k": null}]}),
            )
            .collect();
        let text = serde_json::to_string(&values).unwrap();
        let expected: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        assert_eq!(elements(&text).unwrap(), expected);
    }
}
