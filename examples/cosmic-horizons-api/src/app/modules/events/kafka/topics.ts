// The seeds' topic catalog (sprint 5.2, day 3), with the shipped Avro schema of each topic's events
// (used when SCHEMA_REGISTRY_URL is set; subject `<topic>-value`, Confluent's naming).

export const KAFKA_TOPICS = {
  JOB_LIFECYCLE: { name: 'job-lifecycle', partitions: 3, schema: 'job-lifecycle' }, // keyed by job_id: a job's events stay in order on one partition
  JOB_METRICS: { name: 'job-metrics', partitions: 2, schema: 'job-metrics' },
  NOTIFICATIONS: { name: 'notifications', partitions: 1, schema: 'notification' },
  AUDIT_TRAIL: { name: 'audit-trail', partitions: 3, schema: 'audit-trail' },
} as const;

export const EVENT_TOPICS = Object.values(KAFKA_TOPICS).map((t) => t.name);

/** The `event-processor` consumer group's subscription (JSON or Avro processor alike). */
export const EVENT_PROCESSOR_SUBSCRIPTION = {
  groupId: 'event-processor',
  topics: EVENT_TOPICS,
  concurrency: 3,
  fromBeginning: true,
  retries: 2,
  retryBackoffMs: 50,
  deadLetterTopic: 'events.dlq',
};
