'use strict';

// Seed 003's MessagingIntegrationService, as written for kafkajs: a Transport.KAFKA client with
// kafkajs' LegacyPartitioner emitting element telemetry to `element.raw_data`, keyed by element.
// Nothing here names kafka-native: package.json resolves `kafkajs` to its facade.

const { ClientProxyFactory, Transport } = require('@nestjs/microservices');
const { Partitioners } = require('kafkajs');
const { lastValueFrom } = require('rxjs');

const RAW_DATA_TOPIC = 'element.raw_data';

class TelemetryService {
  /** `config`: anything with `get(key)` (ConfigService) giving KAFKA_BROKERS or KAFKA_HOST/KAFKA_PORT. */
  constructor(config, topic = RAW_DATA_TOPIC) {
    this.topic = topic;
    const brokers = config.get('KAFKA_BROKERS') ? config.get('KAFKA_BROKERS').split(',') : [`${config.get('KAFKA_HOST')}:${config.get('KAFKA_PORT')}`];
    this.kafkaClient = ClientProxyFactory.create({
      transport: Transport.KAFKA,
      options: {
        client: { clientId: 'cosmic-horizons-array-element', brokers, retry: { initialRetryTime: 1000, retries: 10 } },
        producer: { allowAutoTopicCreation: true, createPartitioner: Partitioners.LegacyPartitioner },
        producerOnlyMode: true,
      },
    });
  }

  /** Emits one packet, keyed by its element so that an element's packets stay in order. */
  emitTelemetry(packet) {
    return lastValueFrom(
      this.kafkaClient.emit(this.topic, { key: packet.elementId, value: { ...packet, data_chunk: 'base64_simulated_payload_representing_visibilities' } }),
    );
  }

  close() {
    return this.kafkaClient.close();
  }
}

module.exports = { TelemetryService, RAW_DATA_TOPIC };
