//! The delayed-retry ladder of a subscription: which topic a message that ran out of in-place
//! retries goes to next (a retry topic with a delay, then the dead-letter topic), and how long a
//! message on a retry topic waits before it is handed to the handler again.

use crate::engine::error::{EngineError, EngineResult};
use crate::engine::message::validate_topic;

/// Where failing messages go after the in-place retries of a subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryLadder {
    /// Delay of each retry step, in ms, in order.
    pub delays_ms: Vec<u64>,
    /// Topic of each retry step (same length as `delays_ms`). The subscription consumes them too.
    pub topics: Vec<String>,
    /// Where a message goes after the last step. None: the subscription stops there (nothing past
    /// the message is committed), as without a ladder.
    pub dead_letter_topic: Option<String>,
}

/// Where a failed message goes.
#[derive(Debug, Clone, PartialEq)]
pub enum NextStep {
    /// Retry step `index`: its topic, and the wait before the handler sees the message again.
    Retry {
        index: usize,
        topic: String,
        delay_ms: u64,
    },
    /// The dead-letter topic.
    DeadLetter(String),
    /// Nowhere: the ladder is exhausted and there is no dead-letter topic.
    Exhausted,
}

impl RetryLadder {
    /// A ladder with these delays, its retry topics named `{group}.retry.{n}` (n from 1) unless
    /// `topics` names them.
    pub fn new(
        group_id: &str,
        delays_ms: Vec<u64>,
        topics: Option<Vec<String>>,
        dead_letter_topic: Option<String>,
    ) -> Self {
        let topics = topics.unwrap_or_else(|| {
            (1..=delays_ms.len())
                .map(|n| format!("{group_id}.retry.{n}"))
                .collect()
        });
        RetryLadder {
            delays_ms,
            topics,
            dead_letter_topic,
        }
    }

    /// Rejects a ladder that cannot work: topics not matching the delays, bad or repeated topic
    /// names, a step that is also one of the subscription's own topics.
    pub fn validate(&self, subscribed: &[String]) -> EngineResult<()> {
        if self.topics.len() != self.delays_ms.len() {
            return Err(EngineError::InvalidArg(format!(
                "retry.topics names {} topics for {} delays",
                self.topics.len(),
                self.delays_ms.len()
            )));
        }
        let all: Vec<&String> = self
            .topics
            .iter()
            .chain(self.dead_letter_topic.iter())
            .collect();
        for (i, t) in all.iter().enumerate() {
            validate_topic(t).map_err(|_| {
                EngineError::InvalidArg(format!(
                    "retry topic '{t}' is not a valid topic name (name the steps with retry.topics)"
                ))
            })?;
            if all[..i].contains(t) || subscribed.contains(t) {
                return Err(EngineError::InvalidArg(format!(
                    "retry topic '{t}' is used twice (each step and the dead-letter topic need their own topic)"
                )));
            }
        }
        Ok(())
    }

    /// The step of a topic of this ladder, if it is one of its retry topics.
    pub fn step_of(&self, topic: &str) -> Option<usize> {
        self.topics.iter().position(|t| t == topic)
    }

    /// Where a message consumed from `topic` goes when it fails: the next step, or, for a
    /// failure that is not `retriable` (no later delivery can succeed), the dead-letter topic at
    /// once.
    pub fn next_for(&self, topic: &str, retriable: bool) -> NextStep {
        if retriable {
            return self.next_after(topic);
        }
        match &self.dead_letter_topic {
            Some(t) => NextStep::DeadLetter(t.clone()),
            None => NextStep::Exhausted,
        }
    }

    /// Where a message consumed from `topic` goes when it fails.
    pub fn next_after(&self, topic: &str) -> NextStep {
        let index = self.step_of(topic).map_or(0, |i| i + 1);
        match (self.topics.get(index), self.delays_ms.get(index)) {
            (Some(t), Some(d)) => NextStep::Retry {
                index,
                topic: t.clone(),
                delay_ms: *d,
            },
            _ => match &self.dead_letter_topic {
                Some(t) => NextStep::DeadLetter(t.clone()),
                None => NextStep::Exhausted,
            },
        }
    }
}

