export * from '@cosmic-horizons/kafka-native/kafkajs';
