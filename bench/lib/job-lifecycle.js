'use strict';

/** The job-lifecycle event `i` of the schema benchmarks (278 bytes of JSON; one of 1,000 jobs). */
const jobLifecycleEvent = (i) => ({
  event_id: `7c9e6679-7425-40de-944b-${String(i).padStart(12, '0')}`,
  event_type: 'job.running',
  timestamp: '2026-11-30T12:00:00.000Z',
  correlation_id: 'c0ffee00-0000-4000-8000-000000000001',
  user_id: 'astro-1',
  schema_version: 1,
  payload: { job_id: `job-${i % 1000}`, name: 'imaging', status: 'running', message: null, details: { queue: 'gpu' } },
});

module.exports = { jobLifecycleEvent };
