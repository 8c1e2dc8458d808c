'use strict';

// Avro decimals (logical type on bytes and on fixed) through the real registry and the mock
// cluster: kafka-native takes and gives exact decimal text, and its bytes are those of avsc (as
// @kafkajs/confluent-schema-registry uses it, given a decimal logical type), both ways. Values
// that do not fit the schema's scale or precision fail with the field's path.

const avsc = require('avsc');
const { SchemaRegistry: ConfluentRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');
const { url, registry } = require('./helpers');
const { useMockCluster, subscribeOptions, waitFor } = require('../helpers');

jest.setTimeout(60000);

/**
 * avsc's decimal: exact text to the two's-complement bytes of the unscaled integer (shortest, or
 * sign-extended to a fixed's size) and back, with JS BigInt.
 */
class DecimalType extends avsc.types.LogicalType {
  constructor(schema, opts) {
    super(schema, opts);
    this.scale = schema.scale || 0;
  }

  _fromValue(buf) {
    let n = 0n;
    for (const b of buf) n = (n << 8n) | BigInt(b);
    if (buf.length && buf[0] & 0x80) n -= 1n << BigInt(8 * buf.length);
    const digits = (n < 0n ? -n : n).toString().padStart(this.scale + 1, '0');
    const whole = digits.slice(0, digits.length - this.scale);
    const text = this.scale ? `${whole}.${digits.slice(digits.length - this.scale)}` : whole;
    return n < 0n ? `-${text}` : text;
  }

  _toValue(text) {
    const [whole, fraction = ''] = String(text).replace('-', '').split('.');
    let n = BigInt(whole + fraction.padEnd(this.scale, '0'));
    if (String(text).startsWith('-')) n = -n;
    const bytes = [];
    for (;;) {
      bytes.unshift(Number(n & 0xffn));
      n >>= 8n; // arithmetic: -1 once a negative value is consumed
      const sign = bytes[0] & 0x80;
      if ((n === 0n && !sign) || (n === -1n && sign)) break;
    }
    const size = this.underlyingType.size;
    if (size) while (bytes.length < size) bytes.unshift(bytes[0] & 0x80 ? 0xff : 0);
    return Buffer.from(bytes);
  }

  _resolve(type) {
    return Object.getPrototypeOf(type) === Object.getPrototypeOf(this) ? (x) => x : undefined;
  }
}

const schema = JSON.stringify({
  type: 'record',
  name: 'Price',
  namespace: 'test.decimal',
  fields: [
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
    { name: 'exact', type: { type: 'fixed', name: 'D16', size: 16, logicalType: 'decimal', precision: 38, scale: 12 } },
    { name: 'change', type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 1 }], default: null },
  ],
});

const values = [
  { amount: '1234.50', exact: '12345678901234567890123456.789012345678', change: '-0.5' },
  { amount: '-0.05', exact: '-1.000000000000', change: null },
  { amount: '0.00', exact: '0.000000000000', change: '999.9' },
];

const cluster = useMockCluster({ brokers: 1 });
const other = new ConfluentRegistry({ host: url }, { [SchemaType.AVRO]: { logicalTypes: { decimal: DecimalType } } });

test('decimals: exact text both ways, byte-identical with avsc', async () => {
  const s = cluster.service();
  s.useSchemaRegistry(registry());
  await s.connect();
  const topic = cluster.topic('decimal');
  const subj = `${topic}-value`;
  const { id } = await other.register({ type: SchemaType.AVRO, schema }, { subject: subj });
  for (const value of values) {
    await s.publish(topic, { value }, { schema: { subject: subj } });
    await s.publish(topic, { value: await other.encode(id, value) });
  }
  const got = [];
  const sub = await s.subscribe(subscribeOptions(topic, { decode: true }), async ({ message }) => got.push(message));
  await waitFor(() => got.length === 2 * values.length);
  await sub.stop();
  values.forEach((value, i) => {
    const [ours, theirs] = [got[2 * i], got[2 * i + 1]];
    expect(ours.value.equals(theirs.value)).toBe(true);
    expect(ours.decoded).toEqual(value);
    expect(theirs.decoded).toEqual(value);
  });
  // Hand-computed: 123450 (1234.50 at scale 2) is 01 E2 3A, after the 5-byte header and the
  // length 3 (zig-zag 6).
  expect([...got[0].value.subarray(5, 9)]).toEqual([6, 0x01, 0xe2, 0x3a]);
  expect(await other.decode(got[0].value)).toEqual(values[0]);
  await s.disconnect();
});

test('decimals out of scale or precision are typed errors with the field path', async () => {
  const r = registry();
  const id = await r.register(`${cluster.topic('decimal-bad')}-value`, schema);
  const cases = [
    ['/amount', { amount: '1.234', exact: '0' }],
    ['/amount', { amount: '12345678.9', exact: '0' }],
    ['/amount', { amount: 0.125, exact: '0' }],
    ['/exact', { amount: '1', exact: '123456789012345678901234567' }],
    ['/change', { amount: '1', exact: '0', change: '0.05' }],
  ];
  for (const [path, value] of cases) {
    const e = await r.encode({ id }, value).then(
      () => null,
      (err) => err,
    );
    expect(e).toMatchObject({ code: 'ERR_SCHEMA_VALIDATION', path });
  }
});
