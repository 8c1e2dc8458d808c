// The seeds' topic catalog (sprint 5.2, day 3).

export interface TopicConfig {
  name: string;
  partitions: number;
  replication: number;
  retention_ms: number;
  description: string;
}

export const KAFKA_TOPICS = {
  JOB_LIFECYCLE: {
    name: 'job-lifecycle',
    partitions: 3, // keyed by job_id: a job's events stay in order on one partition
    replication: 3,
    retention_ms: 2592000000,
    description: 'Job lifecycle events: submitted, status changed, completed, failed',
  },
  JOB_METRICS: {
    name: 'job-metrics',
    partitions: 2,
    replication: 3,
    retention_ms: 604800000,
    description: 'Performance metrics: CPU, GPU, memory, I/O',
  },
  NOTIFICATIONS: {
    name: 'notifications',
    partitions: 1,
    replication: 3,
    retention_ms: 604800000,
    description: 'User notifications and alerts',
  },
  AUDIT_TRAIL: {
    name: 'audit-trail',
    partitions: 3,
    replication: 3,
    retention_ms: 7776000000,
    description: 'Audit trail for compliance and operational auditing',
  },
} satisfies Record<string, TopicConfig>;

export const EVENT_TOPICS = Object.values(KAFKA_TOPICS).map((t) => t.name);

export function getTopicConfig(topicName: string): TopicConfig | undefined {
  return Object.values(KAFKA_TOPICS).find((t) => t.name === topicName);
}
