'use strict';

// Seed 004's notification producer: session and concept notifications through a Transport.KAFKA
// client with LegacyPartitioner, one message per user keyed by user id.

const { ClientProxyFactory, Transport } = require('@nestjs/microservices');
const { Partitioners } = require('kafkajs');
const { lastValueFrom } = require('rxjs');

class NotificationService {
  /** `config`: anything with `get(key)` giving the seed's KAFKA_BROKERS and KAFKA_CLIENT_ID. */
  constructor(config, topics = { session: 'session-notifications', concept: 'concept-notifications' }) {
    this.topics = topics;
    this.client = ClientProxyFactory.create({
      transport: Transport.KAFKA,
      options: {
        client: {
          clientId: config.get('KAFKA_CLIENT_ID') || 'realtime-service',
          brokers: config.get('KAFKA_BROKERS').split(','),
          connectionTimeout: Number(config.get('KAFKA_CONNECTION_TIMEOUT') || 3000),
          requestTimeout: Number(config.get('KAFKA_REQUEST_TIMEOUT') || 25000),
          retry: { initialRetryTime: Number(config.get('KAFKA_RETRY_INITIAL_RETRY_TIME') || 100), retries: Number(config.get('KAFKA_RETRY_RETRIES') || 8) },
        },
        producer: { createPartitioner: Partitioners.LegacyPartitioner },
        producerOnlyMode: true,
      },
    });
  }

  sendSessionStartSoonNotification({ sessionId, userIds, message, scheduledTime }) {
    return this.each(this.topics.session, userIds, (userId) => ({ type: 'session_starting_soon', sessionId, userId, message, scheduledTime }));
  }

  sendConceptMasteredNotification({ conceptId, userIds, conceptName, masteryLevel }) {
    return this.each(this.topics.concept, userIds, (userId) => ({ type: 'concept_mastered', conceptId, userId, conceptName, masteryLevel }));
  }

  close() {
    return this.client.close();
  }

  each(topic, userIds, build) {
    return Promise.all(userIds.map((userId) => lastValueFrom(this.client.emit(topic, { key: userId, value: build(userId) }))));
  }
}

module.exports = { NotificationService };