/// Reads a delay: a whole number of ms, or a number with a unit (`500ms`, `10s`, `1m`, `5min`,
/// `2h`). A bad one is `ERR_INVALID_ARG`.
pub fn parse_delay(text: &str) -> EngineResult<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale = match unit.trim() {
        "" | "ms" => 1.0,
        "s" | "sec" => 1_000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return Err(bad_delay(text)),
    };
    let n: f64 = number.parse().map_err(|_| bad_delay(text))?;
    let ms = n * scale;
    if !ms.is_finite() || !(0.0..=7.0 * 86_400_000.0).contains(&ms) || ms.fract() != 0.0 {
        return Err(bad_delay(text));
    }
    Ok(ms as u64)
}

fn bad_delay(text: &str) -> EngineError {
    EngineError::InvalidArg(format!(
        "retry delay '{}' is not a duration such as 500, '10s', '1m', '30m' (at most 7 days)",
        text.chars().take(40).collect::<String>()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_read_with_their_units() {
        assert_eq!(parse_delay("1m").unwrap(), 60_000);
        assert_eq!(parse_delay("5min").unwrap(), 300_000);
        assert_eq!(parse_delay("30m").unwrap(), 1_800_000);
        assert_eq!(parse_delay("1.5s").unwrap(), 1_500);
        assert_eq!(parse_delay("250").unwrap(), 250);
        assert_eq!(parse_delay("250ms").unwrap(), 250);
        assert_eq!(parse_delay("2h").unwrap(), 7_200_000);
        for bad in ["", "m", "1x", "-1s", "8000h", "0.5ms", "1 m s"] {
            assert_eq!(
                parse_delay(bad).unwrap_err().code(),
                "ERR_INVALID_ARG",
                "{bad}"
            );
        }
    }

    #[test]
    fn steps_follow_the_ladder_then_the_dead_letter_topic() {
        let l = RetryLadder::new("g", vec![10, 20], None, Some("g.dlq".into()));
        assert_eq!(l.topics, vec!["g.retry.1", "g.retry.2"]);
        l.validate(&["orders".into()]).unwrap();
        assert_eq!(
            l.next_after("orders"),
            NextStep::Retry {
                index: 0,
                topic: "g.retry.1".into(),
                delay_ms: 10
            }
        );
        assert_eq!(
            l.next_after("g.retry.1"),
            NextStep::Retry {
                index: 1,
                topic: "g.retry.2".into(),
                delay_ms: 20
            }
        );
        assert_eq!(
            l.next_after("g.retry.2"),
            NextStep::DeadLetter("g.dlq".into())
        );
        let no_dlq = RetryLadder::new("g", vec![], None, None);
        assert_eq!(no_dlq.next_after("orders"), NextStep::Exhausted);
    }

    #[test]
    fn a_failure_that_is_not_retriable_skips_the_steps() {
        let l = RetryLadder::new("g", vec![10, 20], None, Some("g.dlq".into()));
        for from in ["orders", "g.retry.1", "g.retry.2"] {
            assert_eq!(
                l.next_for(from, false),
                NextStep::DeadLetter("g.dlq".into())
            );
        }
        assert_eq!(l.next_for("orders", true), l.next_after("orders"));
        let no_dlq = RetryLadder::new("g", vec![10], None, None);
        assert_eq!(no_dlq.next_for("orders", false), NextStep::Exhausted);
    }

    #[test]
    fn bad_ladders_are_typed_errors() {
        let subscribed = vec!["orders".to_string()];
        let cases = [
            RetryLadder::new("g", vec![1, 2], Some(vec!["a".into()]), None),
            RetryLadder::new("g", vec![1], Some(vec!["orders".into()]), None),
            RetryLadder::new("g", vec![1], Some(vec!["a".into()]), Some("a".into())),
            RetryLadder::new("bad group", vec![1], None, None),
            RetryLadder::new("g", vec![], None, Some("no way".into())),
        ];
        for l in cases {
            assert_eq!(
                l.validate(&subscribed).unwrap_err().code(),
                "ERR_INVALID_ARG",
                "{l:?}"
            );
        }
    }
}
