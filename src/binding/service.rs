//! `KafkaService`, the class the package exports: converts JS arguments, calls the engine, and
//! maps results and errors back.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, ValueType};

use crate::binding::args;
use crate::binding::config::{read_client_config, JsSubscribeOptions};
use crate::binding::error::{invalid_arg, to_js_error, to_napi_error};
use crate::binding::lane_call::LaneBlocks;
use crate::binding::message::{
    read_message, read_record_topic, read_topic, JsPublishResult, MessageFields, Payload,
};
use crate::binding::promise::{rejected, settle};
use crate::binding::schema_publish::{
    publish_encoded, publish_one as publish_one_with_schema, read_publish_options, SchemaPublish,
};
use crate::binding::schema_registry::{reader_schema, SchemaRegistry};
use crate::binding::settlement::Settler;
use crate::binding::stats::JsServiceStats;
use crate::binding::subscription::{HandlerKind, JsBatchHandler, Subscription};
use crate::binding::subscription_reports::reports;
use crate::binding::transaction::Transaction;
use crate::engine::catalogs::PartitionStrategy;
use crate::engine::consumer::{ErrorSink, SubscribeOptions};
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::message::OutgoingMessage;
use crate::engine::producer::{BatchDelivery, Keying};
use crate::engine::schema::batch_decoder::BatchDecoder;
use crate::engine::schema::codec::{SchemaCodec, SchemaRef};
use crate::engine::schema::publish_order::PublishOrder;
use crate::engine::service::{BrokerAddress, ClusterInfo, KafkaEngine};
use crate::engine::transaction;

/// A broker of the cluster's metadata.
#[napi(object, js_name = "BrokerInfo")]
pub struct JsBrokerInfo {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

/// What `connect()` resolves with.
#[napi(object, js_name = "ClusterInfo")]
pub struct JsClusterInfo {
    pub brokers: Vec<JsBrokerInfo>,
    pub topics: Vec<String>,
}

impl From<BrokerAddress> for JsBrokerInfo {
    fn from(b: BrokerAddress) -> Self {
        JsBrokerInfo {
            id: b.id,
            host: b.host,
            port: b.port,
        }
    }
}

impl From<ClusterInfo> for JsClusterInfo {
    fn from(info: ClusterInfo) -> Self {
        JsClusterInfo {
            brokers: info.brokers.into_iter().map(Into::into).collect(),
            topics: info.topics,
        }
    }
}

/// Options of `disconnect()`.
#[napi(object, js_name = "DisconnectOptions")]
pub struct JsDisconnectOptions {
    /// Longest wait for queued messages to be delivered. Default 10000.
    pub timeout_ms: Option<f64>,
}

/// A Kafka client: publish (one or many), subscribe, observe, disconnect. Every async method
/// rejects with `KafkaNativeError`.
#[napi]
pub struct KafkaService {
    pub(crate) engine: Arc<KafkaEngine>,
    pub(crate) settler: Settler,
    schemas: Mutex<Option<Arc<SchemaCodec>>>,
    /// Schema'd publishes are queued in call order (their encoding may finish in any order).
    pub(crate) schema_order: PublishOrder,
    /// The blocks large `publishBatch` calls copy their bytes into for the producer's lane.
    pub(crate) lane_blocks: LaneBlocks,
}

#[napi]
impl KafkaService {
    /// Validates the configuration and creates the producer. Throws `KafkaNativeError` with
    /// code `ERR_INVALID_CONFIG` for an unknown or invalid setting. Connecting happens in the
    /// background; `connect()` waits for it.
    #[napi(constructor, ts_args_type = "config: KafkaConfig")]
    pub fn new(env: Env, config: Unknown<'_>) -> Result<Self> {
        let build = || -> EngineResult<KafkaEngine> {
            let (service, sink) = read_client_config(&env, config)?;
            KafkaEngine::new(service, sink)
        };
        match build() {
            Ok(engine) => Ok(KafkaService {
                engine: Arc::new(engine),
                settler: Settler::new(&env)?,
                schemas: Mutex::new(None),
                schema_order: PublishOrder::default(),
                lane_blocks: LaneBlocks::default(),
            }),
            Err(e) => Err(to_napi_error(&env, &e)),
        }
    }

