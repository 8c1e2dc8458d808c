import { randomUUID } from 'crypto';
import { BadRequestException, Body, Controller, HttpCode, Post } from '@nestjs/common';
import type { EventBase } from '../../../event-models';
import { EventsService } from '../events/events.service';

interface SubmitJob {
  name?: string;
  userId?: string;
  /** Lifecycle steps to emit after `job.submitted`. Default: queued, running, completed. */
  steps?: string[];
}

@Controller('jobs')
export class JobsController {
  constructor(private readonly events: EventsService) {}

  /** Submits a job: emits its lifecycle events (keyed by job id), metrics, a notification and an audit event. */
  @Post()
  @HttpCode(202)
  async submit(@Body() body: SubmitJob) {
    const steps = body?.steps ?? ['queued', 'running', 'completed'];
    if (!Array.isArray(steps) || steps.some((s) => typeof s !== 'string')) throw new BadRequestException('steps must be strings');
    const jobId = `job-${randomUUID()}`;
    const correlationId = randomUUID();
    const userId = body?.userId ?? 'anonymous';
    const event = (type: string, payload: Record<string, unknown>): EventBase => ({
      event_id: randomUUID(),
      event_type: type,
      timestamp: new Date().toISOString(),
      correlation_id: correlationId,
      user_id: userId,
      schema_version: 1,
      payload,
    });
    const lifecycle = [];
    for (const step of ['submitted', ...steps]) {
      // Awaited one by one: the broker sees a job's events in the order they happened.
      lifecycle.push(await this.events.publishJobLifecycleEvent(event(`job.${step}`, { job_id: jobId, name: body?.name ?? 'unnamed' }), jobId));
    }
    await Promise.all([
      this.events.publishJobMetrics({ job_id: jobId, cpu: 0.42, gpu: 0.9, memory_mb: 2048 }, jobId),
      this.events.publishNotificationEvent(event('notification.job_submitted', { job_id: jobId, user_id: userId })),
      this.events.publishAuditEvent(event('audit.job_submitted', { job_id: jobId }), jobId),
    ]);
    return {
      jobId,
      correlationId,
      partition: lifecycle[0].partition,
      events: lifecycle.map((r) => ({ partition: r.partition, offset: r.offset })),
    };
  }
}
