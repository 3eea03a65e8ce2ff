// A loopback TCP proxy that delays every chunk by a fixed time each way: a WAN-like link for
// bench/push's latency mode (a round trip costs twice the delay; bandwidth is not limited).
//
// usage: node bench/delay-proxy.mjs TARGET_PORT DELAY_MS
// Listens on 127.0.0.1 (a free port), prints "port N" on stdout once listening, forwards every
// connection to 127.0.0.1:TARGET_PORT, and runs until killed.
import net from 'node:net';

const [targetPort, delayMs] = process.argv.slice(2).map(Number);
if (!Number.isInteger(targetPort) || !(delayMs >= 0)) {
  console.error('usage: node bench/delay-proxy.mjs TARGET_PORT DELAY_MS');
  process.exit(2);
}

// Forwards `from` to `to`, each chunk `delayMs` after it arrived, in order; an end or an error
// on one side ends the other once what was in flight is delivered.
function pipeDelayed(from, to) {
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
  from.on('data', (d) => push(d));
  from.on('end', () => push(null));
  from.on('error', () => to.destroy());
}

const server = net.createServer((client) => {
  client.setNoDelay(true);
  const upstream = net.connect({ host: '127.0.0.1', port: targetPort }, () => upstream.setNoDelay(true));
  pipeDelayed(client, upstream);
  pipeDelayed(upstream, client);
});
server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));
