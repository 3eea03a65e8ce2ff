// A stand-in for Supabase's PostgREST API (https://<ref>.supabase.co/rest/v1/...) for tests,
// backed by the real test PostgreSQL through the npm package `pg`.
//
//   node tests/servers/postgrest.mjs --db URL --service-key KEY [--anon-key KEY]
//                                    [--schemas public,graphql_public]
//
// Listens on 127.0.0.1 on a port it picks and prints "listening on http://127.0.0.1:PORT" as
// its first line; stops on SIGTERM or when its stdin closes.
//
// It behaves like PostgREST (v12, behind Supabase's gateway) where sbdeploy can tell:
//   - keys: the `apikey` header picks the database role (service key -> service_role, anon
//     key -> anon); a missing or unknown key is 401 {"message": "Invalid API key"}; an
//     Authorization: Bearer that is not the same key is 401 PGRST301
//   - schemas: Content-Profile (writes) / Accept-Profile (reads) must name an exposed schema
//     (--schemas), else 406 PGRST106 "The schema must be one of the following: ..."
//   - POST /rest/v1/<table>: a JSON object or array of objects with the same keys (else 400
//     PGRST102); inserted with json_populate_recordset as the key's role (SET LOCAL ROLE);
//     Prefer: resolution=ignore-duplicates -> ON CONFLICT (?on_conflict=cols) DO NOTHING;
//     Prefer: return=representation -> 201 and the inserted rows (?select=cols), else 201 and
//     no body; an unknown table 404 PGRST205, an unknown column 400 PGRST204
//   - POST /rest/v1/rpc/<function>: named arguments from the JSON body; 200 and the result,
//     204 for void; an unknown function 404 PGRST202
//   - database errors as {code, details, hint, message} with PostgREST's status for the
//     SQLSTATE: 23505/23503 -> 409, 42501 -> 401 (anon) or 403, 22xxx/23502/23514 -> 400,
//     others 400 (class 42, 22, 23) or 500
//
// At start it creates the roles anon, authenticated and service_role (service_role with
// BYPASSRLS, as on Supabase) when the cluster lacks them.
//
// Control endpoints (not PostgREST's; under /_control):
//   GET /_control/requests   [{method, path, profile, prefer, apikey}] (apikey: "service", "anon", "other", "")
//   POST /_control/fail      {"times": N, "status": 503}: the next N API requests get that status
//   POST /_control/reset     forget the requests and pending failures
import http from 'node:http';
import pg from 'pg';

