import { Module } from '@nestjs/common';
import { EventLog } from './event-log.service';

/** One `EventLog` shared by the events controller and whichever processor runs. */
@Module({ providers: [EventLog], exports: [EventLog] })
export class EventLogModule {}
