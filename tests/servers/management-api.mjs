// A stand-in for the Supabase Management API's SQL endpoint, for tests:
//   POST /v1/projects/{ref}/database/query  {"query": "...", "read_only": false}
// runs the query on the real test PostgreSQL that the ref maps to, one connection per request
// (as postgres-meta does), and answers as the real API does: 201 with the rows of the last
// statement that returned any (several statements are one simple-query string, as postgres-meta
// sends them: BEGIN ... COMMIT blocks in it commit as they go, the first error stops the rest
// and rolls back only the block it is in); 400 {"message": "Failed to run sql query: ERROR:  <code>: ..."}
// with psql-style LINE/caret, DETAIL, HINT, QUERY and CONTEXT lines (postgres-meta's
// formattedError); 401 without a valid bearer token; 403 for a token without access; 404 for an
// unknown project.
//
// Usage: node management-api.mjs --token TOKEN [--forbidden-token TOKEN] [--project REF=DB_URL]...
//        [--tls-cert FILE --tls-key FILE]
// Prints "http://127.0.0.1:<port>" (https with a certificate) on its first line once it listens;
// stops on SIGTERM.
//
// Test control (no auth), under /__admin:
//   POST /__admin/projects {"ref": "...", "db_url": "..."}      add or replace a project
//   POST /__admin/faults {"rules": [rule, ...]}                  replace the fault rules
//   GET  /__admin/log                                            {"requests": [...]} since the last reset
//   POST /__admin/reset                                          no rules, empty log
// A rule: {"fault": "429" | "500" | "502" | "503" | "timeout" | "drop" | "body",
//          "when": "before" (default: the query never runs) | "after" (it runs and commits first),
//          "match": "text the query must contain" (default: any query),
//          "first": N (the Nth matching request since the rules were set, 1-based; default 1),
//          "count": N (how many matching requests in a row; -1: all from `first` on; default 1),
//          "retry_after": "1" (Retry-After header of a 429),
//          "body": "[]" (with "body": the raw text answered instead of the rows, e.g. [], [{}],
//                  [{"version": 1}], truncated JSON or {"message": "..."}),
//          "status": 201 (with "body": the HTTP status of that answer; default 201)}
// "timeout" never answers (the client's request timeout ends it); "drop" closes the connection.

import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import pg from 'pg';

const { DatabaseError } = pg;

// postgres-meta's type parsing (src/lib/db.ts): int8 as a number when safe, dates as text.
pg.types.setTypeParser(pg.types.builtins.INT8, (x) => {
  const n = Number(x);
  return Number.isSafeInteger(n) ? n : x;
});
pg.types.setTypeParser(pg.types.builtins.DATE, (x) => x);
pg.types.setTypeParser(pg.types.builtins.TIMESTAMP, (x) => x);
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (x) => x);

const projects = new Map();      // ref -> database URL
const tokens = new Set();        // tokens with access to every project
const forbidden = new Set();     // valid tokens without access (403)
let rules = [];
let log = [];
const tls = {};                  // cert and key: serve HTTPS

const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const value = args[i + 1];
  if (args[i] === '--token') tokens.add(value), i++;
  else if (args[i] === '--forbidden-token') forbidden.add(value), i++;
  else if (args[i] === '--tls-cert') tls.cert = readFileSync(value), i++;
  else if (args[i] === '--tls-key') tls.key = readFileSync(value), i++;
  else if (args[i] === '--project') {
    const eq = value.indexOf('=');
    projects.set(value.slice(0, eq), value.slice(eq + 1));
    i++;
  } else {
    console.error(`management-api: unknown argument ${args[i]}`);
    process.exit(2);
  }
}

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// postgres-meta's formattedError, character for character.
function formatError(error, sql) {
  let formatted = '';
  if (error.severity) formatted += `${error.severity}:  `;
  if (error.code) formatted += `${error.code}: `;
  if (error.message) formatted += error.message;
  formatted += '\n';
  if (error.position) {
    const position = Number(error.position) - 1;
    let line = '';
    let lineNumber = 0;
    let lineOffset = 0;
    const lines = sql.split('\n');
    let currentOffset = 0;
    for (let i = 0; i < lines.length; i++) {
      if (currentOffset + lines[i].length > position) {
        line = lines[i];
        lineNumber = i + 1;
        lineOffset = position - currentOffset;
        break;
      }
      currentOffset += lines[i].length + 1;
    }
    formatted += `LINE ${lineNumber}: ${line}\n${' '.repeat(5 + lineNumber.toString().length + 2 + lineOffset)}^\n`;
  }
  if (error.detail) formatted += `DETAIL:  ${error.detail}\n`;
  if (error.hint) formatted += `HINT:  ${error.hint}\n`;
  if (error.internalQuery) formatted += `QUERY:  ${error.internalQuery}\n`;
  if (error.where) formatted += `CONTEXT:  ${error.where}\n`;
  return formatted;
}