    /// Resolves once the cluster's metadata arrived; rejects with `ERR__TIMED_OUT` (retriable)
    /// after `connectionTimeoutMs` when no broker answers.
    #[napi(ts_return_type = "Promise<ClusterInfo>")]
    pub fn connect<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, JsClusterInfo>> {
        let engine = self.engine.clone();
        settle(env, async move { engine.connect().await }, |_, info| {
            Ok(JsClusterInfo::from(info))
        })
    }

    /// Publishes one message; resolves with where it was stored once the broker acknowledged it
    /// (per `acks`). Rejects with `KafkaNativeError`: `ERR_INVALID_ARG` (bad message),
    /// `ERR_TOPIC_EXCEPTION` (bad topic name), `ERR_MSG_SIZE_TOO_LARGE`,
    /// `ERR__MSG_TIMED_OUT` (not acknowledged within `messageTimeoutMs`), `ERR__AUTHENTICATION` /
    /// `ERR__SSL` (the cluster refused the client's credentials or certificates while the message
    /// waited to be sent: reported then, not after `messageTimeoutMs`), `ERR_DISCONNECTED`.
    ///
    /// With `{schema}` in `options`, `message.value` is any JSON-able value, encoded (on the
    /// runtime, not the JS thread) with that schema through the registry given to
    /// `useSchemaRegistry()`; a value that does not match rejects with `ERR_SCHEMA_VALIDATION`
    /// (its `path` names the field), a schema the registry does not have with
    /// `ERR_SCHEMA_NOT_FOUND`, an unreachable registry with `ERR_SCHEMA_REGISTRY`. Schema'd
    /// calls are queued in the order they were made, as plain ones are (a key's messages keep
    /// their call order), even when an earlier call waits for its schema from the registry.
    ///
    /// With `{strategy}` (`'conversation_id'`, `'user_id'`, `'tenant_id'`, `'random'`), a
    /// message without `key` is keyed by that partition strategy, from its header or JSON value
    /// (see `PublishOptions.strategy`); without the field it rejects with `ERR_INVALID_ARG`. With
    /// neither, a message without `key` to a topic of the `tenantTemplates` templates is keyed by
    /// the template's strategy.
    #[napi(
        ts_args_type = "topic: string, message: PublishMessage | SchemaMessage, options?: PublishOptions",
        ts_return_type = "Promise<PublishResult>"
    )]
    pub fn publish<'e>(
        &self,
        env: &'e Env,
        topic: Unknown<'e>,
        message: Unknown<'e>,
        options: Option<Unknown<'e>>,
    ) -> Result<Unknown<'e>> {
        let mut strategy = None;
        if options.is_some() {
            let schema = (|| {
                let request = read_publish_options(env, options)?;
                strategy = request.strategy;
                let Some(reference) = request.schema else {
                    return Ok(None);
                };
                let topic = read_topic(env, topic, "topic")?;
                let codec = self.codec()?;
                publish_one_with_schema(
                    env,
                    self.engine.clone(),
                    &self.settler,
                    SchemaPublish {
                        codec,
                        reference,
                        strategy,
                        turn: self.schema_order.next_turn(),
                    },
                    topic,
                    message,
                )
                .map(Some)
            })();
            match schema {
                Ok(Some(promise)) => return Ok(promise),
                Ok(None) => {}
                Err(e) => return rejected::<JsPublishResult>(env, e).map(|p| p.to_unknown()),
            }
        }
        publish_one(
            env,
            &self.settler,
            Sender::Service(&self.engine, strategy),
            topic,
            message,
        )
    }

    /// Publishes many messages in one call: `publishBatch(topic, messages)` or
    /// `publishBatch(records)` (each record names its topic). Resolves, once every message is
    /// settled, with one result per message in order; a message that failed has `error` (a
    /// `KafkaNativeError`) in its own slot and `offset: -1`. Rejects only when the arguments
    /// are not an array of messages, or the options are bad (an unknown `strategy`).
    ///
    /// With `{schema}` as the last argument (`publishBatch(topic, messages, {schema})` or
    /// `publishBatch(records, {schema})`), each `value` is encoded as in `publish`; a value that
    /// does not match fails its own slot. With `{strategy}` (alone or beside `schema`), each
    /// message without `key` is keyed by that partition strategy, as in `publish`: a message
    /// without the strategy's field fails its own slot with `ERR_INVALID_ARG`, the others are
    /// sent.
    #[napi(
        ts_args_type = "topicOrRecords: string | PublishRecord[] | SchemaRecord[], messages?: PublishMessage[] | SchemaMessage[] | PublishOptions, options?: PublishOptions",
        ts_return_type = "Promise<BatchPublishResult[]>"
    )]
    pub fn publish_batch<'e>(
        &self,
        env: &'e Env,
        first: Unknown<'e>,
        second: Option<Unknown<'e>>,
        third: Option<Unknown<'e>>,
    ) -> Result<Unknown<'e>> {
        let by_topic = first.get_type().ok() == Some(ValueType::String);
        // `(topic, messages, options)` or `(records, options)`.
        let (list, options) = if by_topic {
            (second, third)
        } else {
            (None, second)
        };
        let request = match read_publish_options(env, options) {
            Ok(r) => r,
            Err(e) => return rejected::<Array>(env, e).map(|p| p.to_unknown()),
        };
        if let Some(reference) = request.schema {
            return match self.publish_batch_with_schema(
                env,
                first,
                list,
                by_topic,
                reference,
                request.strategy,
            ) {
                Ok(promise) => Ok(promise),
                Err(e) => rejected::<Array>(env, e).map(|p| p.to_unknown()),
            };
        }
        publish_many(
            env,
            &self.settler,
            Sender::Service(&self.engine, request.strategy),
            first,
            list,
        )
    }

    /// Joins `groupId` and hands the topics' messages to `handler`: `{eachMessage}` (one call
    /// per message, awaited in order within a partition) or `{eachBatch}`. An offset is
    /// committed only after the handler's Promise for it resolved (at-least-once). A handler
    /// that throws or rejects gets the message again (`retries`, with backoff); then
    /// `onError` is called and the subscription stops, committing nothing past that message.
    /// Resolves with the running `Subscription`.
    #[napi(
        ts_args_type = "options: SubscribeOptions, handler: { eachMessage?: (payload: EachMessagePayload) => Promise<void> | void; eachBatch?: (payload: EachBatchPayload) => Promise<void> | void } | ((payload: EachMessagePayload) => Promise<void> | void)",
        ts_return_type = "Promise<Subscription>"
    )]
    pub fn subscribe<'e>(
        &self,
        env: &'e Env,
        options: Unknown<'e>,
        handler: Unknown<'e>,
    ) -> Result<PromiseRaw<'e, Subscription>> {
        let prepared = (|| {
            if options.get_type().map_err(|e| invalid_arg("options", e))? != ValueType::Object {
                return Err(invalid_arg("options", "expected {groupId, topics}"));
            }
            let js: JsSubscribeOptions = args::read(env, options, "options")?;
            let mut engine_options = SubscribeOptions::try_from(&js)?;
            engine_options.validate()?;
            engine_options.reports = reports(env, &js)?;
            let (function, kind) = handler_function(env, handler)?;
            let mut bridge = JsBatchHandler::new(env, function, kind, &engine_options.group_id)
                .map_err(|e| invalid_arg("handler", e.reason.clone()))?;
            let decode = match &js.decode {
                None | Some(Either::A(false)) => None,
                Some(Either::A(true)) => Some(None),
                Some(Either::B(o)) => Some(Some(o)),
            };
            if let Some(options) = decode {
                let reader = reader_schema(options)?;
                bridge = bridge.with_decoder(BatchDecoder::new(self.codec()?, reader));
            }
            let on_error = js
                .on_error
                .as_ref()
                .map(|f| error_sink(env, f))
                .transpose()
                .map_err(|e| invalid_arg("onError", e.reason.clone()))?;
            Ok((engine_options, bridge, on_error))
        })();
        let (options, bridge, on_error) = match prepared {
            Ok(p) => p,
            Err(e) => return rejected(env, e),
        };
        let engine = self.engine.clone();
        settle(
            env,
            async move { engine.subscribe(options, Arc::new(bridge), on_error).await },
            |_, s| Ok(Subscription::new(s)),
        )
    }

    /// Opens a transaction (needs the `transactionalId` option, else `ERR_INVALID_CONFIG`):
    /// resolves with it once the coordinator accepted it. The first one registers the
    /// transactional id, fencing an older producer with the same id. Rejects with `ERR__STATE`
    /// while another transaction of this service is open, and with a fatal error
    /// (`fatal: true`, e.g. `ERR__FENCED`) once this service's transactional producer was
    /// fenced, or `ERR__TIMED_OUT` once a `sendOffsets` went on 5 s past its 60 s timeout:
    /// its transactions are over until `resetTransactions()`; publish and subscribe still work.
    #[napi(ts_return_type = "Promise<Transaction>")]
    pub fn transaction<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, Transaction>> {
        let engine = self.engine.clone();
        let settler = self.settler.clone();
        settle(
            env,
            async move { engine.transaction().await },
            move |_, tx| Ok(Transaction::new(tx, settler)),
        )
    }

    /// Replaces this service's transactional producer after a fatal error (`fatal: true`, e.g.
    /// `ERR__FENCED` when a transaction outlived `transactionTimeoutMs` and the coordinator
    /// bumped its epoch, or `ERR__TIMED_OUT` when `sendOffsets` was stuck past its timeout; the
    /// stuck call keeps the old producer until it returns) with a new one under the same
    /// `transactionalId`: the next `transaction()` registers it, fencing the old one. Resolves
    /// with true when it replaced it, false when the producer had not failed. Rejects with
    /// `ERR__STATE` while a transaction is open, `ERR_INVALID_CONFIG` without `transactionalId`,
    /// `ERR_DISCONNECTED` after disconnect. Beware a genuine newer instance with the same id:
    /// resetting fences it in turn. `subscribeTransactional` resets once by itself (see there).
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn reset_transactions<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, bool>> {
        let engine = self.engine.clone();
        settle(
            env,
            async move { engine.reset_transactions().await },
            |_, replaced| Ok(replaced),
        )
    }

    /// Uses `registry` for `publish`/`publishBatch` with `{schema}` and for subscriptions with
    /// `decode`. Replaces a registry set before.
    #[napi]
    pub fn use_schema_registry(&self, registry: &SchemaRegistry) {
        if let Ok(mut s) = self.schemas.lock() {
            *s = Some(registry.codec.clone());
        }
    }

    /// Counters, latency percentiles, consumer lag and broker states. Cheap; never throws.
    #[napi(ts_return_type = "ServiceStats")]
    pub fn stats(&self) -> JsServiceStats {
        self.engine.stats().into()
    }

    /// The service's figures in the Prometheus text exposition format (version 0.0.4), ready to
    /// serve as a `/metrics` response (`Content-Type: text/plain; version=0.0.4`): publish and
    /// acknowledgement counters, publish errors by code, ack, handler and end-to-end latency
    /// histograms per topic, consumer lag and fetch queues per partition, rebalances, handler
    /// timeouts, producer queue depths, and broker state, RTT and request queues from
    /// librdkafka's statistics. Every name starts with `kafka_native_`. Cheap; never throws.
    #[napi]
    pub fn metrics(&self) -> String {
        self.engine.metrics()
    }

    /// Stops every subscription (handlers finish, at most their `drainTimeoutMs`; offsets are
    /// committed and groups left) and delivers what is still queued (at most `timeoutMs`), then
    /// closes. Final: from the call on, every method rejects with `ERR_DISCONNECTED`, and a
    /// `subscribe` or `connect` it raced with starts nothing. Resolves within `drainTimeoutMs` +
    /// `timeoutMs` even with handlers stuck or the brokers gone; afterwards the service holds
    /// nothing that keeps Node alive. Idempotent: a second call resolves with the first.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn disconnect<'e>(
        &self,
        env: &'e Env,
        options: Option<JsDisconnectOptions>,
    ) -> Result<PromiseRaw<'e, ()>> {
        let engine = self.engine.clone();
        let ms = options.and_then(|o| o.timeout_ms).unwrap_or(10_000.0);
        if !(ms.is_finite() && ms >= 0.0) {
            return rejected(
                env,
                EngineError::InvalidArg(format!("timeoutMs must be a number >= 0 (got {ms})")),
            );
        }
        let timeout = Duration::from_millis(ms as u64);
        settle(
            env,
            async move { engine.disconnect(timeout).await },
            |_, ()| Ok(()),
        )
    }
}

