// Transactions through Node's two common clients: ioredis (npm) and node-redis (Debian's
// node-redis, 4.x). Prints one JSON object of what each returned; the Python test
// (test_node_clients.py) checks it.
//   node transactions.js PORT
const port = Number(process.argv[2]);
const Redis = require('ioredis');
const { createClient } = require('redis');

async function ioredisCase() {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  await r.del('io:a', 'io:n');
  const multi = await r.multi().set('io:a', '1').incr('io:n').incr('io:n').get('io:a').exec();
  // WATCH: another connection writes the key, so EXEC answers null.
  const other = new Redis({ port, host: '127.0.0.1' });
  await r.watch('io:w');
  await other.set('io:w', 'theirs');
  const aborted = await r.multi().set('io:w', 'mine').exec();
  const after = await r.get('io:w');
  let queueError = null;
  try {
    await r.multi().set('io:x', '1').call('nosuchcommand').exec();
  } catch (e) {
    queueError = e.message;
  }
  other.disconnect();
  r.disconnect();
  return { multi, aborted, after, queueError };
}

async function nodeRedisCase() {
  const c = createClient({ socket: { port, host: '127.0.0.1' } });
  c.on('error', () => {});
  await c.connect();
  await c.del(['nr:a', 'nr:n']);
  const multi = await c.multi().set('nr:a', '1').incr('nr:n').incr('nr:n').get('nr:a').exec();
  const other = c.duplicate();
  await other.connect();
  await c.watch('nr:w');
  await other.set('nr:w', 'theirs');
  let watchError = null;
  try {
    await c.multi().set('nr:w', 'mine').exec();
  } catch (e) {
    watchError = e.constructor.name;
  }
  const after = await c.get('nr:w');
  await other.quit();
  await c.quit();
  return { multi, watchError, after };
}

(async () => {
  const out = { ioredis: await ioredisCase(), nodeRedis: await nodeRedisCase() };
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
