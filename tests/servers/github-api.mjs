// A stand-in for the GitHub REST API (api.github.com) for tests: plain Node 20, no packages.
//
//   node tests/servers/github-api.mjs [--state FILE] [--token TOKEN]
//
// Listens on 127.0.0.1 on a port it picks and prints "listening on http://127.0.0.1:PORT" as
// its first line; stops on SIGTERM or when its stdin closes.
//
// It behaves like GitHub where sbdeploy can tell:
//   - JSON bodies; errors as {"message", "documentation_url"}; 404 for anything unknown
//   - authentication: with a token configured, a request without "Authorization: Bearer
//     <token>" (or "token <token>") gets 401 {"message": "Bad credentials"}
//   - pagination: per_page (default 30, at most 100) and page; a Link header with rel="next",
//     "last", "first" and "prev" whose URLs are absolute and use /repositories/{id}/... as
//     GitHub's do (both URL forms are served)
//   - primary rate limit: x-ratelimit-limit/remaining/used/reset/resource on every answer;
//     when the budget is used up, 403 {"message": "API rate limit exceeded for ..."} until
//     the reset time (seconds since the epoch) passes
//   - secondary rate limit: 403 with retry-after and GitHub's message, for the next N requests
//
// Routes (ROUTES below; add a row to serve more of the API):
//   GET /repos/{o}/{r}/pulls/{n}/files        at most 3,000 files, as GitHub lists them
//   GET /repos/{o}/{r}/commits/{sha}/pulls     the pulls whose merge_commit_sha is sha or whose
//                                             commits include it; merged ones only when any is
//                                             merged (GitHub: "the merged pull request that
//                                             introduced the commit"), as full pull objects
//   GET /repos/{o}/{r}/compare/{base}...{head} files (at most 300) on the first page only;
//                                             commits paginated when page or per_page is given
//   GET /repos/{o}/{r}/pulls                   pull_list, sorted as sort (created|updated) and
//                                             direction ask, paginated (metrics backfill)
//   GET /repos/{o}/{r}/deployments             deployments, newest first, paginated
//   GET /repos/{o}/{r}/deployments/{id}/statuses  that deployment's statuses, newest first
//   GET /repos/{o}/{r}/actions/runs            workflow_runs, newest first, status and
//                                             created (>=DATE) filters, {total_count, workflow_runs}
//   GET /repos/{o}/{r}/branches/{b}/protection  the branch's protection as GitHub answers it;
//                                             404 "Branch not found" / "Branch not protected"
//   PUT /repos/{o}/{r}/branches/{b}/protection  replaces it (body validated as GitHub does: the
//                                             four required keys, their types; 422 otherwise);
//                                             403 when the repo's "admin" is false
//
// State (what the API "knows"), set with --state FILE at start or POST /_control/state:
//   {
//     "token": "secret",                         // optional: required from clients
//     "rate_limit": {"limit": 5000, "remaining": 5000, "reset": 1750000000},  // or "reset_in": 1
//                                                // (seconds after the first limited request)
//     "secondary_limit": {"times": 1, "retry_after": 0},
//     "repos": {
//       "owner/name": {
//         "id": 123,
//         "pulls": {"7": {"files": [FILE...]}},
//         "branches": {"main": {}, "staging": {"protection": PUT_BODY}},  // branch protection;
//         "admin": false                         // the token may not change settings (403)
//         // for commits/{sha}/pulls, a pull may also say: "head": "hotfix/x", "base": "main",
//         // "labels": ["hotfix"], "merged_at": "2025-...Z" (absent: open), "merge_commit_sha",
//         // "commits": [sha...] (its head commits; the last is head.sha), "head_repo": "o/r"
//         "compares": {"BASE...HEAD": {"merge_base": "sha", "files": [FILE...], "commits": ["sha"...]}}
//         // metrics backfill: GitHub's objects as the list endpoints return them
//         "pull_list": [PULL...], "deployments": [{...DEPLOYMENT, "statuses": [STATUS...]}],
//         "workflow_runs": [RUN...]
//       }
//     }
//   }
// FILE is {"filename", "status", "previous_filename"?} (status: added, removed, modified,
// renamed, copied, changed, unchanged), or {"generate": N, "prefix": "f/", "status": "added"}
// for N files "f/00000.sql", ... in one entry (the 3,000-file cap without a huge request).
// Other fields of a file object (sha, additions, patch, ...) are filled in.
//
// Control endpoints (not GitHub's; under /_control):
//   POST /_control/state     replace the whole state with the JSON body
//   PATCH /_control/state    merge the body into the state (top-level keys)
//   GET /_control/requests   the requests received so far: [{method, path, authorization}]
//   POST /_control/reset     forget the requests received
import http from 'node:http';
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
function arg(name) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined;
}

