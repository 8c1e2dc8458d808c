'use strict';

// The native transport (@cosmic-horizons/kafka-native/microservices) against NestJS's stock
// Transport.KAFKA on real kafkajs, both ways: a stock ClientKafka calls a KafkaNativeServer, and a
// KafkaNativeClient calls a stock ServerKafka; plus the client's timeout, close/connect, and
// KafkaNativeClientsModule.

const path = require('path');
const { lastValueFrom } = require('rxjs');
const { describeOn, waitFor, uniquePrefix, dist } = require('./cluster');

module.exports = function microservices(cluster) {
  describeOn(cluster, `microservices transport interop (${cluster.real ? 'Apache Kafka' : 'mock cluster'})`, () => {
    const { NestFactory } = require('@nestjs/core');
    const { Module, Inject, Injectable } = require('@nestjs/common');
    const { ClientProxyFactory, Transport } = require('@nestjs/microservices');
    const { appModule, createTopics, topicsOf, quiet } = require('./nest-app');
    const native = () => require(path.join(dist, 'microservices'));
    const closers = [];
    afterAll(async () => {
      for (const close of closers.reverse()) await close().catch(() => {});
    });

    const stockClient = (prefix, patterns) => {
      const client = ClientProxyFactory.create({
        transport: Transport.KAFKA,
        options: {
          client: { clientId: prefix, brokers: cluster.brokers, logLevel: 0 },
          consumer: { groupId: prefix },
          subscribe: { fromBeginning: true },
        },
      });
      for (const p of patterns) client.subscribeToResponseOf(p);
      closers.push(() => client.close());
      return client;
    };
    const nativeClient = (prefix, patterns, extra = {}) => {
      const client = new (native().KafkaNativeClient)({
        client: { brokers: cluster.brokers, clientId: prefix },
        groupId: prefix,
        subscribe: { fromBeginning: true },
        ...extra,
      });
      for (const p of patterns) client.subscribeToResponseOf(p);
      closers.push(() => client.close());
      return client;
    };

    test('a stock Transport.KAFKA client (real kafkajs) calls a KafkaNativeServer', async () => {
      const prefix = uniquePrefix('native-server');
      const t = topicsOf(prefix);
      await createTopics(cluster, prefix, 3);
      const received = [];
      const app = await NestFactory.createMicroservice(appModule(prefix, received), {
        logger: quiet,
        strategy: new (native().KafkaNativeServer)({ client: { brokers: cluster.brokers, clientId: prefix }, groupId: prefix, subscribe: { fromBeginning: true, concurrency: 3 } }),
      });
      closers.push(() => app.close());
      await app.listen();
      const client = stockClient(prefix, [t.sum, t.whoami, t.fail]);
      await client.connect();
      expect(client.unwrap()).toBeInstanceOf(require('kafkajs').Kafka);
      await expect(lastValueFrom(client.send(t.sum, [20, 22]))).resolves.toBe('42');
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => lastValueFrom(client.send(t.whoami, { key: `k${i}`, value: { i } }))));
      replies.forEach((r, i) => expect(r).toMatchObject({ data: { i }, topic: t.whoami, messageKey: `k${i}` }));
      expect(new Set(replies.map((r) => r.partition)).size).toBeGreaterThan(1);
      // A handler's exception comes back through kafka_nest-err, as from a stock server.
      await expect(lastValueFrom(client.send(t.fail, {}))).rejects.toMatchObject({ message: 'no such thing' });
      await lastValueFrom(client.emit(t.events, { n: 1 }));
      await lastValueFrom(client.emit(t.audit, { n: 2 }));
      await waitFor(() => received.length >= 2, 60000, 'the events');
      expect(received).toEqual(expect.arrayContaining([{ topic: t.events, data: { n: 1 } }, { topic: t.audit, data: { n: 2 } }]));
    });

    test('a KafkaNativeClient calls a stock ServerKafka (real kafkajs): send, emit, errors, timeout, reconnect', async () => {
      const prefix = uniquePrefix('stock-server');
      const t = topicsOf(prefix);
      await createTopics(cluster, prefix, 3);
      const received = [];
      const app = await NestFactory.createMicroservice(appModule(prefix, received), {
        logger: quiet,
        transport: Transport.KAFKA,
        options: { client: { clientId: prefix, brokers: cluster.brokers, logLevel: 0 }, consumer: { groupId: prefix }, subscribe: { fromBeginning: true } },
      });
      closers.push(() => app.close());
      await app.listen();
      const client = nativeClient(prefix, [t.sum, t.whoami, t.fail], { requestTimeoutMs: 60000 });
      await client.connect();
      await expect(lastValueFrom(client.send(t.sum, [1, 2, 3]))).resolves.toBe('6');
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => lastValueFrom(client.send(t.whoami, { key: `k${i}`, value: { i } }))));
      replies.forEach((r, i) => expect(r).toMatchObject({ data: { i }, topic: t.whoami, messageKey: `k${i}` }));
      await expect(lastValueFrom(client.send(t.fail, {}))).rejects.toMatchObject({ message: 'no such thing' });
      await lastValueFrom(client.emit(t.events, { n: 3 }));
      await waitFor(() => received.length >= 1, 60000, 'the event');
      expect(received).toEqual([{ topic: t.events, data: { n: 3 } }]);

      // Closed with requests in flight, connected again: the replies still settle them.
      let settled = 0;
      const inFlight = [[1, 1], [2, 2]].map((pair) => lastValueFrom(client.send(t.sum, pair)).finally(() => (settled += 1)));
      // Sent: waiting for a reply (in the routing map) or already answered.
      await waitFor(() => client.routingMap.size + settled === 2, 10000, 'both requests to be sent');
      await client.close();
      await client.connect();
      await expect(lastValueFrom(client.send(t.sum, [5, 5]))).resolves.toBe('10');
      await expect(Promise.all(inFlight)).resolves.toEqual(['2', '4']);

      // A pattern nobody answers: the client's timeout ends the request with ERR__TIMED_OUT.
      const silent = `${prefix}.silent`;
      await cluster.topicNamed(silent, 1);
      await cluster.topicNamed(`${silent}.reply`, 1);
      const shortClient = nativeClient(`${prefix}-short`, [silent], { requestTimeoutMs: 1500 });
      await shortClient.connect();
      await expect(lastValueFrom(shortClient.send(silent, {}))).rejects.toMatchObject({ code: 'ERR__TIMED_OUT' });
    });

    test('KafkaNativeClientsModule.register provides connected clients by token', async () => {
      const { KafkaNativeClientsModule, KafkaNativeClient, KafkaNativeServer } = native();
      const prefix = uniquePrefix('module');
      const t = topicsOf(prefix);
      await createTopics(cluster, prefix, 1);
      const server = await NestFactory.createMicroservice(appModule(prefix, []), {
        logger: quiet,
        strategy: new KafkaNativeServer({ client: { brokers: cluster.brokers }, groupId: prefix, subscribe: { fromBeginning: true } }),
      });
      closers.push(() => server.close());
      await server.listen();
      class Caller {
        constructor(client) {
          this.client = client;
        }
      }
      Injectable()(Caller);
      Inject('MATH')(Caller, undefined, 0);
      class CallerModule {}
      Module({
        imports: [KafkaNativeClientsModule.register([{ name: 'MATH', options: { client: { brokers: cluster.brokers }, groupId: prefix, subscribe: { fromBeginning: true } }, responsePatterns: [t.sum] }])],
        providers: [Caller],
      })(CallerModule);
      const app = await NestFactory.createApplicationContext(CallerModule, { logger: quiet });
      closers.push(() => app.close());
      const { client } = app.get(Caller);
      expect(client).toBeInstanceOf(KafkaNativeClient);
      await expect(lastValueFrom(client.send(t.sum, [3, 4]))).resolves.toBe('7');
    });
  });
};
