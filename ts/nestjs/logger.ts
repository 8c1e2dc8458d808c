// Engine log records delivered to Nest's `Logger`: error → error, warn → warn, info → log,
// debug → debug, trace → verbose, with the context `KafkaNative:<source>`.

import { Logger } from '@nestjs/common';
import type { LogRecord } from '../native/binding';

/** A `logger` callback for `KafkaConfig` that writes through Nest's `Logger`. */
export function nestLogBridge(): (record: LogRecord) => void {
  const loggers = new Map<string, Logger>();
  return (record: LogRecord) => {
    let logger = loggers.get(record.source);
    if (!logger) loggers.set(record.source, (logger = new Logger(`KafkaNative:${record.source}`)));
    const line = record.facility ? `[${record.facility}] ${record.message}` : record.message;
    switch (record.level) {
      case 'error':
        logger.error(line);
        break;
      case 'warn':
        logger.warn(line);
        break;
      case 'info':
        logger.log(line);
        break;
      case 'debug':
        logger.debug(line);
        break;
      default:
        logger.verbose(line);
    }
  };
}
