// The event envelope of @cosmic-horizons/event-models, as the seeds use it.

export interface EventBase {
  event_id: string;
  event_type: string;
  timestamp: string;
  correlation_id: string;
  user_id: string;
  schema_version: number;
  payload: Record<string, unknown>;
}