// Runs the query on a connection of its own: [status, body].
async function runQuery(url, sql) {
  const client = new pg.Client({ connectionString: url, application_name: 'management-api-stand-in' });
  try {
    await client.connect();
    let res = await client.query(sql);
    if (Array.isArray(res)) res = res.reverse().find((x) => x.rows.length !== 0) ?? { rows: [] };
    return [201, res.rows];
  } catch (error) {
    if (error instanceof DatabaseError) return [400, { message: `Failed to run sql query: ${formatError(error, sql)}` }];
    return [400, { message: `Failed to run sql query: ${error.message}` }];
  } finally {
    await client.end().catch(() => {});
  }
}

// The rule that applies to this request, after counting it for every rule it matches.
function faultFor(sql) {
  let chosen = null;
  for (const rule of rules) {
    if (rule.match && !sql.includes(rule.match)) continue;
    rule.seen += 1;
    const first = rule.first ?? 1;
    const count = rule.count ?? 1;
    const hit = rule.seen >= first && (count < 0 || rule.seen < first + count);
    if (hit && !chosen) chosen = rule;
  }
  return chosen;
}

const statusText = { 429: 'Too many requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };

async function query(req, res, ref) {
  const entry = { n: log.length + 1, ref, user_agent: req.headers['user-agent'] ?? '', status: 0, fault: null, query: '' };
  log.push(entry);
  const auth = req.headers.authorization ?? '';
  const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
  const body = await readBody(req);
  if (!tokens.has(token) && !forbidden.has(token)) return send(res, (entry.status = 401), { message: 'Unauthorized' });
  if (!projects.has(ref)) return send(res, (entry.status = 404), { message: 'Project not found' });
  if (forbidden.has(token)) return send(res, (entry.status = 403), { message: 'Forbidden resource' });
  let sql;
  try {
    sql = JSON.parse(body).query;
  } catch {
    return send(res, (entry.status = 400), { message: 'Invalid JSON body' });
  }
  if (typeof sql !== 'string') return send(res, (entry.status = 400), { message: ['query must be a string'] });
  entry.query = sql;

  const rule = faultFor(sql);
  entry.fault = rule ? `${rule.fault} ${rule.when ?? 'before'}` : null;
  const after = rule && rule.when === 'after';
  let result = null;
  if (!rule || after) result = await runQuery(projects.get(ref), sql);
  if (rule) {
    if (rule.fault === 'timeout') return; // never answered
    if (rule.fault === 'drop') return req.socket.destroy();
    if (rule.fault === 'body') {
      // Any text at all, as a broken or hostile server might answer: sent as is, not as JSON.
      const text = String(rule.body ?? '');
      entry.status = Number(rule.status ?? 201);
      res.writeHead(entry.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      return res.end(text);
    }
    const status = Number(rule.fault);
    const headers = status === 429 && rule.retry_after !== undefined ? { 'Retry-After': String(rule.retry_after) } : {};
    return send(res, (entry.status = status), { message: statusText[status] ?? 'Error' }, headers);
  }
  entry.status = result[0];
  send(res, result[0], result[1]);
}

async function admin(req, res, path) {
  const body = req.method === 'POST' ? await readBody(req) : '';
  if (req.method === 'POST' && path === '/__admin/projects') {
    const { ref, db_url: url } = JSON.parse(body);
    projects.set(ref, url);
    return send(res, 200, { ok: true });
  }
  if (req.method === 'POST' && path === '/__admin/faults') {
    rules = (JSON.parse(body).rules ?? []).map((r) => ({ ...r, seen: 0 }));
    return send(res, 200, { ok: true });
  }
  if (req.method === 'POST' && path === '/__admin/reset') {
    rules = [];
    log = [];
    return send(res, 200, { ok: true });
  }
  if (req.method === 'GET' && path === '/__admin/log') return send(res, 200, { requests: log });
  send(res, 404, { message: 'Not found' });
}

const serve = (req, res) => {
  const path = new URL(req.url, 'http://localhost').pathname;
  const handle = async () => {
    if (path.startsWith('/__admin/')) return admin(req, res, path);
    const m = /^\/v1\/projects\/([^/]+)\/database\/query$/.exec(path);
    if (req.method === 'POST' && m) return query(req, res, decodeURIComponent(m[1]));
    send(res, 404, { message: 'Cannot ' + req.method + ' ' + path });
  };
  handle().catch((error) => {
    if (!res.headersSent) send(res, 500, { message: `stand-in error: ${error.message}` });
  });
};
if (!tls.cert !== !tls.key) {
  console.error('management-api: --tls-cert and --tls-key go together');
  process.exit(2);
}
const server = tls.cert ? https.createServer(tls, serve) : http.createServer(serve);
// Hung requests ("timeout") must not keep the process alive on SIGTERM.
process.on('SIGTERM', () => process.exit(0));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${tls.cert ? 'https' : 'http'}://127.0.0.1:${server.address().port}\n`);
});
