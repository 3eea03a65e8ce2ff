// A service to smoke-test, for `sbdeploy verify --health-url` tests: plain Node 20, no packages.
//
//   node tests/servers/health.mjs
//
// Listens on 127.0.0.1 on a port it picks and prints "listening on http://127.0.0.1:PORT" as
// its first line; stops on SIGTERM or when its stdin closes.
//
// Routes:
//   GET /ok                          200 "ok"
//   GET /status/CODE                 always CODE
//   GET /flaky/KEY?fails=N&status=S  the first N requests for KEY answer S (default 503), then 200
//   GET /hang                        accepts the request and never answers
//   GET /auth?expect=VALUE           200 when the Authorization header is VALUE, else 401
//   GET /_control/count/KEY          {"count": N}: requests /flaky/KEY has had
import http from 'node:http';

const counts = new Map();
const sockets = new Set();

function send(res, status, body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const parts = url.pathname.split('/').filter(Boolean);
  if (req.method !== 'GET') return send(res, 405, { message: 'GET only' });
  if (parts[0] === 'ok' && parts.length === 1) return send(res, 200, 'ok');
  if (parts[0] === 'status' && parts.length === 2) return send(res, Number(parts[1]) || 500, 'status');
  if (parts[0] === 'flaky' && parts.length === 2) {
    const key = parts[1];
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    const fails = Number(url.searchParams.get('fails') ?? '0');
    const status = Number(url.searchParams.get('status') ?? '503');
    return n <= fails ? send(res, status, `failing (${n} of ${fails})`) : send(res, 200, 'ok');
  }
  if (parts[0] === 'hang' && parts.length === 1) return; // never answers
  if (parts[0] === 'auth' && parts.length === 1) {
    const ok = req.headers.authorization === url.searchParams.get('expect');
    return send(res, ok ? 200 : 401, ok ? 'ok' : 'unauthorized');
  }
  if (parts[0] === '_control' && parts[1] === 'count' && parts.length === 3)
    return send(res, 200, { count: counts.get(parts[2]) ?? 0 });
  return send(res, 404, { message: 'not found' });
});

server.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

function stop() {
  for (const s of sockets) s.destroy();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
}
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();

server.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
