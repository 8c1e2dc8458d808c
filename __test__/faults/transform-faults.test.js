'use strict';

// Exactly-once consume-transform-produce under faults on the 3-node cluster (replication 3,
// min.insync.replicas 2): a child process transforms the input through subscribeTransactional
// while the leader of an output partition and then the transaction coordinator are killed with
// -9 (and restarted), and the transforming process itself is killed twice and restarted. The
// output read with read_committed must hold every input's result exactly once. Figures go to
// stdout as a `FAULTS {json}` line.

const path = require('path');
const { spawn } = require('child_process');
const { BROKERS, QUICK, createTopic, describeTopic, node, healCluster, service, disconnectAll, report, uniqueName, sleep, waitFor } = require('./support');

// Its producer fenced with no newer instance (INVALID_PRODUCER_EPOCH on an offset commit, seen on
// a busy machine), the transforming process replaces it and goes on (subscribeTransactional).
const d = BROKERS ? describe : describe.skip;
jest.setTimeout(1200000);

const INPUTS = QUICK ? 5000 : 100000;
// transaction.state.log.num.partitions as scripts/kafka/lib.sh configures it.
const TRANSACTION_STATE_PARTITIONS = 10;

/** The __transaction_state partition of a transactional id: Kafka's abs(String.hashCode) % n. */
function transactionStatePartition(transactionalId) {
  let h = 0;
  for (let i = 0; i < transactionalId.length; i++) h = (Math.imul(31, h) + transactionalId.charCodeAt(i)) | 0;
  return (h & 0x7fffffff) % TRANSACTION_STATE_PARTITIONS;
}

d('consume-transform-produce under faults', () => {
  const children = new Set();
  afterEach(async () => {
    for (const c of children) c.kill('SIGKILL');
    await healCluster();
  });
  afterAll(disconnectAll);

  function startChild(env) {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'helpers', 'transform-child.js')], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.add(child);
    child.exited = new Promise((resolve) => child.on('exit', resolve));
    return child;
  }

  async function killChild(child) {
    child.kill('SIGKILL');
    await child.exited;
    children.delete(child);
  }

  test('output partition leader, transaction coordinator and the process killed: each result exactly once', async () => {
    const input = await createTopic(6, 'ctp-in');
    const output = await createTopic(6, 'ctp-out');
    const producer = service();
    for (let from = 0; from < INPUTS; from += 5000) {
      const chunk = Array.from({ length: Math.min(5000, INPUTS - from) }, (_, i) => ({ key: `k${(from + i) % 100}`, value: `v${from + i}` }));
      const results = await producer.publishBatch(input, chunk);
      expect(results.filter((r) => r.error)).toHaveLength(0);
    }

    // The output's records as read_committed readers see them. The reader is at-least-once
    // itself (a broker kill can make it read some records again): each record counts once, by
    // its partition and offset; a duplicate result is the same value in two records.
    const counts = new Map();
    const seen = new Set();
    let outputs = 0;
    const reader = service();
    const subscription = await reader.subscribe(
      { groupId: uniqueName('ctp-read'), topics: [output], fromBeginning: true, readCommitted: true },
      {
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const record = `${batch.partition}:${m.offset}`;
            if (seen.has(record)) continue;
            seen.add(record);
            const v = m.value.toString();
            counts.set(v, (counts.get(v) || 0) + 1);
            outputs++;
          }
        },
      },
    );

    const transactionalId = uniqueName('ctp-tid');
    const env = {
      KAFKA_BROKERS: BROKERS,
      KAFKA_INPUT: input,
      KAFKA_OUTPUT: output,
      KAFKA_GROUP: uniqueName('ctp'),
      KAFKA_TRANSACTIONAL_ID: transactionalId,
      // QUICK's few inputs would be through before the faults land: smaller, slower batches.
      TRANSFORM_DELAY_MS: QUICK ? '50' : '0',
      MAX_BATCH_SIZE: QUICK ? '10' : '50',
    };
    const events = [];
    const started = Date.now();
    // A mark not reached names what had happened until then, so a stall can be told apart.
    const at = (fraction) =>
      waitFor(
        () => outputs >= INPUTS * fraction,
        600000,
        () =>
          `${Math.round(fraction * 100)}% of the output (${outputs} of ${INPUTS} outputs read after ` +
          `${Math.round((Date.now() - started) / 1000)} s; events: ${JSON.stringify(events)})`,
      );
    let child = startChild(env);

    // A killed node restarts in the background while the transform goes on; at most one node
    // is down at a time.
    const killNode = async (id, what) => {
      events.push({ at: outputs, event: `kill -9 node ${id} (${what})` });
      await node('kill', id);
      // Wrapped, so that awaiting the kill does not wait for the restart.
      return { restart: sleep(QUICK ? 5000 : 15000).then(() => node('start', id)) };
    };
    const restartChild = async () => {
      events.push({ at: outputs, event: 'kill -9 the transforming process, restart it' });
      await killChild(child);
      child = startChild(env);
    };
    await at(0.1);
    const outputLeader = (await describeTopic(output))[0].leader;
    let down = await killNode(outputLeader, `leader of ${output}[0]`);
    await at(0.2);
    await restartChild();
    await at(0.35);
    await restartChild();
    await down.restart;
    const coordinator = (await describeTopic('__transaction_state'))[transactionStatePartition(transactionalId)].leader;
    down = await killNode(coordinator, 'transaction coordinator');

    await at(1);
    await down.restart;
    // A duplicate would come after the last expected result: give it time to show.
    await sleep(5000);
    await killChild(child);
    await subscription.stop();

    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    let lost = 0;
    for (let i = 0; i < INPUTS; i++) if (!counts.has(`out:v${i}`)) lost++;
    report('consume-transform-produce exactly-once', { inputs: INPUTS, outputs, lost, duplicates, seconds: Math.round((Date.now() - started) / 1000), events });
    expect({ outputs, lost, duplicates }).toEqual({ outputs: INPUTS, lost: 0, duplicates: 0 });
  });
});