let state = {};
if (arg('--state')) state = JSON.parse(readFileSync(arg('--state'), 'utf8'));
if (arg('--token')) state.token = arg('--token');
let requests = [];

const DOCS = 'https://docs.github.com/rest';
const PULL_FILES_CAP = 3000;
const COMPARE_FILES_CAP = 300;

// ---- helpers -------------------------------------------------------------------------------

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function error(res, status, message, headers = {}) {
  send(res, status, { message, documentation_url: DOCS }, headers);
}

function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

function repo(owner, name) {
  return state.repos?.[`${owner}/${name}`];
}

function repoById(id) {
  for (const [fullName, r] of Object.entries(state.repos ?? {}))
    if (String(r.id) === String(id)) return { fullName, r };
  return undefined;
}

function fakeSha(text) {
  // 40 hex digits derived from the text: stable, and not a real object.
  let h = 2166136261;
  let out = '';
  for (let round = 0; out.length < 40; ++round) {
    for (const ch of `${round}:${text}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 40);
}

// The file list with "generate" entries expanded and GitHub's other fields filled in.
function expandFiles(files = []) {
  const out = [];
  for (const f of files) {
    if (f.generate !== undefined) {
      const width = Math.max(5, String(f.generate).length);
      for (let i = 0; i < f.generate; ++i)
        out.push({ filename: `${f.prefix ?? 'f/'}${String(i).padStart(width, '0')}${f.suffix ?? '.sql'}`, status: f.status ?? 'added' });
    } else {
      out.push({ ...f });
    }
  }
  return out.map((f) => ({
    sha: fakeSha(f.filename),
    filename: f.filename,
    status: f.status,
    additions: f.status === 'removed' ? 0 : 1,
    deletions: f.status === 'added' ? 0 : 1,
    changes: f.status === 'renamed' ? 0 : 1,
    blob_url: `https://github.com/blob/${encodeURIComponent(f.filename)}`,
    raw_url: `https://github.com/raw/${encodeURIComponent(f.filename)}`,
    contents_url: `https://api.github.com/contents/${encodeURIComponent(f.filename)}`,
    ...(f.previous_filename !== undefined ? { previous_filename: f.previous_filename } : {}),
    ...(f.status === 'renamed' ? {} : { patch: '@@ -0,0 +1 @@\n+select 1;' }),
  }));
}

function pageParams(url) {
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  return { perPage, page };
}

// GitHub's Link header for `page` of `pages`, on the /repositories/{id}/... form of the path.
function linkHeader(req, idPath, url, page, pages) {
  const base = `http://${req.headers.host}${idPath}`;
  const at = (p) => {
    const q = new URLSearchParams(url.searchParams);
    q.set('page', String(p));
    return `<${base}?${q}>`;
  };
  const links = [];
  if (page > 1) links.push(`${at(page - 1)}; rel="prev"`);
  if (page < pages) links.push(`${at(page + 1)}; rel="next"`, `${at(pages)}; rel="last"`);
  if (page > 1) links.push(`${at(1)}; rel="first"`);
  return links.length ? { link: links.join(', ') } : {};
}

// ---- GitHub routes -------------------------------------------------------------------------

// GET /repos/{o}/{r}/pulls/{n}/files
function pullFiles(req, res, url, { r, id, number }) {
  const pull = r.pulls?.[number];
  if (!pull) return error(res, 404, 'Not Found');
  const files = expandFiles(pull.files).slice(0, PULL_FILES_CAP);
  const { perPage, page } = pageParams(url);
  const pages = Math.max(1, Math.ceil(files.length / perPage));
  const body = files.slice((page - 1) * perPage, page * perPage);
  send(res, 200, body, linkHeader(req, `/repositories/${id}/pulls/${number}/files`, url, page, pages));
}

