// The seeds' topic catalog (sprint 5.2, day 3).

export const KAFKA_TOPICS = {
  JOB_LIFECYCLE: { name: 'job-lifecycle', partitions: 3 }, // keyed by job_id: a job's events stay in order on one partition
  JOB_METRICS: { name: 'job-metrics', partitions: 2 },
  NOTIFICATIONS: { name: 'notifications', partitions: 1 },
  AUDIT_TRAIL: { name: 'audit-trail', partitions: 3 },
};

export const EVENT_TOPICS = Object.values(KAFKA_TOPICS).map((t) => t.name);
