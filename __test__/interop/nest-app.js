'use strict';

// The NestJS microservice the interop suites run: one controller answering request–response
// patterns and recording events, on topics named from a per-suite prefix. Plain JS: decorators
// are applied as calls.

require('reflect-metadata');
const { Controller, Module } = require('@nestjs/common');
const { MessagePattern, EventPattern, Payload, Ctx, RpcException } = require('@nestjs/microservices');

/** Topic names of one suite: `sum`, `whoami` (request–response), `events` and `audit` (events). */
function topicsOf(prefix) {
  return { sum: `${prefix}.sum`, whoami: `${prefix}.whoami`, fail: `${prefix}.fail`, events: `${prefix}.events`, audit: `${prefix}.audit` };
}

/**
 * A module with the controller: `sum` answers the sum of an array, `whoami` answers the topic and
 * partition it was consumed from (from the KafkaContext), `fail` throws; `events` and `audit`
 * push what they receive into `received`.
 */
function appModule(prefix, received) {
  const t = topicsOf(prefix);
  class MathController {
    sum(numbers) {
      return numbers.reduce((a, b) => a + b, 0);
    }
    whoami(data, context) {
      return { data, topic: context.getTopic(), partition: context.getPartition(), messageKey: context.getMessage().key };
    }
    fail() {
      throw new RpcException('no such thing');
    }
    onEvent(data, context) {
      received.push({ topic: context.getTopic(), data });
    }
    onAudit(data, context) {
      received.push({ topic: context.getTopic(), data });
    }
  }
  const decorate = (method, decorators) => {
    const descriptor = Object.getOwnPropertyDescriptor(MathController.prototype, method);
    for (const d of decorators) d(MathController.prototype, method, descriptor);
  };
  decorate('sum', [MessagePattern(t.sum)]);
  decorate('whoami', [MessagePattern(t.whoami)]);
  decorate('fail', [MessagePattern(t.fail)]);
  decorate('onEvent', [EventPattern(t.events)]);
  decorate('onAudit', [EventPattern(t.audit)]);
  Payload()(MathController.prototype, 'whoami', 0);
  Ctx()(MathController.prototype, 'whoami', 1);
  Payload()(MathController.prototype, 'onEvent', 0);
  Ctx()(MathController.prototype, 'onEvent', 1);
  Payload()(MathController.prototype, 'onAudit', 0);
  Ctx()(MathController.prototype, 'onAudit', 1);
  Reflect.defineMetadata('design:paramtypes', [Object, Object], MathController.prototype, 'whoami');
  Controller()(MathController);
  class AppModule {}
  Module({ controllers: [MathController] })(AppModule);
  return AppModule;
}

/** Creates the suite's topics: request topics of `partitions`, their `.reply` topics, events. */
async function createTopics(cluster, prefix, partitions) {
  const t = topicsOf(prefix);
  for (const name of [t.sum, t.whoami, t.fail]) {
    await cluster.topicNamed(name, partitions);
    await cluster.topicNamed(`${name}.reply`, partitions);
  }
  await cluster.topicNamed(t.events, partitions);
  await cluster.topicNamed(t.audit, 1);
}

/** Nest's logger, silenced (the suites assert behaviour, not log lines). */
const quiet = { log() {}, error() {}, warn() {}, debug() {}, verbose() {}, fatal() {} };

module.exports = { topicsOf, appModule, createTopics, quiet };
