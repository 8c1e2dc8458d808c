import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { KafkaNativeModule, kafkaOptionsFromConfig } from '@cosmic-horizons/kafka-native/nestjs';
import { HealthController } from './health/health.controller';
import { EventsModule } from './modules/events/events.module';
import { JobsController } from './modules/jobs/jobs.controller';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    KafkaNativeModule.forRootAsync({
      global: true,
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) =>
        kafkaOptionsFromConfig(config, {
          clientId: config.get('KAFKA_CLIENT_ID') ?? 'cosmic-horizons-api',
          producer: { idempotent: true, compression: 'gzip' },
        }),
    }),
    TerminusModule,
    EventsModule,
  ],
  controllers: [HealthController, JobsController],
})
export class AppModule {}