/// Where published messages go: the service's producer (with the partition strategy the publish
/// names, if any), or an open transaction.
pub(crate) enum Sender<'s> {
    Service(&'s KafkaEngine, Option<PartitionStrategy>),
    Transaction(&'s transaction::Transaction),
}

impl Sender<'_> {
    fn send_batch<'a, B: AsRef<[u8]> + 'a>(
        &self,
        records: impl ExactSizeIterator<Item = (&'a str, &'a OutgoingMessage<B>)>,
    ) -> EngineResult<BatchDelivery> {
        self.send_slots(records.map(Ok))
    }

    /// A batch some of whose slots were refused while reading them (see
    /// `Producer::send_slots`).
    fn send_slots<'a, B: AsRef<[u8]> + 'a>(
        &self,
        slots: impl ExactSizeIterator<Item = EngineResult<(&'a str, &'a OutgoingMessage<B>)>>,
    ) -> EngineResult<BatchDelivery> {
        match self {
            // Within the runtime: a send the adaptive linger holds starts the lane's task.
            Sender::Service(engine, strategy) => within_runtime_if_available(|| {
                engine.send_slots(slots, Keying::Strategy(*strategy))
            }),
            Sender::Transaction(tx) => tx.send_slots(slots),
        }
    }
}

/// `publish(topic, message)` through `sender`.
pub(crate) fn publish_one<'e>(
    env: &'e Env,
    settler: &Settler,
    sender: Sender<'_>,
    topic: Unknown<'e>,
    message: Unknown<'e>,
) -> Result<Unknown<'e>> {
    let queued = (|| {
        let topic = read_topic(env, topic, "topic")?;
        let message = read_message(
            env,
            message,
            &MessageFields::new(env).map_err(|e| invalid_arg("message", e))?,
        )?;
        sender.send_batch(std::iter::once((topic.as_str(), &message)))
    })();
    match queued {
        Err(e) => rejected::<JsPublishResult>(env, e).map(|p| p.to_unknown()),
        Ok(delivery) => {
            let (promise, settle_one) = settler.one(env)?;
            within_runtime_if_available(|| delivery.on_complete(settle_one));
            Ok(promise)
        }
    }
}