// GET /repos/{o}/{r}/compare/{base}...{head}
function compare(req, res, url, { r, id, basehead }) {
  const cmp = r.compares?.[basehead];
  if (!cmp) return error(res, 404, `No common ancestor between ${basehead.replace('...', ' and ')}.`);
  const commits = (cmp.commits ?? []).map((sha) => ({ sha, commit: { message: `commit ${sha.slice(0, 7)}` } }));
  const files = expandFiles(cmp.files).slice(0, COMPARE_FILES_CAP);
  const paged = url.searchParams.has('page') || url.searchParams.has('per_page');
  const { perPage, page } = pageParams(url);
  const pages = paged ? Math.max(1, Math.ceil(commits.length / perPage)) : 1;
  const [base, head] = basehead.split('...');
  const body = {
    url: `http://${req.headers.host}/repos/${url.pathname.split('/')[2]}/${url.pathname.split('/')[3]}/compare/${basehead}`,
    base_commit: { sha: cmp.base_sha ?? fakeSha(base) },
    merge_base_commit: { sha: cmp.merge_base ?? fakeSha(base) },
    status: commits.length ? 'ahead' : 'identical',
    ahead_by: commits.length,
    behind_by: 0,
    total_commits: commits.length,
    commits: paged ? commits.slice((page - 1) * perPage, page * perPage) : commits.slice(-250),
    ...(page === 1 ? { files } : {}),
  };
  void head;
  send(res, 200, body, paged ? linkHeader(req, `/repositories/${id}/compare/${basehead}`, url, page, pages) : {});
}

// A pull of the state as GitHub's pull request object (the fields clients read, and their shape).
function pullObject(req, fullName, number, p) {
  const commits = p.commits ?? [];
  const headSha = commits.at(-1) ?? fakeSha(`head ${number}`);
  const api = `http://${req.headers.host}/repos/${fullName}`;
  return {
    url: `${api}/pulls/${number}`,
    id: 1000 + Number(number),
    number: Number(number),
    state: p.merged_at || p.closed_at ? 'closed' : 'open',
    title: p.title ?? `pull request ${number}`,
    user: { login: p.author ?? 'octocat', type: 'User' },
    labels: (p.labels ?? []).map((name, i) => ({ id: 200 + i, name, color: 'ededed', default: false })),
    created_at: p.created_at ?? '2025-01-01T10:00:00Z',
    closed_at: p.closed_at ?? p.merged_at ?? null,
    merged_at: p.merged_at ?? null,
    merge_commit_sha: p.merge_commit_sha ?? null,
    draft: false,
    head: { label: `acme:${p.head ?? 'feature'}`, ref: p.head ?? 'feature', sha: headSha, repo: { full_name: p.head_repo ?? fullName } },
    base: { label: `acme:${p.base ?? 'main'}`, ref: p.base ?? 'main', sha: fakeSha(`base ${number}`), repo: { full_name: fullName } },
    author_association: 'MEMBER',
  };
}

// GET /repos/{o}/{r}/commits/{sha}/pulls
function commitPulls(req, res, url, { r, id, sha }) {
  const fullName = Object.entries(state.repos ?? {}).find(([, x]) => x === r)?.[0] ?? 'o/r';
  const matching = Object.entries(r.pulls ?? {}).filter(
    ([, p]) => p.merge_commit_sha === sha || (p.commits ?? []).includes(sha));
  const merged = matching.filter(([, p]) => p.merged_at);
  const items = (merged.length ? merged : matching).map(([n, p]) => pullObject(req, fullName, n, p));
  sendPage(req, res, url, `/repositories/${id}/commits/${sha}/pulls`, items);
}

// ---- metrics backfill routes -------------------------------------------------------------

// One page of `items` with GitHub's Link header.
function sendPage(req, res, url, idPath, items) {
  const { perPage, page } = pageParams(url);
  const pages = Math.max(1, Math.ceil(items.length / perPage));
  send(res, 200, items.slice((page - 1) * perPage, page * perPage), linkHeader(req, idPath, url, page, pages));
}

// GET /repos/{o}/{r}/pulls?state=all&sort=updated&direction=desc
function pullList(req, res, url, { r, id }) {
  const sort = url.searchParams.get('sort') ?? 'created';
  const key = sort === 'updated' ? 'updated_at' : 'created_at';
  const sign = (url.searchParams.get('direction') ?? 'desc') === 'asc' ? 1 : -1;
  const state = url.searchParams.get('state') ?? 'open';
  const items = (r.pull_list ?? [])
    .filter((p) => state === 'all' || (state === 'open' ? !p.closed_at : Boolean(p.closed_at)))
    .sort((a, b) => sign * String(a[key]).localeCompare(String(b[key])));
  sendPage(req, res, url, `/repositories/${id}/pulls`, items);
}

