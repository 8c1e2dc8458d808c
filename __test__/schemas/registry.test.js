'use strict';

// The registry client against a real Confluent-API registry: register (normalised), look-ups,
// compatibility, listing, deletion, and every failure as a typed error with the registry's code.

const { registry, subject, avro } = require('./helpers');
const { expectRejection } = require('../helpers');

jest.setTimeout(60000);

const V1 = JSON.stringify({ type: 'record', name: 'Evt', fields: [{ name: 'id', type: 'string' }, { name: 'gone', type: 'int' }] });
const V2 = JSON.stringify({ type: 'record', name: 'Evt', fields: [{ name: 'id', type: 'string' }, { name: 'added', type: 'string', default: 'd' }] });
const INCOMPATIBLE = JSON.stringify({ type: 'record', name: 'Evt', fields: [{ name: 'id', type: 'int' }] });

test('re-registering a schema written differently returns the same id', async () => {
  const r = registry();
  const s = subject('normalise');
  const id = await r.register(s, avro['job-lifecycle']);
  const again = await r.register(s, JSON.stringify(JSON.parse(avro['job-lifecycle'])));
  expect(again).toBe(id);
  expect(await r.versions(s)).toEqual([1]);
  const byId = await r.getSchema(id);
  expect(byId.schemaType).toBe('AVRO');
  expect(JSON.parse(byId.schema).name).toBe('JobLifecycleEvent');
  const latest = await r.getVersion(s);
  expect(latest).toMatchObject({ id, subject: s, version: 1, schemaType: 'AVRO' });
  expect(await r.getVersion(s, 1)).toMatchObject({ id, version: 1 });
  expect(await r.subjects()).toContain(s);
});

test('BACKWARD compatibility: a compatible v2 registers, an incompatible one is 409', async () => {
  const r = registry();
  const s = subject('compat');
  await r.register(s, V1);
  await r.setCompatibility('BACKWARD', s);
  expect(await r.isCompatible(s, V2)).toBe(true);
  expect(await r.isCompatible(s, INCOMPATIBLE)).toBe(false);
  await r.register(s, V2);
  expect(await r.versions(s)).toEqual([1, 2]);
  const e = await expectRejection(() => r.register(s, INCOMPATIBLE), 'ERR_SCHEMA_REGISTRY');
  expect(e.registryCode).toBe(409);
  expect(e.retriable).toBe(false);
});

test('JSON Schemas register with their type', async () => {
  const r = registry();
  const s = subject('json');
  const schema = JSON.stringify({ type: 'object', properties: { a: { type: 'number' } }, required: ['a'] });
  const id = await r.register(s, schema, 'JSON');
  expect((await r.getSchema(id)).schemaType).toBe('JSON');
});

test('deleting a version', async () => {
  const r = registry();
  const s = subject('delete');
  await r.register(s, V1);
  await r.register(s, V2);
  expect(await r.deleteVersion(s, 2)).toBe(2);
  expect(await r.versions(s)).toEqual([1]);
  expect(await r.deleteSubject(s)).toEqual([1]);
});

test('unknown subjects, versions and ids are ERR_SCHEMA_NOT_FOUND with the registry code', async () => {
  const r = registry();
  const e1 = await expectRejection(() => r.getVersion(subject('missing')), 'ERR_SCHEMA_NOT_FOUND');
  expect(e1.registryCode).toBe(40401);
  const e2 = await expectRejection(() => r.getSchema(2147483000), 'ERR_SCHEMA_NOT_FOUND');
  expect(e2.registryCode).toBe(40403);
  const s = subject('version');
  await r.register(s, V1);
  const e3 = await expectRejection(() => r.getVersion(s, 7), 'ERR_SCHEMA_NOT_FOUND');
  expect([40402, 40401]).toContain(e3.registryCode);
});

test('invalid schemas are refused before they are sent', async () => {
  const r = registry();
  const e = await expectRejection(() => r.register(subject('bad'), '{"type":"record"}'), 'ERR_SCHEMA_VALIDATION');
  expect(e.path).toBe('');
  await expectRejection(() => r.register(subject('bad'), 'not json', 'JSON'), 'ERR_SCHEMA_VALIDATION');
  await expectRejection(() => r.register(subject('bad'), V1, 'XML'), 'ERR_INVALID_ARG');
  await expectRejection(() => r.getVersion(subject('bad'), 0), 'ERR_INVALID_ARG');
});

test('bad options are ERR_INVALID_CONFIG at construction', () => {
  for (const options of [{ url: 'ftp://x' }, { url: '' }, { url: 'http://127.0.0.1:1', ca: 'not a pem' }]) {
    let error;
    try {
      registry(options);
    } catch (e) {
      error = e;
    }
    expect(error && error.code).toBe('ERR_INVALID_CONFIG');
  }
});

test('a registry that is down is a retriable ERR_SCHEMA_REGISTRY after bounded retries', async () => {
  const net = require('net');
  const server = net.createServer();
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  const port = server.address().port;
  await new Promise((res) => server.close(res));
  const r = registry({ url: `http://127.0.0.1:${port}`, retries: 1 });
  const e = await expectRejection(() => r.getSchema(1), 'ERR_SCHEMA_REGISTRY');
  expect(e.registryCode).toBe(0);
  expect(e.retriable).toBe(true);
});

test('a registry that does not answer times out as a retriable ERR_SCHEMA_REGISTRY', async () => {
  const net = require('net');
  const sockets = [];
  const server = net.createServer((s) => sockets.push(s)); // accepts, never answers
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  try {
    const r = registry({ url: `http://127.0.0.1:${server.address().port}`, timeoutMs: 300, retries: 1 });
    const e = await expectRejection(() => r.getVersion('x-value'), 'ERR_SCHEMA_REGISTRY');
    expect(e.retriable).toBe(true);
  } finally {
    sockets.forEach((s) => s.destroy());
    await new Promise((res) => server.close(res));
  }
});