/// `publishBatch(topic, messages)` or `publishBatch(records)` through `sender`.
pub(crate) fn publish_many<'e>(
    env: &'e Env,
    settler: &Settler,
    sender: Sender<'_>,
    first: Unknown<'e>,
    second: Option<Unknown<'e>>,
) -> Result<Unknown<'e>> {
    let queued = (|| {
        let (topic, list) = match first
            .get_type()
            .map_err(|e| invalid_arg("publishBatch", e))?
        {
            ValueType::String => {
                let list = second
                    .ok_or_else(|| invalid_arg("messages", "expected an array of messages"))?;
                (Some(read_topic(env, first, "topic")?), list)
            }
            _ => {
                // `(records)` takes no second argument: a topic that is not a string must not
                // silently drop the messages given after it.
                let extra = match &second {
                    Some(v) => {
                        v.get_type().map_err(|e| invalid_arg("publishBatch", e))?
                            != ValueType::Undefined
                    }
                    None => false,
                };
                if extra {
                    return Err(invalid_arg(
                        "topic",
                        "expected a topic name (string) before the messages",
                    ));
                }
                (None, first)
            }
        };
        if !list.is_array().unwrap_or(false) {
            return Err(invalid_arg("messages", "expected an array of messages"));
        }
        let array: Array = args::read(env, list, "messages")?;
        let fields = MessageFields::new(env).map_err(|e| invalid_arg("messages", e))?;
        let mut topics: Vec<String> = Vec::with_capacity(array.len() as usize);
        let mut messages: Vec<EngineResult<OutgoingMessage<Payload>>> =
            Vec::with_capacity(array.len() as usize);
        for i in 0..array.len() {
            let item: Unknown = array
                .get(i)
                .map_err(|e| invalid_arg("messages", e))?
                .ok_or_else(|| invalid_arg("messages", format!("no message at index {i}")))?;
            let record_topic = match &topic {
                Some(t) => Ok(t.clone()),
                None => read_record_topic(env, item, &fields),
            };
            let message = match record_topic {
                Ok(t) => {
                    topics.push(t);
                    read_message(env, item, &fields)
                }
                Err(e) => {
                    topics.push(String::new());
                    Err(e)
                }
            };
            messages.push(message);
        }
        let slots = topics.iter().zip(&messages);
        let delivery = sender.send_slots(
            slots.map(|(t, m)| m.as_ref().map(|m| (t.as_str(), m)).map_err(Clone::clone)),
        )?;
        Ok((topics, delivery))
    })();
    let (topics, delivery) = match queued {
        Err(e) => return rejected::<Array>(env, e).map(|p| p.to_unknown()),
        Ok(q) => q,
    };
    let (promise, settle_many) = settler.many(env, topics)?;
    within_runtime_if_available(|| delivery.on_complete(settle_many));
    Ok(promise)
}