// GET /repos/{o}/{r}/deployments
function deploymentList(req, res, url, { r, id }) {
  const items = (r.deployments ?? [])
    .map(({ statuses, ...d }) => d)
    .sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  sendPage(req, res, url, `/repositories/${id}/deployments`, items);
}

// GET /repos/{o}/{r}/deployments/{deployment}/statuses
function deploymentStatuses(req, res, url, { r, id, deployment }) {
  const d = (r.deployments ?? []).find((x) => String(x.id) === deployment);
  if (!d) return error(res, 404, 'Not Found');
  const items = [...(d.statuses ?? [])].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  return sendPage(req, res, url, `/repositories/${id}/deployments/${deployment}/statuses`, items);
}

// GET /repos/{o}/{r}/actions/runs?status=completed&created=>=YYYY-MM-DD
function workflowRuns(req, res, url, { r, id }) {
  const status = url.searchParams.get('status');
  const created = url.searchParams.get('created') ?? '';
  const since = created.startsWith('>=') ? created.slice(2) : '';
  const runs = (r.workflow_runs ?? [])
    .filter((run) => !status || run.status === status || run.conclusion === status)
    .filter((run) => !since || String(run.created_at) >= since)
    .sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  const { perPage, page } = pageParams(url);
  const pages = Math.max(1, Math.ceil(runs.length / perPage));
  send(res, 200, { total_count: runs.length, workflow_runs: runs.slice((page - 1) * perPage, page * perPage) },
    linkHeader(req, `/repositories/${id}/actions/runs`, url, page, pages));
}

// ---- branch protection -------------------------------------------------------------------

// GitHub's answer for a protection stored as the PUT body that set it.
function protectionObject(req, fullName, branch, p) {
  const api = `http://${req.headers.host}/repos/${fullName}/branches/${encodeURIComponent(branch)}/protection`;
  const flag = (name) => ({ enabled: Boolean(p[name]) });
  const out = { url: api };
  if (p.required_status_checks) {
    const checks = p.required_status_checks.checks ?? (p.required_status_checks.contexts ?? []).map((context) => ({ context, app_id: null }));
    out.required_status_checks = {
      url: `${api}/required_status_checks`,
      strict: p.required_status_checks.strict,
      contexts: checks.map((c) => c.context),
      contexts_url: `${api}/required_status_checks/contexts`,
      checks: checks.map((c) => ({ context: c.context, app_id: c.app_id ?? null })),
    };
  }
  if (p.required_pull_request_reviews)
    out.required_pull_request_reviews = {
      url: `${api}/required_pull_request_reviews`,
      dismiss_stale_reviews: Boolean(p.required_pull_request_reviews.dismiss_stale_reviews),
      require_code_owner_reviews: Boolean(p.required_pull_request_reviews.require_code_owner_reviews),
      required_approving_review_count: p.required_pull_request_reviews.required_approving_review_count ?? 1,
      require_last_push_approval: Boolean(p.required_pull_request_reviews.require_last_push_approval),
    };
  out.required_signatures = { url: `${api}/required_signatures`, enabled: false };
  out.enforce_admins = { url: `${api}/enforce_admins`, enabled: Boolean(p.enforce_admins) };
  if (p.restrictions)
    out.restrictions = {
      url: `${api}/restrictions`,
      users: (p.restrictions.users ?? []).map((login) => ({ login })),
      teams: (p.restrictions.teams ?? []).map((slug) => ({ slug })),
      apps: (p.restrictions.apps ?? []).map((slug) => ({ slug })),
    };
  for (const name of ['required_linear_history', 'allow_force_pushes', 'allow_deletions', 'block_creations',
    'required_conversation_resolution', 'lock_branch', 'allow_fork_syncing'])
    out[name] = flag(name);
  return out;
}

