'use strict';

// NestJS's own Transport.KAFKA (ServerKafka and ClientKafka of @nestjs/microservices) with
// `kafkajs` resolved to @cosmic-horizons/kafka-native/kafkajs, as an application resolves it with
// an npm override: events, request–response with replies, concurrent requests across
// partitions, a client closed and reconnected with requests in flight, several topics per consumer.

const path = require('path');
const { describeOn, waitFor, uniquePrefix, dist } = require('./cluster');

module.exports = function nestTransport(cluster) {
  describeOn(cluster, `NestJS Transport.KAFKA over the facade (${cluster.real ? 'Apache Kafka' : 'mock cluster'})`, () => {
    let nest;
    let t;
    let app;
    let client;
    const received = [];
    const prefix = uniquePrefix('nest');

    const clientOf = () => {
      const { ClientProxyFactory, Transport } = nest.microservices;
      return ClientProxyFactory.create({
        transport: Transport.KAFKA,
        options: {
          client: { clientId: prefix, brokers: cluster.brokers },
          consumer: { groupId: prefix },
          subscribe: { fromBeginning: true },
          producer: { createPartitioner: nest.kafkajs.Partitioners.LegacyPartitioner },
        },
      });
    };

    beforeAll(async () => {
      // What `"overrides": {"kafkajs": ...}` does for an application: every require('kafkajs'),
      // NestJS's own included, gets the facade.
      jest.doMock('kafkajs', () => require(path.join(dist, 'kafkajs')));
      nest = {
        core: require('@nestjs/core'),
        microservices: require('@nestjs/microservices'),
        kafkajs: require('kafkajs'),
        app: require('./nest-app'),
      };
      t = nest.app.topicsOf(prefix);
      await nest.app.createTopics(cluster, prefix, 3);
      const { Transport } = nest.microservices;
      app = await nest.core.NestFactory.createMicroservice(nest.app.appModule(prefix, received), {
        logger: nest.app.quiet,
        transport: Transport.KAFKA,
        options: { client: { clientId: prefix, brokers: cluster.brokers }, consumer: { groupId: prefix }, subscribe: { fromBeginning: true } },
      });
      await app.listen();
      client = clientOf();
      for (const pattern of [t.sum, t.whoami, t.fail]) client.subscribeToResponseOf(pattern);
      await client.connect();
    });

    afterAll(async () => {
      await client?.close();
      await app?.close();
      jest.dontMock('kafkajs');
    });

    test('the stock transport runs on the facade', () => {
      expect(client.unwrap()).toBeInstanceOf(require(path.join(dist, 'kafkajs')).Kafka);
    });

    test('request–response: a @MessagePattern answers on the reply topic', async () => {
      const { lastValueFrom } = require('rxjs');
      await expect(lastValueFrom(client.send(t.sum, [1, 2, 3]))).resolves.toBe('6'); // NestJS's serializer sends a number as its string
      await expect(lastValueFrom(client.send(t.fail, {}))).rejects.toMatchObject({ message: expect.any(String) });
    });

    test('concurrent requests across partitions each get their own reply', async () => {
      const { lastValueFrom } = require('rxjs');
      const replies = await Promise.all(
        Array.from({ length: 30 }, (_, i) => lastValueFrom(client.send(t.whoami, { key: `k${i}`, value: { i } }))),
      );
      replies.forEach((r, i) => expect(r).toMatchObject({ data: { i }, topic: t.whoami, messageKey: `k${i}` }));
      expect(new Set(replies.map((r) => r.partition)).size).toBeGreaterThan(1);
    });

    test('events reach @EventPattern handlers of several topics on one consumer', async () => {
      await Promise.all([
        require('rxjs').lastValueFrom(client.emit(t.events, { n: 1 })),
        require('rxjs').lastValueFrom(client.emit(t.audit, { n: 2 })),
      ]);
      await waitFor(() => received.length >= 2, 60000, 'both events');
      expect(received).toEqual(expect.arrayContaining([{ topic: t.events, data: { n: 1 } }, { topic: t.audit, data: { n: 2 } }]));
    });

    test('a client closed with requests in flight reconnects, and requests succeed again', async () => {
      const { lastValueFrom } = require('rxjs');
      let settled = 0;
      const inFlight = Array.from({ length: 5 }, (_, i) => lastValueFrom(client.send(t.sum, [i, 1])).finally(() => (settled += 1)));
      // Sent: waiting for a reply (in the routing map) or already answered.
      await waitFor(() => client.routingMap.size + settled === 5, 10000, 'the requests to be sent');
      await client.close();
      await client.connect();
      await expect(lastValueFrom(client.send(t.sum, [40, 2]))).resolves.toBe('42');
      // The requests sent before the close were answered on the reply topic; the reconnected
      // member of the client's group reads those replies and settles them.
      await expect(Promise.all(inFlight)).resolves.toEqual(['1', '2', '3', '4', '5']);
    });
  });
};
