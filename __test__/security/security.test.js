'use strict';

// TLS and SASL against a real Apache Kafka started with `scripts/kafka/up.sh --security`
// (scripts/test-security.sh starts it). The broker's ports, certificates and users are read from
// the run dir's security.json (KAFKA_SECURITY_INFO). A connection that cannot work must fail at
// once with a typed error: every connect below allows a minute, and each test has 30 s.

const fs = require('fs');
const path = require('path');
const { KafkaService, uniqueName, waitFor, expectKafkaError } = require('../helpers');

const infoFile =
  process.env.KAFKA_SECURITY_INFO ||
  path.join(`${process.env.KAFKA_NATIVE_RUN_DIR || path.join(process.env.TMPDIR || '/tmp', 'kafka-native-kafka')}-secure`, 'security.json');
const info = JSON.parse(fs.readFileSync(infoFile, 'utf8'));
const read = (f) => fs.readFileSync(f, 'utf8');
const ca = read(info.caFile);
const [alice, bob] = info.users;
const WRONG_PASSWORD = 'wrong-pw-Jd72mQx5';
const PASSPHRASE = info.clientKeyPassphrase;
const KEY_LINE = read(info.clientKeyFile).split('\n')[1];

// Every secret a test hands to the client; none may appear in a log line, an error or stats().
const SECRETS = [alice.password, bob.password, WRONG_PASSWORD, PASSPHRASE, KEY_LINE];

jest.setTimeout(30000);

const services = [];
const logs = [];

/** A service that logs everything librdkafka says about connections and security. */
function service(config) {
  const s = new KafkaService({
    clientId: uniqueName('sec'),
    connectionTimeoutMs: 60000,
    logLevel: 'debug',
    librdkafka: { debug: 'broker,security,protocol,conf,generic' },
    logger: (r) => logs.push(r),
    ...config,
  });
  services.push(s);
  return s;
}

function assertNoSecrets(text, where) {
  for (const secret of SECRETS) {
    if (text.includes(secret)) throw new Error(`a secret appeared in ${where}: ...${text.slice(Math.max(0, text.indexOf(secret) - 80), text.indexOf(secret))}...`);
  }
}

async function connectError(config) {
  const s = service(config);
  let error;
  try {
    await s.connect();
  } catch (e) {
    error = e;
  }
  if (!error) throw new Error('connect() resolved, expected a rejection');
  assertNoSecrets(`${error.message} ${error.stack} ${JSON.stringify(error)}`, 'an error');
  assertNoSecrets(JSON.stringify(s.stats()), 'stats()');
  return { s, error };
}

afterAll(async () => {
  await Promise.all(services.map((s) => s.disconnect({ timeoutMs: 2000 }).catch(() => {})));
  // After everything ran: not one record of librdkafka's debug output carried a secret.
  expect(logs.length).toBeGreaterThan(100);
  for (const r of logs) assertNoSecrets(`${r.facility} ${r.message}`, `the log (${r.source}/${r.facility})`);
});

async function roundTrip(config) {
  const s = service(config);
  const info = await s.connect();
  expect(info.brokers.length).toBeGreaterThan(0);
  const topic = uniqueName('secure');
  const values = Array.from({ length: 20 }, (_, i) => `m${i}`);
  const results = await s.publishBatch(topic, values.map((value, i) => ({ key: `k${i % 3}`, value })));
  for (const r of results) expect(r.error).toBeUndefined();
  const seen = [];
  const sub = await s.subscribe({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true }, {
    eachMessage: async ({ message }) => {
      seen.push(message.value.toString());
    },
  });
  await waitFor(() => seen.length >= values.length, 25000, 'all messages consumed');
  await sub.stop();
  expect(seen.sort()).toEqual([...values].sort());
  assertNoSecrets(JSON.stringify(s.stats()), 'stats()');
  return s;
}