// What GitHub says about a PUT body it refuses, or null when it is acceptable.
function protectionBodyProblem(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'Invalid request.\n\nBody must be a JSON object.';
  const missing = ['required_status_checks', 'enforce_admins', 'required_pull_request_reviews', 'restrictions'].filter((k) => !(k in body));
  if (missing.length)
    return `Invalid request.\n\n${missing.map((k) => `"${k}"`).join(', ')} ${missing.length === 1 ? "wasn't" : "weren't"} supplied.`;
  const checks = body.required_status_checks;
  if (checks !== null) {
    if (typeof checks !== 'object' || typeof checks.strict !== 'boolean')
      return 'Invalid request.\n\nFor \'properties/required_status_checks\', "strict" is required and must be a boolean.';
    if (!Array.isArray(checks.checks ?? checks.contexts))
      return 'Invalid request.\n\nFor \'properties/required_status_checks\', "contexts" or "checks" must be an array.';
    if ((checks.checks ?? []).some((c) => typeof c?.context !== 'string' || (c.app_id !== undefined && c.app_id !== null && !Number.isInteger(c.app_id))))
      return 'Invalid request.\n\nFor \'items\', each check needs a "context" string and an integer "app_id" when given.';
  }
  if (body.enforce_admins !== null && typeof body.enforce_admins !== 'boolean')
    return 'Invalid request.\n\nFor \'properties/enforce_admins\', it is not a boolean or null.';
  const reviews = body.required_pull_request_reviews;
  if (reviews !== null && (typeof reviews !== 'object' || (reviews.required_approving_review_count !== undefined &&
      !(Number.isInteger(reviews.required_approving_review_count) && reviews.required_approving_review_count >= 0 && reviews.required_approving_review_count <= 6))))
    return 'Invalid request.\n\nFor \'properties/required_approving_review_count\', it must be an integer from 0 to 6.';
  const r = body.restrictions;
  if (r !== null && (typeof r !== 'object' || !Array.isArray(r.users) || !Array.isArray(r.teams)))
    return 'Invalid request.\n\nFor \'properties/restrictions\', "users" and "teams" are required arrays.';
  return null;
}

const fullNameOf = (r) => Object.entries(state.repos ?? {}).find(([, x]) => x === r)?.[0] ?? 'o/r';

// GET /repos/{o}/{r}/branches/{b}/protection
function getProtection(req, res, url, { r, branch }) {
  const b = r.branches?.[branch];
  if (!b) return error(res, 404, 'Branch not found');
  if (!b.protection) return error(res, 404, 'Branch not protected');
  return send(res, 200, protectionObject(req, fullNameOf(r), branch, b.protection));
}

// PUT /repos/{o}/{r}/branches/{b}/protection
async function putProtection(req, res, url, { r, branch }) {
  const text = await readBody(req);
  if (r.admin === false) return error(res, 403, 'Resource not accessible by integration');
  const b = r.branches?.[branch];
  if (!b) return error(res, 404, 'Branch not found');
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return error(res, 400, 'Problems parsing JSON');
  }
  const problem = protectionBodyProblem(body);
  if (problem) return error(res, 422, problem);
  b.protection = body;
  return send(res, 200, protectionObject(req, fullNameOf(r), branch, body));
}

// [method, path pattern, handler]. Named groups "owner" and "repo" select the repository
// (404 when unknown); "id" does the same for /repositories/{id}/... paths.
const ROUTES = [
  // branch protection (sbdeploy init --apply)
  ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/branches\/(?<branch>.+)\/protection$/, getProtection],
  ['PUT', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/branches\/(?<branch>.+)\/protection$/, putProtection],
  // metrics backfill
  ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/pulls$/, pullList],
  ['GET', /^\/repositories\/(?<id>\d+)\/pulls$/, pullList],
  ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/deployments$/, deploymentList],
  ['GET', /^\/repositories\/(?<id>\d+)\/deployments$/, deploymentList],
  ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/deployments\/(?<deployment>\d+)\/statuses$/, deploymentStatuses],
  ['GET', /^\/repositories\/(?<id>\d+)\/deployments\/(?<deployment>\d+)\/statuses$/, deploymentStatuses],
  ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/actions\/runs$/, workflowRuns],
  ['GET', /^\/repositories\/(?<id>\d+)\/actions\/runs$/, workflowRuns],
  ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/pulls\/(?<number>\d+)\/files$/, pullFiles],
  ['GET', /^\/repositories\/(?<id>\d+)\/pulls\/(?<number>\d+)\/files$/, pullFiles],
  ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/commits\/(?<sha>[0-9a-f]{7,40})\/pulls$/, commitPulls],
  ['GET', /^\/repositories\/(?<id>\d+)\/commits\/(?<sha>[0-9a-f]{7,40})\/pulls$/, commitPulls],
  ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/compare\/(?<basehead>[^/]+\.\.\.[^/]+)$/, compare],
  ['GET', /^\/repositories\/(?<id>\d+)\/compare\/(?<basehead>[^/]+\.\.\.[^/]+)$/, compare],
];