impl KafkaService {
    /// The registry given to `useSchemaRegistry()`.
    pub(crate) fn codec(&self) -> EngineResult<Arc<SchemaCodec>> {
        self.schemas
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .ok_or_else(|| {
                invalid_arg(
                    "schema",
                    "no schema registry: call useSchemaRegistry(new SchemaRegistry({url})) first",
                )
            })
    }

    /// `publishBatch` with `{schema}` as its last argument: `list` is the messages of
    /// `(topic, messages, options)`, `first` the records of `(records, options)`.
    fn publish_batch_with_schema<'e>(
        &self,
        env: &'e Env,
        first: Unknown<'e>,
        list: Option<Unknown<'e>>,
        by_topic: bool,
        reference: SchemaRef,
        strategy: Option<PartitionStrategy>,
    ) -> EngineResult<Unknown<'e>> {
        let list = if by_topic { list } else { Some(first) };
        let list = list.ok_or_else(|| invalid_arg("messages", "expected an array of messages"))?;
        if !list.is_array().unwrap_or(false) {
            return Err(invalid_arg("messages", "expected an array of messages"));
        }
        let topic = if by_topic {
            Some(read_topic(env, first, "topic")?)
        } else {
            None
        };
        let codec = self.codec()?;
        let array: Array = args::read(env, list, "messages")?;
        let fields = MessageFields::new(env).map_err(|e| invalid_arg("messages", e))?;
        let mut items = Vec::with_capacity(array.len() as usize);
        for i in 0..array.len() {
            let item: Unknown = array
                .get(i)
                .map_err(|e| invalid_arg("messages", e))?
                .ok_or_else(|| invalid_arg("messages", format!("no message at index {i}")))?;
            let t = match &topic {
                Some(t) => Ok(t.clone()),
                None => read_record_topic(env, item, &fields),
            };
            items.push((t, item));
        }
        let topics = items
            .iter()
            .map(|(t, _)| t.clone().unwrap_or_default())
            .collect();
        let (promise, settle_many) = self
            .settler
            .many(env, topics)
            .map_err(|e| invalid_arg("publishBatch", e))?;
        publish_encoded(
            env,
            self.engine.clone(),
            SchemaPublish {
                codec,
                reference,
                strategy,
                turn: self.schema_order.next_turn(),
            },
            items,
            settle_many,
        );
        Ok(promise)
    }
}