describe('SASL_SSL', () => {
  for (const mechanism of info.mechanisms) {
    test(`${mechanism}: connect, publish and consume`, async () => {
      await roundTrip({ brokers: info.saslSsl, ssl: { ca }, sasl: { mechanism, username: alice.username, password: alice.password } });
    });
  }

  for (const mechanism of info.mechanisms) {
    test(`${mechanism}: a wrong password fails fast with ERR__AUTHENTICATION`, async () => {
      const { s, error } = await connectError({
        brokers: info.saslSsl,
        ssl: { ca },
        sasl: { mechanism, username: alice.username, password: WRONG_PASSWORD },
      });
      expectKafkaError(error, 'ERR__AUTHENTICATION');
      expect(error.retriable).toBe(false);
      expect(error.fatal).toBe(false);
      expect(s.stats().state).toBe('idle');
    });
  }

  test('publish() with a wrong password rejects with ERR__AUTHENTICATION, not after messageTimeoutMs', async () => {
    // No connect() first: the publishes queue, the broker refuses the login, and the queued
    // messages are failed with that reason. messageTimeoutMs is far beyond the test's timeout, so
    // only the authentication failure can settle them in time.
    const s = service({
      brokers: info.saslSsl,
      ssl: { ca },
      sasl: { mechanism: 'scram-sha-256', username: alice.username, password: WRONG_PASSWORD },
      producer: { messageTimeoutMs: 600000 },
    });
    const outcomes = await Promise.allSettled([
      s.publish('secure-orders', { key: 'k', value: 'v1' }),
      s.publishBatch('secure-orders', [{ value: 'v2' }, { value: 'v3' }]),
    ]);
    const error = outcomes[0].reason;
    expectKafkaError(error, 'ERR__AUTHENTICATION');
    expect(error.retriable).toBe(false);
    expect(error.topic).toBe('secure-orders');
    const slots = outcomes[1].value;
    expect(slots.map((r) => r.error && r.error.code)).toEqual(['ERR__AUTHENTICATION', 'ERR__AUTHENTICATION']);
    assertNoSecrets(`${error.message} ${error.stack} ${JSON.stringify(slots)}`, 'an error');
    expect(s.stats().producer.acknowledged).toBe(0);
  });

  test('an unknown user fails with ERR__AUTHENTICATION', async () => {
    const { error } = await connectError({
      brokers: info.saslSsl,
      ssl: { ca },
      sasl: { mechanism: 'scram-sha-512', username: uniqueName('nobody'), password: WRONG_PASSWORD },
    });
    expectKafkaError(error, 'ERR__AUTHENTICATION');
  });

  test('a broker certificate from an unknown CA fails fast with ERR__SSL', async () => {
    const { error } = await connectError({
      brokers: info.saslSsl,
      ssl: { ca: read(info.otherCaFile) },
      sasl: { mechanism: 'plain', username: alice.username, password: alice.password },
    });
    expectKafkaError(error, 'ERR__SSL');
    expect(error.retriable).toBe(false);
  });

  test('rejectUnauthorized: false accepts the unknown CA', async () => {
    const s = service({
      brokers: info.saslSsl,
      ssl: { ca: read(info.otherCaFile), rejectUnauthorized: false },
      sasl: { mechanism: 'scram-sha-256', username: bob.username, password: bob.password },
    });
    await expect(s.connect()).resolves.toHaveProperty('brokers');
  });

  test('a plaintext client on the TLS port fails fast with ERR__TRANSPORT', async () => {
    const { error } = await connectError({ brokers: info.saslSsl });
    expectKafkaError(error, 'ERR__TRANSPORT');
    expect(error.retriable).toBe(true);
  });

  test('a TLS client on the plaintext port fails fast with ERR__SSL', async () => {
    const { error } = await connectError({ brokers: info.plaintext, ssl: { ca } });
    expectKafkaError(error, 'ERR__SSL');
  });

  test('after a failed connect the client backs off instead of retrying in a loop', async () => {
    const before = logs.length;
    const { s } = await connectError({
      brokers: info.saslSsl,
      ssl: { ca },
      sasl: { mechanism: 'scram-sha-256', username: alice.username, password: WRONG_PASSWORD },
      logLevel: 'warn',
      librdkafka: {},
      clientId: 'backoff-probe',
    });
    const failures = () => logs.slice(before).filter((r) => r.clientId === 'backoff-probe' && r.facility === 'FAIL').length;
    const first = failures();
    // librdkafka's reconnect backoff (100 ms doubling to 10 s) allows a handful of attempts in
    // 3 s; a retry storm would be hundreds.
    await new Promise((r) => setTimeout(r, 3000));
    expect(failures() - first).toBeLessThan(10);
    await s.disconnect({ timeoutMs: 1000 });
  });
});

describe('TLS', () => {
  const cert = read(info.clientCertFile);

  test('mutual TLS: connect, publish and consume with a client certificate', async () => {
    await roundTrip({ brokers: info.mtls, ssl: { ca, cert, key: read(info.clientKeyFile) } });
  });

  test('mutual TLS with an encrypted key and its passphrase', async () => {
    const s = service({ brokers: info.mtls, ssl: { ca, cert, key: read(info.clientEncryptedKeyFile), passphrase: PASSPHRASE } });
    await expect(s.connect()).resolves.toHaveProperty('brokers');
  });

  test('an encrypted key with a wrong passphrase is ERR_INVALID_CONFIG at construction', () => {
    let error;
    try {
      service({ brokers: info.mtls, ssl: { ca, cert, key: read(info.clientEncryptedKeyFile), passphrase: WRONG_PASSWORD } });
    } catch (e) {
      error = e;
    }
    expectKafkaError(error, 'ERR_INVALID_CONFIG');
    assertNoSecrets(`${error.message}`, 'an error');
  });

  test('mutual TLS without a client certificate fails fast with ERR__SSL', async () => {
    const { error } = await connectError({ brokers: info.mtls, ssl: { ca } });
    expectKafkaError(error, 'ERR__SSL');
  });

  test('an expired broker certificate fails fast with ERR__SSL', async () => {
    const { error } = await connectError({ brokers: info.expired, ssl: { ca } });
    expectKafkaError(error, 'ERR__SSL');
  });
});
