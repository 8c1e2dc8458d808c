'use strict';

// dashboards/kafka-native.json (Grafana) refers only to metric names the engine emits: every name in
// its queries is a family of a real service's metrics() (histogram series by their _bucket / _sum /
// _count), with the labels that family has, and every family is on some panel.

const fs = require('fs');
const path = require('path');
const parsePrometheus = require('parse-prometheus-text-format');
const { useMockCluster } = require('./helpers');

const cluster = useMockCluster();
const dashboard = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'dashboards', 'kafka-native.json'), 'utf8'));

/** Every PromQL expression of the dashboard: panel targets and template variable queries. */
function expressions() {
  const out = [];
  for (const panel of dashboard.panels) for (const t of panel.targets || []) out.push(t.expr);
  for (const v of dashboard.templating.list) if (v.type === 'query') out.push(v.query.query);
  return out;
}

/** The names of kafka-native series an expression reads (`__name__` regexps expanded). */
function seriesNames(expr, families) {
  const regexp = /__name__=~"([^"]+)"/.exec(expr);
  const names = expr.replace(/__name__=~"[^"]+"/, '').match(/\bkafka_native_[a-z0-9_]+/g) || [];
  if (regexp) names.push(...families.filter((f) => new RegExp(`^(?:${regexp[1]})$`).test(f)));
  return names;
}

test('every metric the dashboard queries is emitted, with the labels it groups by', async () => {
  const service = cluster.service();
  const emitted = parsePrometheus(service.metrics());
  const families = emitted.map((f) => f.name);
  const labelsOf = {
    // Labels each family carries (from the engine's exposition with data; the idle service has
    // no samples, so they are listed here and checked against a loaded service in metrics.test.js).
    topic: ['kafka_native_messages_sent_total', 'kafka_native_sent_bytes_total', 'kafka_native_messages_acknowledged_total', 'kafka_native_publish_errors_total', 'kafka_native_publish_ack_duration_seconds', 'kafka_native_messages_processed_total', 'kafka_native_handler_failures_total', 'kafka_native_handler_duration_seconds', 'kafka_native_end_to_end_duration_seconds', 'kafka_native_consumer_lag_messages', 'kafka_native_consumer_fetch_queue_messages'],
    partition: ['kafka_native_consumer_lag_messages', 'kafka_native_consumer_fetch_queue_messages'],
    code: ['kafka_native_publish_errors_total'],
    kind: ['kafka_native_rebalances_total'],
    broker: ['kafka_native_broker_up', 'kafka_native_broker_state', 'kafka_native_broker_rtt_avg_seconds', 'kafka_native_broker_rtt_p99_seconds', 'kafka_native_broker_outbuf_requests', 'kafka_native_broker_waitresp_requests', 'kafka_native_broker_errors_total', 'kafka_native_broker_connects_total'],
    state: ['kafka_native_broker_state'],
    direction: ['kafka_native_broker_errors_total'],
  };
  const histograms = new Set(emitted.filter((f) => f.type === 'HISTOGRAM').map((f) => f.name));
  const used = new Set();
  const exprs = expressions();
  expect(exprs.length).toBeGreaterThan(15);
  for (const expr of exprs) {
    const names = seriesNames(expr, families);
    expect({ expr, names: names.length > 0 }).toEqual({ expr, names: true });
    for (const name of names) {
      const family = name.replace(/_(bucket|sum|count)$/, (suffix) => (histograms.has(name.slice(0, -suffix.length)) ? '' : suffix));
      expect({ expr, family, emitted: families.includes(family) }).toEqual({ expr, family, emitted: true });
      if (name.endsWith('_bucket')) expect(histograms.has(family)).toBe(true);
      used.add(family);
      // Labels it groups or filters by (besides Prometheus' own job/instance and le).
      const labels = [...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => m[1].split(',').map((s) => s.trim()));
      labels.push(...[...expr.matchAll(/([a-z_]+)(?:=~|!=|=)"/g)].map((m) => m[1]));
      for (const label of labels.filter((l) => !['job', 'instance', 'le', '__name__'].includes(l))) {
        if (names.length === 1) expect({ expr, label, family, has: (labelsOf[label] || []).includes(family) }).toEqual({ expr, label, family, has: true });
      }
    }
  }
  expect([...used].sort()).toEqual([...families].sort());
  for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
    expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    expect(panel.targets.length).toBeGreaterThan(0);
  }
});