fn handler_function<'e>(
    env: &'e Env,
    handler: Unknown<'e>,
) -> EngineResult<(Function<'e>, HandlerKind)> {
    match handler.get_type().map_err(|e| invalid_arg("handler", e))? {
        ValueType::Function => Ok((
            args::read(env, handler, "handler")?,
            HandlerKind::EachMessage,
        )),
        ValueType::Object => {
            let obj: Object = args::read(env, handler, "handler")?;
            let get = |name: &str| -> EngineResult<Option<Function<'e>>> {
                let v: Unknown = obj
                    .get_named_property(name)
                    .map_err(|e| invalid_arg(name, e))?;
                match v.get_type().map_err(|e| invalid_arg(name, e))? {
                    ValueType::Function => Ok(Some(args::read(env, v, name)?)),
                    ValueType::Undefined | ValueType::Null => Ok(None),
                    _ => Err(invalid_arg(name, "expected a function")),
                }
            };
            match (get("eachMessage")?, get("eachBatch")?) {
                (Some(f), None) => Ok((f, HandlerKind::EachMessage)),
                (None, Some(f)) => Ok((f, HandlerKind::EachBatch)),
                (Some(_), Some(_)) => Err(invalid_arg(
                    "handler",
                    "give eachMessage or eachBatch, not both",
                )),
                (None, None) => Err(invalid_arg(
                    "handler",
                    "expected {eachMessage} or {eachBatch}",
                )),
            }
        }
        _ => Err(invalid_arg(
            "handler",
            "expected a function or {eachMessage} / {eachBatch}",
        )),
    }
}

type ErrorFn = ThreadsafeFunction<EngineError, (), ErrorArg, Status, false>;

/// The error handed to `onError`, built as a `KafkaNativeError` on the JS thread.
pub struct ErrorArg(EngineError);

impl ToNapiValue for ErrorArg {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        let env = Env::from_raw(env);
        to_js_error(&env, &val.0).map(|v| v.raw())
    }
}

fn error_sink(env: &Env, f: &Function<'_, Unknown<'_>, ()>) -> Result<ErrorSink> {
    let typed: Function<ErrorArg, ()> = unsafe { Function::from_napi_value(env.raw(), f.raw())? };
    let tsfn: ErrorFn = typed
        .build_threadsafe_function::<EngineError>()
        .callee_handled::<false>()
        .build_callback(|ctx| Ok(ErrorArg(ctx.value)))?;
    let tsfn = Arc::new(tsfn);
    Ok(Arc::new(move |e: EngineError| {
        // The returning variant hands a throw from onError to us instead of crashing Node.
        let _ =
            tsfn.call_with_return_value(e, ThreadsafeFunctionCallMode::NonBlocking, |_, _| Ok(()));
    }))
}
