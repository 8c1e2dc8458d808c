'use strict';
// kafkajs, as far as this application (and NestJS's Transport.KAFKA) is concerned.
module.exports = require('@cosmic-horizons/kafka-native/kafkajs');
