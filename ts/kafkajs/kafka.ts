// kafkajs' `Kafka` entry point: holds the client configuration and creates producers, consumers
// and admin clients, each backed by its own engine `KafkaService`.

import { KafkaService } from '../native/binding';
import { Admin } from './admin';
import { checkKafkaConfig, nativeConfig } from './config';
import { Consumer } from './consumer';
import { toKafkaJSError } from './errors';
import { LogSink } from './logging';
import { Producer, type ClientFactory } from './producer';
import type { AdminConfig, ConsumerConfig, KafkaConfig, Logger, ProducerConfig } from './types';

export class Kafka {
  private readonly factory: ClientFactory;
  private readonly log: LogSink;

  /** Throws `KafkaJSNonRetriableError` for a config without brokers, `KafkaJSNotImplemented` for an unsupported option. */
  constructor(config: KafkaConfig) {
    checkKafkaConfig(config);
    const kafkaConfig = { ...config };
    this.log = new LogSink(config.logLevel, config.logCreator);
    const log = this.log;
    this.factory = {
      log,
      clientId: config.clientId ?? 'kafkajs',
      async service(own) {
        try {
          return new KafkaService(await nativeConfig(kafkaConfig, log, own));
        } catch (e) {
          throw toKafkaJSError(e);
        }
      },
    };
  }

  producer(config?: ProducerConfig): Producer {
    return new Producer(this.factory, config);
  }

  consumer(config: ConsumerConfig): Consumer {
    return new Consumer(this.factory, config);
  }

  admin(config?: AdminConfig): Admin {
    return new Admin(this.factory, config);
  }

  logger(): Logger {
    return this.log.logger('kafkajs');
  }
}