// ---- rate limits and authentication --------------------------------------------------------

function rateHeaders() {
  const rl = state.rate_limit ?? {};
  const limit = rl.limit ?? 5000;
  const remaining = Math.max(0, rl.remaining ?? limit);
  return {
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-used': String(limit - remaining),
    'x-ratelimit-reset': String(rl.reset ?? nowSeconds() + 3600),
    'x-ratelimit-resource': 'core',
  };
}

// Spends one request of the budget; false (and the answer sent) when the limit is hit.
function withinLimits(res) {
  const secondary = state.secondary_limit;
  if (secondary && (secondary.times ?? 0) > 0) {
    secondary.times -= 1;
    error(res, 403, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', {
      ...rateHeaders(),
      'retry-after': String(secondary.retry_after ?? 60),
    });
    return false;
  }
  const rl = state.rate_limit;
  if (!rl) return true;
  // reset_in: the window resets that many seconds after the first request that hits it
  // (for tests that must see one 403 and then a success, however slow the client starts).
  if (rl.reset === undefined && rl.reset_in !== undefined && (rl.remaining ?? 0) <= 0) rl.reset = nowSeconds() + rl.reset_in;
  if (rl.reset !== undefined && rl.reset <= nowSeconds() && (rl.remaining ?? 0) <= 0) {
    rl.remaining = rl.limit ?? 5000;  // the window passed
    rl.reset = nowSeconds() + 3600;
  }
  if ((rl.remaining ?? 0) <= 0) {
    error(res, 403, 'API rate limit exceeded for installation ID 4242.', rateHeaders());
    return false;
  }
  rl.remaining -= 1;
  return true;
}

function authorized(req) {
  if (!state.token) return true;
  const given = req.headers.authorization ?? '';
  return given === `Bearer ${state.token}` || given === `token ${state.token}`;
}

// ---- control endpoints ---------------------------------------------------------------------

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function control(req, res, path) {
  if (path === '/_control/state' && (req.method === 'POST' || req.method === 'PATCH')) {
    const body = JSON.parse((await readBody(req)) || '{}');
    state = req.method === 'POST' ? body : { ...state, ...body };
    return send(res, 200, state);
  }
  if (path === '/_control/state' && req.method === 'GET') return send(res, 200, state);
  if (path === '/_control/requests' && req.method === 'GET') return send(res, 200, requests);
  if (path === '/_control/reset' && req.method === 'POST') {
    requests = [];
    return send(res, 200, {});
  }
  return error(res, 404, 'Not Found');
}

// ---- server --------------------------------------------------------------------------------

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, `http://${req.headers.host ?? '127.0.0.1'}`);
    const path = url.pathname;
    if (path.startsWith('/_control/')) return await control(req, res, path);
    requests.push({ method: req.method, path: req.url, authorization: req.headers.authorization ?? '' });
    if (!authorized(req)) return error(res, 401, 'Bad credentials', rateHeaders());
    for (const [method, pattern, handler] of ROUTES) {
      const m = pattern.exec(path);
      if (!m || req.method !== method) continue;
      const params = { ...m.groups };
      if (params.owner !== undefined) {
        params.r = repo(decodeURIComponent(params.owner), decodeURIComponent(params.repo));
        params.id = params.r?.id ?? 1;
      } else if (params.id !== undefined) {
        params.r = repoById(params.id)?.r;
      }
      if (params.basehead !== undefined) params.basehead = decodeURIComponent(params.basehead);
      if (params.branch !== undefined) params.branch = decodeURIComponent(params.branch);
      if (!params.r) return error(res, 404, 'Not Found', rateHeaders());
      if (!withinLimits(res)) return undefined;
      res.setHeader('x-github-api-version-selected', '2022-11-28');
      for (const [k, v] of Object.entries(rateHeaders())) res.setHeader(k, v);
      return await handler(req, res, url, params);
    }
    return error(res, 404, 'Not Found', rateHeaders());
  } catch (e) {
    return error(res, 500, `test server: ${e.message}`);
  }
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
