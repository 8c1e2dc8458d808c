//! What the engine did with a message whose handler failed, told to whoever handled it: the JS
//! tracing ends the failed call's consumer span with it as a `retry` or `dead-letter` event.

use std::fmt;

/// Where a message went after a failed handler call.
#[derive(Debug, Clone, PartialEq)]
pub enum FailureFate {
    /// Handed to the handler again in place after `delay_ms`; `attempt` calls failed so far in
    /// this step.
    RetryInPlace {
        attempt: u32,
        delay_ms: u64,
        code: String,
    },
    /// Republished to a retry step's topic (acknowledged), not delivered before `due_ms` (ms
    /// since the epoch); `attempts` failed calls in all (its `x-attempts` header).
    RetryTopic {
        topic: String,
        attempts: u64,
        due_ms: i64,
        code: String,
    },
    /// Republished to the dead-letter topic (acknowledged) after `attempts` failed calls in all.
    DeadLetter {
        topic: String,
        attempts: u64,
        code: String,
    },
    /// Nowhere: the subscription stopped, or the partition was revoked.
    Nowhere,
}

/// Told once of a failed message's fate; a listener dropped untold is told `Nowhere`, so whoever
/// waits on it (an open span) is never left waiting.
pub struct FateListener(Option<Box<dyn FnOnce(FailureFate) + Send>>);

impl FateListener {
    /// A listener calling `tell` with the fate.
    pub fn new(tell: impl FnOnce(FailureFate) + Send + 'static) -> Self {
        FateListener(Some(Box::new(tell)))
    }

    /// Tells the fate.
    pub fn tell(mut self, fate: FailureFate) {
        if let Some(tell) = self.0.take() {
            tell(fate);
        }
    }
}

impl Drop for FateListener {
    fn drop(&mut self) {
        if let Some(tell) = self.0.take() {
            tell(FailureFate::Nowhere);
        }
    }
}

impl fmt::Debug for FateListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FateListener")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn recording() -> (FateListener, Arc<Mutex<Vec<FailureFate>>>) {
        let told = Arc::new(Mutex::new(Vec::new()));
        let sink = told.clone();
        let listener = FateListener::new(move |f| sink.lock().unwrap().push(f));
        (listener, told)
    }

    #[test]
    fn told_once_and_dropped_untold_is_nowhere() {
        let (listener, told) = recording();
        listener.tell(FailureFate::DeadLetter {
            topic: "dlq".into(),
            attempts: 3,
            code: "ERR_HANDLER_FAILED".into(),
        });
        assert_eq!(told.lock().unwrap().len(), 1);
        let (listener, told) = recording();
        drop(listener);
        assert_eq!(*told.lock().unwrap(), vec![FailureFate::Nowhere]);
    }
}
