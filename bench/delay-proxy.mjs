// A loopback TCP proxy that delays every chunk by a fixed time each way: a WAN-like link for
// bench/push's latency mode (a round trip costs twice the delay; bandwidth is not limited).
//
// usage: node bench/delay-proxy.mjs TARGET_PORT DELAY_MS
// Listens on 127.0.0.1 (a free port), prints "port N" on stdout once listening, forwards every
// connection to 127.0.0.1:TARGET_PORT, and runs until killed.
// DELAY_PROXY_LOG=FILE: appends one line per chunk (connection, ms since it opened, direction,
// bytes) and, when a connection ends, its count of round trips: the times the client spoke
// again after the server had answered (what a push waits for at this delay).
import fs from 'node:fs';
import net from 'node:net';

const [targetPort, delayMs] = process.argv.slice(2).map(Number);
if (!Number.isInteger(targetPort) || !(delayMs >= 0)) {
  console.error('usage: node bench/delay-proxy.mjs TARGET_PORT DELAY_MS');
  process.exit(2);
}

// Forwards `from` to `to`, each chunk `delayMs` after it arrived, in order; an end or an error
// on one side ends the other once what was in flight is delivered.
const logFile = process.env.DELAY_PROXY_LOG;
let connections = 0;
// Per connection: its chunks, and the turns (client data after server data, or the first).
function tracer() {
  const id = ++connections;
  const opened = Date.now();
  let last = null;
  let turns = 0;
  return {
    chunk(dir, bytes) {
      if (dir === 'C>S' && last !== 'C>S') ++turns;
      last = dir;
      fs.appendFileSync(logFile, `conn ${id} ${Date.now() - opened} ms ${dir} ${bytes} bytes${dir === 'C>S' ? ` turn ${turns}` : ''}\n`);
    },
    end() { fs.appendFileSync(logFile, `conn ${id} closed after ${Date.now() - opened} ms: ${turns} round trips\n`); },
  };
}

function pipeDelayed(from, to, dir, trace) {
  const queue = [];
  let timer = null;
  const drain = () => {
    timer = null;
    const now = Date.now();
    while (queue.length && queue[0].at <= now) {
      const { data } = queue.shift();
      if (data === null) to.end();
      else to.write(data);
    }
    if (queue.length) timer = setTimeout(drain, queue[0].at - now);
  };
  const push = (data) => {
    queue.push({ at: Date.now() + delayMs, data });
    if (!timer) timer = setTimeout(drain, delayMs);
  };
  from.on('data', (d) => {
    trace?.chunk(dir, d.length);
    push(d);
  });
  from.on('end', () => {
    if (dir === 'C>S') trace?.end();
    push(null);
  });
  from.on('error', () => to.destroy());
}

const server = net.createServer((client) => {
  client.setNoDelay(true);
  const upstream = net.connect({ host: '127.0.0.1', port: targetPort }, () => upstream.setNoDelay(true));
  const trace = logFile ? tracer() : null;
  pipeDelayed(client, upstream, 'C>S', trace);
  pipeDelayed(upstream, client, 'S>C', trace);
});
server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));
