//! Keys from partition strategies for published messages that have none. Precedence: an explicit
//! key, else the strategy the publish names, else the strategy of the tenant topic template its
//! topic comes from (`ServiceConfig::key_templates`). A strategy's key is its field
//! (`conversationId`, `userId`, `tenantId`): the message's header of that name, else the
//! top-level property of that name when the value is a JSON object (a string, or a number as its
//! JSON text). `random` gives no key. The key then maps to a partition as any key does (murmur2,
//! as the Java client).

use serde::Deserialize;
use serde_json::Value;

use crate::engine::catalogs::{PartitionStrategy, TopicTemplate};
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::message::OutgoingMessage;

/// The templates whose strategy keys the publishes to their topics.
#[derive(Debug, Clone, Default)]
pub struct TemplateStrategies {
    templates: Vec<TopicTemplate>,
}

impl TemplateStrategies {
    /// `ERR_INVALID_ARG` for a template whose name does not hold `{tenant}` exactly once.
    pub fn new(templates: Vec<TopicTemplate>) -> EngineResult<Self> {
        for t in &templates {
            t.validate()?;
        }
        Ok(TemplateStrategies { templates })
    }

    /// The strategy that keys an unkeyed message published to `topic`: `named`, else the one of
    /// the template `topic` comes from.
    pub fn for_publish(
        &self,
        topic: &str,
        named: Option<PartitionStrategy>,
    ) -> Option<PartitionStrategy> {
        named.or_else(|| {
            self.templates
                .iter()
                .find(|t| t.tenant_of(topic).is_some())
                .map(|t| t.strategy)
        })
    }

    /// Whether a publish naming `named` may need a key from a strategy at all.
    pub fn applies(&self, named: Option<PartitionStrategy>) -> bool {
        named.is_some() || !self.templates.is_empty()
    }
}

/// The key `strategy` gives a message with these headers and (JSON) value: none for `random`;
/// `ERR_INVALID_ARG` when neither a header nor the value has the strategy's field.
pub fn strategy_key<B: AsRef<[u8]>>(
    strategy: PartitionStrategy,
    headers: &[(String, Option<B>)],
    json: Option<&[u8]>,
) -> EngineResult<Option<Vec<u8>>> {
    let Some(field) = strategy.field() else {
        return Ok(None);
    };
    let header = headers
        .iter()
        .find(|(name, _)| name == field)
        .and_then(|(_, v)| v.as_ref())
        .map(AsRef::as_ref)
        .filter(|v| !v.is_empty());
    if let Some(v) = header {
        return Ok(Some(v.to_vec()));
    }
    json.and_then(|j| json_field(j, strategy))
        .map(Some)
        .ok_or_else(|| {
            EngineError::InvalidArg(format!(
                "partition strategy {} needs {field}: a header, or a property of the JSON value",
                strategy.as_str()
            ))
        })
}

/// `strategy_key` of a message, from its headers and value.
pub fn message_key<B: AsRef<[u8]>>(
    strategy: PartitionStrategy,
    message: &OutgoingMessage<B>,
) -> EngineResult<Option<Vec<u8>>> {
    strategy_key(
        strategy,
        &message.headers,
        message.value.as_ref().map(AsRef::as_ref),
    )
}

/// The key fields of a JSON object value; the other properties are skipped.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fields {
    conversation_id: Option<Value>,
    user_id: Option<Value>,
    tenant_id: Option<Value>,
}

fn json_field(json: &[u8], strategy: PartitionStrategy) -> Option<Vec<u8>> {
    // Only an object: serde would also read the fields of an array by position.
    if json.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    let fields: Fields = serde_json::from_slice(json).ok()?;
    let value = match strategy {
        PartitionStrategy::ConversationId => fields.conversation_id,
        PartitionStrategy::UserId => fields.user_id,
        PartitionStrategy::TenantId => fields.tenant_id,
        PartitionStrategy::Random => None,
    }?;
    match value {
        Value::String(s) if !s.is_empty() => Some(s.into_bytes()),
        Value::Number(n) => Some(n.to_string().into_bytes()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::admin::TopicSpec;
    use crate::engine::catalogs::PartitionStrategy::*;

    type Headers = Vec<(String, Option<Vec<u8>>)>;

    fn header(name: &str, value: &str) -> Headers {
        vec![(name.to_string(), Some(value.as_bytes().to_vec()))]
    }

    #[test]
    fn a_header_wins_over_the_json_value() {
        let value = br#"{"conversationId":"conv-json","userId":"u-1"}"#;
        assert_eq!(
            strategy_key(
                ConversationId,
                &header("conversationId", "conv-h"),
                Some(value)
            )
            .unwrap(),
            Some(b"conv-h".to_vec())
        );
        assert_eq!(
            strategy_key(ConversationId, &Headers::new(), Some(value)).unwrap(),
            Some(b"conv-json".to_vec())
        );
        assert_eq!(
            strategy_key(UserId, &Headers::new(), Some(value)).unwrap(),
            Some(b"u-1".to_vec())
        );
        assert_eq!(
            strategy_key(TenantId, &Headers::new(), Some(br#" {"tenantId": 42}"#)).unwrap(),
            Some(b"42".to_vec())
        );
        assert_eq!(strategy_key(Random, &Headers::new(), None).unwrap(), None);
    }

    #[test]
    fn a_missing_field_is_a_typed_error() {
        let cases: [(&Headers, Option<&[u8]>); 6] = [
            (&Headers::new(), None),
            (&Headers::new(), Some(b"not json")),
            (&Headers::new(), Some(br#"["conv-1","u","t"]"#)),
            (&Headers::new(), Some(br#"{"conversationId":""}"#)),
            (&Headers::new(), Some(br#"{"conversationId":{"id":1}}"#)),
            (&header("conversationId", ""), Some(br#"{"userId":"u"}"#)),
        ];
        for (headers, json) in cases {
            let e = strategy_key(ConversationId, headers, json).unwrap_err();
            assert_eq!(e.code(), "ERR_INVALID_ARG");
            assert!(!e.retriable());
        }
    }

    #[test]
    fn templates_key_their_topics_unless_the_publish_names_a_strategy() {
        let template = |name: &str, strategy| TopicTemplate {
            spec: TopicSpec::new(name),
            strategy,
        };
        let s = TemplateStrategies::new(vec![
            template("chat.messages.{tenant}", ConversationId),
            template("presence.{tenant}", UserId),
        ])
        .unwrap();
        assert_eq!(
            s.for_publish("chat.messages.acme", None),
            Some(ConversationId)
        );
        assert_eq!(s.for_publish("presence.acme-eu", None), Some(UserId));
        assert_eq!(s.for_publish("presence.acme", Some(Random)), Some(Random));
        assert_eq!(s.for_publish("platform.events", None), None);
        assert_eq!(s.for_publish("chat.messages.Bad.Id", None), None);
        assert!(s.applies(None));
        assert!(!TemplateStrategies::default().applies(None));
        assert!(TemplateStrategies::new(vec![template("no-placeholder", UserId)]).is_err());
    }
}
