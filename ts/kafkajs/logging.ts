// kafkajs logging (`logLevel`, `logCreator`, `kafka.logger()`) on top of the engine's `logger`
// callback: engine records become kafkajs `LogEntry`s with the namespace of their source.

import type { LogRecord } from '../native/binding';
import { logLevel } from './enums';
import type { LogEntry, Logger, logCreator } from './types';

const LABELS: Record<number, string> = {
  [logLevel.ERROR]: 'ERROR',
  [logLevel.WARN]: 'WARN',
  [logLevel.INFO]: 'INFO',
  [logLevel.DEBUG]: 'DEBUG',
};

/** The engine's level name for a kafkajs level (`NOTHING` keeps `error` and drops it in JS). */
export function engineLevel(level: logLevel): 'error' | 'warn' | 'info' | 'debug' {
  if (level >= logLevel.DEBUG) return 'debug';
  if (level >= logLevel.INFO) return 'info';
  if (level >= logLevel.WARN) return 'warn';
  return 'error';
}

function kafkajsLevel(level: LogRecord['level']): logLevel {
  switch (level) {
    case 'error':
      return logLevel.ERROR;
    case 'warn':
      return logLevel.WARN;
    case 'info':
      return logLevel.INFO;
    default:
      return logLevel.DEBUG;
  }
}

/** kafkajs' default log creator: one JSON line per entry on the console. */
export const defaultLogCreator: logCreator = () => (entry: LogEntry) => {
  const { timestamp, message, ...extra } = entry.log;
  const line = JSON.stringify({ level: entry.label, timestamp, logger: 'kafkajs', message, ...extra });
  if (entry.level === logLevel.ERROR) console.error(line);
  else if (entry.level === logLevel.WARN) console.warn(line);
  else console.log(line);
};

// librdkafka warns once per client about properties of the other client type (every engine
// service owns a producer, and a consumer's settings reach it too): expected, so not forwarded.
const EXPECTED_NOISE = /is a (consumer|producer) property and will be ignored by this (producer|consumer) instance/;

/** Where a `Kafka` instance's log lines go: the engine's callback and `kafka.logger()`. */
export class LogSink {
  private level: logLevel;
  private readonly write: (entry: LogEntry) => void;

  constructor(level: logLevel | undefined, creator: logCreator | undefined) {
    this.level = level ?? logLevel.INFO;
    this.write = (creator ?? defaultLogCreator)(this.level);
  }

  get engineLevel(): 'error' | 'warn' | 'info' | 'debug' {
    return engineLevel(this.level);
  }

  /** The engine's `logger` callback. */
  readonly engineLogger = (record: LogRecord): void => {
    const level = kafkajsLevel(record.level);
    if (EXPECTED_NOISE.test(record.message)) return;
    this.emit(record.source, level, record.message, { facility: record.facility, clientId: record.clientId });
  };

  emit(namespace: string, level: logLevel, message: string, extra: object = {}): void {
    if (this.level === logLevel.NOTHING || level > this.level) return;
    try {
      this.write({
        namespace,
        level,
        label: LABELS[level] ?? 'INFO',
        log: { timestamp: new Date().toISOString(), logger: 'kafka-native', message, ...extra },
      });
    } catch {
      // A log creator that throws loses its line, never the client's work.
    }
  }

  logger(namespace = 'kafkajs'): Logger {
    const at = (level: logLevel) => (message: string, extra?: object) => this.emit(namespace, level, message, extra);
    return {
      info: at(logLevel.INFO),
      error: at(logLevel.ERROR),
      warn: at(logLevel.WARN),
      debug: at(logLevel.DEBUG),
      namespace: (ns: string) => this.logger(ns),
      setLogLevel: (level: logLevel) => {
        this.level = level;
      },
    };
  }
}