const args = process.argv.slice(2);
function arg(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

const dbUrl = arg('--db');
const serviceKey = arg('--service-key');
const anonKey = arg('--anon-key', '');
const schemas = arg('--schemas', 'public,graphql_public').split(',').map((s) => s.trim()).filter(Boolean);
if (!dbUrl || !serviceKey) {
  process.stderr.write('usage: postgrest.mjs --db URL --service-key KEY [--anon-key KEY] [--schemas a,b]\n');
  process.exit(2);
}

const pool = new pg.Pool({ connectionString: dbUrl, max: 4 });
let requests = [];
let failures = { times: 0, status: 503 };

// ---- helpers -------------------------------------------------------------------------------

function send(res, status, body, headers = {}) {
  if (body === undefined) {
    res.writeHead(status, headers);
    return res.end();
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  return res.end(text);
}

function pgrstError(res, status, code, message, details = null, hint = null) {
  return send(res, status, { code, details, hint, message });
}

const ident = (name) => `"${String(name).replaceAll('"', '""')}"`;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function preferences(req) {
  const out = {};
  for (const part of String(req.headers.prefer ?? '').split(',')) {
    const [k, v] = part.split('=').map((s) => s.trim());
    if (k) out[k] = v ?? '';
  }
  return out;
}

// PostgREST's HTTP status for a SQLSTATE.
function statusFor(code, role) {
  if (code === '23505' || code === '23503') return 409;
  if (code === '42501') return role === 'anon' ? 401 : 403;
  if (code === '42P01' || code === '42883') return 404;
  if (code?.startsWith('22') || code?.startsWith('23') || code?.startsWith('42')) return 400;
  if (code === 'P0001') return 400;
  return 500;
}

function dbError(res, e, role) {
  return pgrstError(res, statusFor(e.code, role), e.code ?? 'XX000', e.message, e.detail ?? null, e.hint ?? null);
}

// Runs `fn(client)` in a transaction as `role`.
async function asRole(role, fn) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL ROLE ${ident(role)}`);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

async function columnsOf(schema, table) {
  const r = await pool.query(
    `select a.attname from pg_attribute a join pg_class c on c.oid = a.attrelid
       join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = $2 and a.attnum > 0 and not a.attisdropped
        and c.relkind in ('r', 'p', 'v')`,
    [schema, table],
  );
  return r.rows.map((row) => row.attname);
}

// ---- routes --------------------------------------------------------------------------------

async function insert(req, res, url, schema, table, role) {
  const columns = await columnsOf(schema, table);
  if (columns.length === 0)
    return pgrstError(res, 404, 'PGRST205', `Could not find the table '${schema}.${table}' in the schema cache`);
  let payload;
  try {
    payload = JSON.parse((await readBody(req)) || 'null');
  } catch (e) {
    return pgrstError(res, 400, 'PGRST102', 'Empty or invalid json', null, null);
  }
  const rows = Array.isArray(payload) ? payload : [payload];
  if (rows.some((r) => r === null || typeof r !== 'object' || Array.isArray(r)))
    return pgrstError(res, 400, 'PGRST102', 'Empty or invalid json');
  const keys = rows.length ? Object.keys(rows[0]) : [];
  for (const r of rows) {
    const k = Object.keys(r);
    if (k.length !== keys.length || k.some((x) => !keys.includes(x)))
      return pgrstError(res, 400, 'PGRST102', 'All object keys must match');
  }
  for (const k of keys)
    if (!columns.includes(k))
      return pgrstError(res, 400, 'PGRST204', `Could not find the '${k}' column of '${table}' in the schema cache`);
  const prefer = preferences(req);
  const onConflict = (url.searchParams.get('on_conflict') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const k of onConflict)
    if (!columns.includes(k))
      return pgrstError(res, 400, 'PGRST204', `Could not find the '${k}' column of '${table}' in the schema cache`);
  const select = (url.searchParams.get('select') ?? '*').split(',').map((s) => s.trim()).filter(Boolean);
  for (const k of select)
    if (k !== '*' && !columns.includes(k))
      return pgrstError(res, 400, '42703', `column ${table}.${k} does not exist`);
  const target = `${ident(schema)}.${ident(table)}`;
  const list = keys.map(ident).join(', ');
  let conflict = '';
  if (prefer.resolution === 'ignore-duplicates')
    conflict = onConflict.length ? ` ON CONFLICT (${onConflict.map(ident).join(', ')}) DO NOTHING` : ' ON CONFLICT DO NOTHING';
  const returning = select.includes('*') ? '*' : select.map(ident).join(', ');
  const sql = keys.length
    ? `INSERT INTO ${target} (${list}) SELECT ${list} FROM json_populate_recordset(null::${target}, $1)${conflict} RETURNING ${returning}`
    : `INSERT INTO ${target} DEFAULT VALUES RETURNING ${returning}`;
  let inserted;
  try {
    inserted = await asRole(role, (client) => (rows.length ? client.query(sql, keys.length ? [JSON.stringify(rows)] : []) : { rows: [] }));
  } catch (e) {
    return dbError(res, e, role);
  }
  if (prefer.return === 'representation') return send(res, 201, inserted.rows);
  return send(res, 201, undefined);
}

async function rpc(req, res, schema, fn, role) {
  const found = await pool.query(
    `select p.prorettype = 'void'::regtype as void from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = $1 and p.proname = $2`,
    [schema, fn],
  );
  if (found.rows.length === 0)
    return pgrstError(res, 404, 'PGRST202', `Could not find the function ${schema}.${fn} in the schema cache`);
  let body;
  try {
    body = JSON.parse((await readBody(req)) || '{}');
  } catch (e) {
    return pgrstError(res, 400, 'PGRST102', 'Empty or invalid json');
  }
  const names = Object.keys(body ?? {});
  const call = `${ident(schema)}.${ident(fn)}(${names.map((n, i) => `${ident(n)} => $${i + 1}`).join(', ')})`;
  let result;
  try {
    result = await asRole(role, (client) => client.query(`SELECT ${call} AS result`, names.map((n) => body[n])));
  } catch (e) {
    return dbError(res, e, role);
  }
  if (found.rows[0].void) return send(res, 204, undefined);
  return send(res, 200, result.rows[0]?.result ?? null);
}

// ---- server --------------------------------------------------------------------------------

function keyKind(key) {
  if (!key) return '';
  if (key === serviceKey) return 'service';
  if (anonKey && key === anonKey) return 'anon';
  return 'other';
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, `http://${req.headers.host ?? '127.0.0.1'}`);
    const path = url.pathname;
    if (path === '/_control/requests' && req.method === 'GET') return send(res, 200, requests);
    if (path === '/_control/fail' && req.method === 'POST') {
      failures = { status: 503, ...JSON.parse((await readBody(req)) || '{}') };
      return send(res, 200, failures);
    }
    if (path === '/_control/reset' && req.method === 'POST') {
      requests = [];
      failures = { times: 0, status: 503 };
      return send(res, 200, {});
    }

    const apikey = req.headers.apikey ?? '';
    const kind = keyKind(apikey);
    const profile = req.method === 'GET' || req.method === 'HEAD' ? req.headers['accept-profile'] : req.headers['content-profile'];
    requests.push({ method: req.method, path: req.url, profile: profile ?? '', prefer: req.headers.prefer ?? '', apikey: kind });
    if (failures.times > 0) {
      failures.times -= 1;
      return send(res, failures.status, { message: 'injected failure' });
    }

    // Supabase's gateway: the key decides the role.
    if (kind === '' || kind === 'other')
      return send(res, 401, { message: 'Invalid API key', hint: 'Double check your Supabase `anon` or `service_role` API key.' });
    const bearer = req.headers.authorization ?? '';
    if (bearer && bearer !== `Bearer ${apikey}`)
      return pgrstError(res, 401, 'PGRST301', 'No suitable key or wrong key type');
    const role = kind === 'service' ? 'service_role' : 'anon';

    const m = /^\/rest\/v1\/(rpc\/)?([^/]+)$/.exec(path);
    if (!m) return send(res, 404, { message: 'no Route matched with those values' });
    const schema = profile ?? schemas[0];
    if (!schemas.includes(schema))
      return pgrstError(res, 406, 'PGRST106', `The schema must be one of the following: ${schemas.join(', ')}`);
    const name = decodeURIComponent(m[2]);
    if (req.method !== 'POST') return pgrstError(res, 405, 'PGRST117', `Unsupported HTTP method: ${req.method}`);
    if (m[1]) return await rpc(req, res, schema, name, role);
    return await insert(req, res, url, schema, name, role);
  } catch (e) {
    return send(res, 500, { code: 'XX000', details: null, hint: null, message: `test server: ${e.message}` });
  }
});

// Supabase's roles, once per cluster; two servers starting together may race, which is fine.
async function ensureRoles() {
  for (const [name, extra] of [['anon', ''], ['authenticated', ''], ['service_role', ' BYPASSRLS']]) {
    const exists = await pool.query('select 1 from pg_roles where rolname = $1', [name]);
    if (exists.rows.length) continue;
    try {
      await pool.query(`CREATE ROLE ${ident(name)} NOLOGIN${extra}`);
    } catch (e) {
      if (e.code !== '42710' && e.code !== '23505') throw e;  // created meanwhile by another server
    }
  }
}

ensureRoles()
  .then(() => {
    server.listen(0, '127.0.0.1', () => {
      process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
    });
  })
  .catch((e) => {
    process.stdout.write(`cannot start: ${e.message}\n`);
    process.exit(1);
  });

const stop = () => server.close(() => pool.end().finally(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
