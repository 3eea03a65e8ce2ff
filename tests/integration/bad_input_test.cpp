// Bad input, table-driven: each case runs the built binary against a real database that has
// one migration applied and one pending, so a case that wrongly went ahead would change it.
// Each must end with its exact stderr and exit code, and leave the database as it was: the
// history rows and a catalog fingerprint after every case, pg_dump after every table.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <span>
#include <string>
#include <vector>

#include "support/dump.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;
namespace fs = std::filesystem;

namespace {

// What a case may change before the run: the project's files, the arguments and variables.
struct World {
    TempProject& project;
    std::string url;  // the test database
    std::vector<std::string> args;
    Env env;

    [[nodiscard]] std::string migrations() const { return project.path("supabase/migrations"); }
    void write(const std::string& relative, const std::string& bytes) const { project.file(relative, bytes); }
    void add(const std::string& filename, const std::string& sql) const { project.migration(filename, sql); }
    // Replaces the value after `flag` in the arguments.
    void set(const std::string& flag, const std::string& value) {
        for (std::size_t i = 0; i + 1 < args.size(); ++i)
            if (args[i] == flag) {
                args[i + 1] = value;
                return;
            }
        args.push_back(flag);
        args.push_back(value);
    }
    void drop(const std::string& flag) {
        for (std::size_t i = 0; i + 1 < args.size(); ++i)
            if (args[i] == flag) {
                args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                           args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
                return;
            }
    }
    // A production push event: the URL comes from SBDEPLOY_PRODUCTION_DB_URL, the payload from `payload`.
    void push_event(const std::string& payload_file) {
        drop("--db-url");
        env["GITHUB_EVENT_NAME"] = "push";
        env["GITHUB_REF"] = "refs/heads/main";
        env["GITHUB_EVENT_PATH"] = payload_file;
        env["SBDEPLOY_PRODUCTION_DB_URL"] = url;
        args.push_back("--promote-from");
        args.push_back("none");
    }
};

struct Case {
    const char* name;
    std::function<void(World&)> setup;
    int exit_code;
    // The whole stderr. {db} is the database as messages describe it (127.0.0.1:PORT/NAME),
    // {root} the project folder; "(N attempts in T s)" stands for any retry count and time.
    std::string err;
};

struct Baseline {
    std::string url;
    std::string db;    // 127.0.0.1:PORT/NAME
    std::string host;  // 127.0.0.1:PORT
    std::string port;
    std::vector<std::string> history;
    std::string fingerprint;
    std::string dump;
};

constexpr const char* kBase =
    "create table base (id int primary key, label text);\ninsert into base values (1, 'one');\n";
constexpr const char* kPending = "create table pending_marker (id int);\ninsert into base values (2, 'two');\n";

// Tables, columns, functions, types, schemas, extensions, policies, and the rows of `base`.
std::string fingerprint(const std::string& url) {
    return query_column(url, R"sql(
SELECT md5(coalesce(string_agg(item, E'\n' ORDER BY item), '')) FROM (
  SELECT 'rel ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text || ' ' ||
         coalesce((SELECT string_agg(a.attname || ':' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum)
                   FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') AS item
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  UNION ALL
  SELECT 'fn ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc) FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  UNION ALL SELECT 'ns ' || nspname FROM pg_namespace
  UNION ALL SELECT 'ext ' || extname FROM pg_extension
  UNION ALL SELECT 'policy ' || polname FROM pg_policy
  UNION ALL SELECT 'base ' || id || ' ' || coalesce(label, '') FROM public.base
) items)sql")
        .at(0);
}

// One database per test process: 20240101000001_base.sql applied, nothing else.
const Baseline& baseline() {
    static const Baseline b = [] {
        Baseline x;
        x.url = fresh_database("bad_input");
        TempProject project;
        project.migration("20240101000001_base.sql", kBase);
        auto r = run_sbdeploy({"push", "--db-url", x.url, "--workdir", project.root().string()});
        if (r.exit_code != 0) throw std::runtime_error("bad input baseline push failed: " + r.err);
        auto at = x.url.rfind('@');
        x.db = x.url.substr(at + 1);
        x.host = x.db.substr(0, x.db.find('/'));
        x.port = x.host.substr(x.host.find(':') + 1);
        x.history = history_rows(x.url);
        x.fingerprint = fingerprint(x.url);
        x.dump = schema_dump(x.url);
        return x;
    }();
    return b;
}

std::string expand(std::string text, const Baseline& b, const TempProject& project) {
    for (auto [from, to] : {std::pair<std::string, std::string>{"{db}", b.db},
                            {"{host}", b.host},
                            {"{port}", b.port},
                            {"{root}", project.root().string()}}) {
        for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
            text.replace(at, from.size(), to);
    }
    return text;
}

std::string normalize(const std::string& err) {
    static const std::regex attempts(R"(\(\d+ attempts in [0-9.]+ s\))");
    return std::regex_replace(err, attempts, "(N attempts in T s)");
}

void run_table(std::span<const Case> cases) {
    const Baseline& b = baseline();
    for (const Case& c : cases) {
        INFO("case: " << c.name);
        TempProject project;
        project.migration("20240101000001_base.sql", kBase);
        project.migration("20240101000002_pending.sql", kPending);
        World w{project, b.url, {"push", "--workdir", project.root().string(), "--db-url", b.url}, {}};
        c.setup(w);
        auto r = run_sbdeploy(w.args, w.env, project.root().string());
        INFO("stdout:\n" << r.out);
        CHECK(r.exit_code == c.exit_code);
        CHECK(normalize(r.err) == expand(c.err, b, project));
        CHECK(history_rows(b.url) == b.history);
        CHECK(fingerprint(b.url) == b.fingerprint);
    }
    CHECK(schema_dump(b.url) == b.dump);
}

std::string repeat(std::string_view piece, std::size_t times) {
    std::string s;
    s.reserve(piece.size() * times);
    for (std::size_t i = 0; i < times; ++i) s += piece;
    return s;
}

const std::string kPayloadHint =
    "hint: sbdeploy reads the JSON payload the runner wrote for this event; check GITHUB_EVENT_PATH or --event-path\n";

const std::string kUrlHint =
    "hint: use postgresql://USER:PASSWORD@HOST:PORT/DBNAME, with special characters in the password percent-encoded\n";

const std::string kDurationHint = "hint: write it as 500ms, 30s, 5m or 1h\n";

// A payload file in the project folder (sbdeploy runs there, so the relative name is printed).
std::function<void(World&)> payload(std::string bytes, std::function<void(World&)> more = {}) {
    return [bytes = std::move(bytes), more](World& w) {
        w.write("event.json", bytes);
        w.push_event("event.json");
        if (more) more(w);
    };
}

} // namespace

TEST_CASE("bad input: migration folder entries that cannot be applied are refused with the file named, before anything "
          "runs") {
    const Case cases[] = {
        {"a version used twice (both pending)", [](World& w) { w.add("20240101000002_again.sql", "select 1;\n"); }, 2,
         "sbdeploy: error: supabase/migrations/20240101000002_pending.sql: migrations "
         "\"supabase/migrations/20240101000002_again.sql\" and \"supabase/migrations/20240101000002_pending.sql\" "
         "share "
         "version \"20240101000002\"\n"
         "hint: give one of them a new version (a later timestamp); the history table keys on the version\n"},
        {"a version used twice (one applied)", [](World& w) { w.add("20240101000001_again.sql", "select 1;\n"); }, 2,
         "sbdeploy: error: supabase/migrations/20240101000001_base.sql: migrations "
         "\"supabase/migrations/20240101000001_again.sql\" and \"supabase/migrations/20240101000001_base.sql\" share "
         "version \"20240101000001\"\n"
         "hint: give one of them a new version (a later timestamp); the history table keys on the version\n"},
        {"a folder named like a migration",
         [](World& w) { w.write("supabase/migrations/20240101000003_folder.sql/inner.sql", "select 1;\n"); }, 2,
         "sbdeploy: error: supabase/migrations/20240101000003_folder.sql: migration "
         "\"supabase/migrations/20240101000003_folder.sql\" is a folder, not a file\n"
         "hint: move the .sql file out of it, or rename the folder so its name does not end in .sql\n"},
        {"a link to a folder named like a migration",
         [](World& w) { fs::create_directory_symlink("..", w.migrations() + "/20240101000003_up.sql"); }, 2,
         "sbdeploy: error: supabase/migrations/20240101000003_up.sql: migration "
         "\"supabase/migrations/20240101000003_up.sql\" is a folder, not a file\n"
         "hint: move the .sql file out of it, or rename the folder so its name does not end in .sql\n"},
        {"a symlink to itself",
         [](World& w) { fs::create_symlink("20240101000003_loop.sql", w.migrations() + "/20240101000003_loop.sql"); },
         2,
         "sbdeploy: error: supabase/migrations/20240101000003_loop.sql: cannot read migration "
         "\"supabase/migrations/20240101000003_loop.sql\": too many levels of symbolic links\n"
         "hint: fix or remove the file (a broken link?)\n"},
        {"two symlinks pointing at each other",
         [](World& w) {
             fs::create_symlink("20240101000004_b.sql", w.migrations() + "/20240101000003_a.sql");
             fs::create_symlink("20240101000003_a.sql", w.migrations() + "/20240101000004_b.sql");
         },
         2,
         "sbdeploy: error: supabase/migrations/20240101000003_a.sql: cannot read migration "
         "\"supabase/migrations/20240101000003_a.sql\": too many levels of symbolic links\n"
         "hint: fix or remove the file (a broken link?)\n"},
        {"a dangling symlink (unreadable)",
         [](World& w) { fs::create_symlink("nowhere.sql", w.migrations() + "/20240101000003_gone.sql"); }, 2,
         "sbdeploy: error: supabase/migrations/20240101000003_gone.sql: cannot read migration "
         "\"supabase/migrations/20240101000003_gone.sql\": no such file or directory\n"
         "hint: fix or remove the file (a broken link?)\n"},
        {"a FIFO (reading it would block)",
         [](World& w) { REQUIRE(::mkfifo((w.migrations() + "/20240101000003_fifo.sql").c_str(), 0600) == 0); }, 2,
         "sbdeploy: error: supabase/migrations/20240101000003_fifo.sql: migration "
         "\"supabase/migrations/20240101000003_fifo.sql\" is not a regular file\n"
         "hint: replace it with the .sql file itself\n"},
        {"a link to a device (outside the project)",
         [](World& w) { fs::create_symlink("/dev/null", w.migrations() + "/20240101000003_null.sql"); }, 2,
         "sbdeploy: error: supabase/migrations/20240101000003_null.sql: migration "
         "\"supabase/migrations/20240101000003_null.sql\" is a link to \"/dev/null\", outside the project\n"
         "hint: copy the file into the project instead of linking to it: sbdeploy runs only SQL that is in the "
         "repository\n"},
        {"a link to a FIFO inside the project",
         [](World& w) {
             REQUIRE(::mkfifo((w.migrations() + "/fifo").c_str(), 0600) == 0);
             fs::create_symlink("fifo", w.migrations() + "/20240101000003_fifo.sql");
         },
         2,
         "sbdeploy: error: supabase/migrations/20240101000003_fifo.sql: migration "
         "\"supabase/migrations/20240101000003_fifo.sql\" is not a regular file\n"
         "hint: replace it with the .sql file itself\n"},
        {"a newline in a file name (forged log lines)",
         [](World& w) { w.add("20240101000003_a\n::error::forged.sql", "select 1;\n"); }, 2,
         "sbdeploy: error: file name \"supabase/migrations/20240101000003_a\\x0a::error::forged.sql\" contains a "
         "control character\n"
         "hint: rename it: names of files in the migrations folder are printed in logs and workflow commands, where a "
         "newline would forge lines\n"},
        {"the migrations folder is missing", [](World& w) { w.set("--migrations-dir", "db/migrations"); }, 2,
         "sbdeploy: error: migrations folder \"db/migrations\" does not exist\n"
         "hint: create it with 'supabase migration new <name>', or point --migrations-dir at your migrations\n"},
        {"the migrations folder is a file",
         [](World& w) {
             w.write("supabase/config.toml", "project_id = \"x\"\n");
             w.set("--migrations-dir", "supabase/config.toml");
         },
         2,
         "sbdeploy: error: migrations folder \"supabase/config.toml\" is not a folder\n"
         "hint: point --migrations-dir at the folder that holds the .sql files\n"},
        {"the migrations folder is a dangling symlink",
         [](World& w) {
             fs::create_symlink("gone", w.project.path("links_nowhere"));
             w.set("--migrations-dir", "links_nowhere");
         },
         2,
         "sbdeploy: error: migrations folder \"links_nowhere\" does not exist\n"
         "hint: create it with 'supabase migration new <name>', or point --migrations-dir at your migrations\n"},
        {"the workdir is missing", [](World& w) { w.set("--workdir", "/nonexistent/project"); }, 2,
         "sbdeploy: error: workdir \"/nonexistent/project\" is not a folder\n"
         "hint: set --workdir (SBDEPLOY_WORKDIR) to the project root\n"},
    };
    run_table(cases);
}

TEST_CASE("bad input: migration contents are refused at their line, or run and rolled back") {
    const Case cases[] = {
        {"invalid UTF-8", [](World& w) { w.add("20240101000003_case.sql", "select 1;\nselect 'caf\xE9';\n"); }, 2,
         "sbdeploy: error: supabase/migrations/20240101000003_case.sql:2: not valid UTF-8: byte 0xe9 at column 12\n"
         "hint: save the file as UTF-8; the Supabase CLI would replace the byte with U+FFFD and so change the SQL\n"},
        {"an overlong UTF-8 sequence", [](World& w) { w.add("20240101000003_case.sql", "select '\xC0\xAF';\n"); }, 2,
         "sbdeploy: error: supabase/migrations/20240101000003_case.sql:1: not valid UTF-8: byte 0xc0 at column 9\n"
         "hint: save the file as UTF-8; the Supabase CLI would replace the byte with U+FFFD and so change the SQL\n"},
        {"UTF-16 with its byte order mark",
         [](World& w) { w.add("20240101000003_case.sql", std::string("\xFF\xFEs\0e\0l\0", 8)); }, 2,
         "sbdeploy: error: supabase/migrations/20240101000003_case.sql:1: the file is UTF-16 (it starts with a UTF-16 "
         "byte order mark), not UTF-8\n"
         "hint: save it as UTF-8: PostgreSQL and the Supabase CLI read migrations as UTF-8\n"},
        {"a NUL byte (libpq would cut the statement there)",
         [](World& w) {
             w.add("20240101000003_case.sql", std::string("create table nul (id int);\n\0drop table base;\n", 45));
         },
         2,
         "sbdeploy: error: supabase/migrations/20240101000003_case.sql:2: a NUL byte at column 1: PostgreSQL cannot "
         "take "
         "it, and the statement would be cut short there\n"
         "hint: remove it; NUL bytes in SQL usually mean the file was saved as UTF-16 or is not text\n"},
        {"an unterminated string", [](World& w) { w.add("20240101000003_case.sql", "select 1;\nselect 'abc;\n"); }, 2,
         "sbdeploy: error: supabase/migrations/20240101000003_case.sql:2: unterminated quoted string\n"
         "hint: close the string with ' (write '' for a quote inside it)\n"},
        {"an unterminated $$ body",
         [](World& w) {
             w.add("20240101000003_case.sql", "create function f() returns int language sql as $$\n  select 1;\n");
         },
         2,
         "sbdeploy: error: supabase/migrations/20240101000003_case.sql:1: unterminated dollar-quoted string\n"
         "hint: close the body with the same dollar-quote tag that opened it\n"},
        {"a $body$ closed with $$",
         [](World& w) {
             w.add("20240101000003_case.sql",
                   "create function f() returns int language sql as $body$\n  select 1;\n$$;\n");
         },
         2,
         "sbdeploy: error: supabase/migrations/20240101000003_case.sql:1: unterminated dollar-quoted string\n"
         "hint: close the body with the same dollar-quote tag that opened it\n"},
        {"an unterminated block comment",
         [](World& w) { w.add("20240101000003_case.sql", "select 1;\n/* outer /* inner */\nselect 2;\n"); }, 2,
         "sbdeploy: error: supabase/migrations/20240101000003_case.sql:2: unterminated /* comment\n"
         "hint: close the comment with */ (block comments nest: every /* needs its own */)\n"},
        {"an unterminated quoted identifier",
         [](World& w) { w.add("20240101000003_case.sql", "create table \"abc (id int);\n"); }, 2,
         "sbdeploy: error: supabase/migrations/20240101000003_case.sql:1: unterminated quoted identifier\n"
         "hint: close the identifier with \" (write \"\" for a double quote inside it)\n"},
        {"50 MB with an unterminated string on its last line",
         [](World& w) {
             std::string big = repeat("insert into base values (3, 'filler filler filler filler filler');\n", 770'000);
             w.add("20240101000003_case.sql", big + "select 'never closed;\n");
         },
         2,
         "sbdeploy: error: supabase/migrations/20240101000003_case.sql:770001: unterminated quoted string\n"
         "hint: close the string with ' (write '' for a quote inside it)\n"},
        {"COPY FROM STDIN (nobody feeds it rows)",
         [](World& w) {
             w.add("20240101000003_case.sql", "create table c (id int);\ncopy c (id) from stdin;\n1\n\\.\n");
         },
         2,
         "sbdeploy: error: supabase/migrations/20240101000003_case.sql:2: COPY ... FROM STDIN and COPY ... TO STDOUT "
         "need a client that sends or reads the rows, and a migration has none (the Supabase CLI cannot feed it "
         "either)\n"
         "hint: write the rows as INSERT statements (pg_dump --inserts), or put them in seed.sql\n"},
        {"ROLLBACK in the middle",
         [](World& w) {
             w.add("20240101000003_case.sql", "create table a (id int);\nrollback;\ncreate table b (id int);\n");
         },
         2,
         "sbdeploy: error: supabase/migrations/20240101000003_case.sql:2: ROLLBACK, PREPARE TRANSACTION and the like "
         "cannot be part of a migration: it would undo or hand off its own work\n"
         "hint: remove it: each file runs in a transaction that sbdeploy commits, or rolls back on failure\n"},
        {"CREATE INDEX CONCURRENTLY with other statements",
         [](World& w) {
             w.add("20240101000003_case.sql", "create table c (id int);\ncreate index concurrently ci on base (id);\n");
         },
         2,
         "sbdeploy: error: supabase/migrations/20240101000003_case.sql:2: this statement cannot run in a transaction "
         "block, and the file has other statements that must\n"
         "hint: move it into a migration file of its own; sbdeploy runs such a file statement by statement and records "
         "it after the last one succeeds\n"},
        {"a syntax error: the statements before it are rolled back",
         [](World& w) { w.add("20240101000002_pending.sql", "create table ok (id int);\ncreat table x (id int);\n"); },
         1,
         "sbdeploy: error: supabase/migrations/20240101000002_pending.sql:2: syntax error at or near \"creat\" "
         "(SQLSTATE "
         "42601)\n"
         "  statement 2 of 2:\n"
         "  2 | creat table x (id int)\n"
         "    | ^\n"
         "hint: fix the migration and run again: nothing of this file was applied\n"},
        {"a psql meta-command",
         [](World& w) { w.add("20240101000002_pending.sql", "\\set ON_ERROR_STOP on\nselect 1;\n"); }, 1,
         "sbdeploy: error: supabase/migrations/20240101000002_pending.sql:1: syntax error at or near \"\\\" (SQLSTATE "
         "42601)\n"
         "  statement 1 of 1:\n"
         "  1 | \\set ON_ERROR_STOP on\n"
         "    | ^\n"
         "hint: fix the migration and run again: nothing of this file was applied\n"},
        {"an empty file (dry run)",
         [](World& w) {
             w.add("20240101000003_case.sql", "");
             w.args.push_back("--dry-run");
         },
         0,
         "sbdeploy: warning: supabase/migrations/20240101000003_case.sql: no SQL statements in this migration: push "
         "records it as applied and runs nothing\n"},
        {"only comments (dry run)",
         [](World& w) {
             w.add("20240101000003_case.sql", "-- to do\n/* later */\n");
             w.args.push_back("--dry-run");
         },
         0,
         "sbdeploy: warning: supabase/migrations/20240101000003_case.sql: no SQL statements in this migration: push "
         "records it as applied and runs nothing\n"},
        {"only semicolons and blank lines (dry run)",
         [](World& w) {
             w.add("20240101000003_case.sql", "\n;\n  ;;\n\n");
             w.args.push_back("--dry-run");
         },
         0,
         "sbdeploy: warning: supabase/migrations/20240101000003_case.sql: no SQL statements in this migration: push "
         "records it as applied and runs nothing\n"},
        {"a UTF-8 byte order mark is fine (dry run)",
         [](World& w) {
             w.add("20240101000003_case.sql", "\xEF\xBB\xBF"
                                              "create table bom (id int);\n");
             w.args.push_back("--dry-run");
         },
         0, ""},
    };
    run_table(cases);
}

TEST_CASE("bad input: event payloads are refused with the file and the place") {
    const Case cases[] = {
        {"no payload file", [](World& w) { w.push_event("missing.json"); }, 2,
         "sbdeploy: error: missing.json: cannot read the event payload: no such file or directory\n"
         "hint: set GITHUB_EVENT_PATH or --event-path to the event payload file, or leave both unset outside GitHub "
         "Actions\n"},
        {"a folder as the payload",
         [](World& w) {
             fs::create_directories(w.project.path("payload_dir"));
             w.push_event("payload_dir");
         },
         2,
         "sbdeploy: error: payload_dir: cannot read the event payload: is a directory\n"
         "hint: set GITHUB_EVENT_PATH or --event-path to the event payload file, or leave both unset outside GitHub "
         "Actions\n"},
        {"a dangling symlink as the payload",
         [](World& w) {
             fs::create_symlink("gone.json", w.project.path("event.json"));
             w.push_event("event.json");
         },
         2,
         "sbdeploy: error: event.json: cannot read the event payload: no such file or directory\n"
         "hint: set GITHUB_EVENT_PATH or --event-path to the event payload file, or leave both unset outside GitHub "
         "Actions\n"},
        {"--event-path to a missing file",
         [](World& w) {
             w.push_event("event.json");
             w.env.erase("GITHUB_EVENT_PATH");
             w.args.insert(w.args.end(), {"--event-path", "nope.json"});
         },
         2,
         "sbdeploy: error: nope.json: cannot read the event payload: no such file or directory\n"
         "hint: set GITHUB_EVENT_PATH or --event-path to the event payload file, or leave both unset outside GitHub "
         "Actions\n"},
        {"empty", payload(""), 2, "sbdeploy: error: event.json: the event payload is empty\n" + kPayloadHint},
        {"only whitespace", payload(" \n\t\n"), 2,
         "sbdeploy: error: event.json: the event payload is empty\n" + kPayloadHint},
        {"truncated", payload(R"({"ref": "refs/heads/ma)"), 2,
         "sbdeploy: error: event.json: the event payload is truncated at line 1, column 23: missing a closing "
         "quotation mark in string\n" +
             kPayloadHint},
        {"truncated after a key", payload("{\n  \"ref\":"), 2,
         "sbdeploy: error: event.json: the event payload is truncated at line 2, column 9: invalid value\n" +
             kPayloadHint},
        {"not JSON", payload("ref=refs/heads/main\n"), 2,
         "sbdeploy: error: event.json: the event payload is not valid JSON at line 1, column 1: invalid value\n" +
             kPayloadHint},
        {"an array", payload("[1, 2]"), 2,
         "sbdeploy: error: event.json: the event payload is not a JSON object but an array\n" + kPayloadHint},
        {"null", payload("null"), 2,
         "sbdeploy: error: event.json: the event payload is not a JSON object but null\n" + kPayloadHint},
        {"ref is a number", payload(R"({"ref": 42, "before": "a", "after": "b"})"), 2,
         "sbdeploy: error: event.json: event payload field ref: expected a string, got a number\n" + kPayloadHint},
        {"pull_request.number is a string",
         payload(R"({"pull_request": {"number": "7"}})", [](World& w) { w.env["GITHUB_EVENT_NAME"] = "pull_request"; }),
         2,
         "sbdeploy: error: event.json: event payload field pull_request.number: expected a number, got a string\n" +
             kPayloadHint},
        {"inputs is a string",
         payload(R"({"inputs": "production", "workflow": "deploy.yml"})",
                 [](World& w) { w.env["GITHUB_EVENT_NAME"] = "workflow_dispatch"; }),
         2,
         "sbdeploy: error: event.json: event payload field inputs: expected an object, got a string\n" + kPayloadHint},
        {"a number too big for a double", payload(R"({"ref": "refs/heads/main", "size": 1e400})"), 2,
         "sbdeploy: error: event.json: the event payload is not valid JSON at line 1, column 36: number too big to be "
         "stored in double\n" +
             kPayloadHint},
        {"a NUL byte", payload(std::string("{\"ref\": \"refs/heads/main\0\"}", 27)), 2,
         "sbdeploy: error: event.json: the event payload is not valid JSON at line 1, column 25: a NUL byte\n" +
             kPayloadHint},
        {"invalid UTF-8 in a string",
         payload("{\"ref\": \"refs/heads/m\xFF"
                 "ain\"}"),
         2,
         "sbdeploy: error: event.json: the event payload is not valid JSON at line 1, column 22: invalid encoding in "
         "string\n" +
             kPayloadHint},
        {"nested 100,000 levels deep", payload(repeat("[", 100'000)), 2,
         "sbdeploy: error: event.json: the event payload nests deeper than 128 levels at line 1, column 129\n" +
             kPayloadHint},
        {"100 MB", payload("{\"pad\": \"" + repeat("x", 100u * 1024 * 1024) + "\"}"), 2,
         "sbdeploy: error: event.json: the event payload is larger than 64 MiB (104857611 bytes)\n" + kPayloadHint},
        {"a pull request payload for push",
         payload(R"({"pull_request": {"number": 7, "base": {"ref": "main"}, "head": {"ref": "feature"}}})",
                 [](World& w) { w.env["GITHUB_EVENT_NAME"] = "pull_request"; }),
         2,
         "sbdeploy: error: push: this run only validates (pull request #7 into \"main\" validates against staging); "
         "nothing is pushed from it\n"
         "hint: run 'sbdeploy validate' on pull requests, and push on the push event of the merged branch\n"},
    };
    run_table(cases);
}

TEST_CASE("bad input: missing and contradictory variables name the variable to set") {
    const std::string valid_push = R"({"ref": "refs/heads/main", "before": "a", "after": "b"})";
    const Case cases[] = {
        {"production's URL is not set",
         payload(valid_push, [](World& w) { w.env.erase("SBDEPLOY_PRODUCTION_DB_URL"); }), 2,
         "sbdeploy: error: push: environment \"production\" has no target: SBDEPLOY_PRODUCTION_DB_URL is not set\n"
         "hint: set SBDEPLOY_PRODUCTION_DB_URL to the database URL (a secret of the job's GitHub environment, mapped "
         "into env:), or "
         "SBDEPLOY_PRODUCTION_PROJECT_REF with SUPABASE_ACCESS_TOKEN for the Management API; --db-url gives one target "
         "for any environment\n"},
        {"no target at all", [](World& w) { w.drop("--db-url"); }, 2,
         "sbdeploy: error: push: no target database\n"
         "hint: set --db-url (or SBDEPLOY_DB_URL), or --environment with SBDEPLOY_<ENVIRONMENT>_DB_URL\n"},
        {"an empty URL variable counts as unset",
         [](World& w) {
             w.drop("--db-url");
             w.env["SBDEPLOY_DB_URL"] = "";
         },
         2,
         "sbdeploy: error: push: no target database\n"
         "hint: set --db-url (or SBDEPLOY_DB_URL), or --environment with SBDEPLOY_<ENVIRONMENT>_DB_URL\n"},
        {"production without the staging gate's target",
         [](World& w) { w.args.insert(w.args.end(), {"--environment", "production"}); }, 2,
         "sbdeploy: error: promotion gate: environment \"staging\" has no target: SBDEPLOY_STAGING_DB_URL is not set\n"
         "hint: set SBDEPLOY_STAGING_READ_URL to the URL of a role that may only read "
         "supabase_migrations.schema_migrations (a secret of the job's GitHub environment, mapped into env:), or "
         "SBDEPLOY_STAGING_DB_URL, or SBDEPLOY_STAGING_PROJECT_REF with SUPABASE_ACCESS_TOKEN for the Management API; "
         "--promote-from names another "
         "environment, --allow-unpromoted pushes without the gate\n"},
        {"a project ref without SUPABASE_ACCESS_TOKEN",
         [](World& w) {
             w.drop("--db-url");
             w.env["SBDEPLOY_PROJECT_REF"] = "abcdefghijklmnopqrst";
         },
         2,
         "sbdeploy: error: push: the target is the Supabase project \"abcdefghijklmnopqrst\" (from "
         "SBDEPLOY_PROJECT_REF), "
         "but SUPABASE_ACCESS_TOKEN is not set\n"
         "hint: set SUPABASE_ACCESS_TOKEN (a personal access token, from a secret of the job's GitHub environment) for "
         "the Management API\n"},
        {"--transport postgres with only a project ref",
         payload(valid_push,
                 [](World& w) {
                     w.env.erase("SBDEPLOY_PRODUCTION_DB_URL");
                     w.env["SBDEPLOY_PRODUCTION_PROJECT_REF"] = "abcdefghijklmnopqrst";
                     w.env["SBDEPLOY_TRANSPORT"] = "postgres";
                 }),
         2,
         "sbdeploy: error: push: --transport postgres needs a database URL, but the target (from "
         "SBDEPLOY_PRODUCTION_PROJECT_REF) is the project \"abcdefghijklmnopqrst\"\n"
         "hint: leave out --transport postgres to use the Management API, or give --db-url\n"},
        {"--transport api with a database URL", [](World& w) { w.env["SBDEPLOY_TRANSPORT"] = "api"; }, 2,
         "sbdeploy: error: push: --transport api needs a Supabase project ref, but the target (from --db-url) is a "
         "database URL\n"
         "hint: leave out --transport api to push over the URL, or give --project-ref with SUPABASE_ACCESS_TOKEN\n"},
        {"an unknown transport", [](World& w) { w.env["SBDEPLOY_TRANSPORT"] = "pigeon"; }, 2,
         "sbdeploy: error: --transport \"pigeon\" is not a transport\n"
         "hint: use auto (a database URL means postgres, a project ref the Management API), postgres or api\n"},
        {"a yes/no variable that is neither", [](World& w) { w.env["SBDEPLOY_DRY_RUN"] = "maybe"; }, 2,
         "sbdeploy: error: not a yes/no value: SBDEPLOY_DRY_RUN=\"maybe\"\nhint: use true or false\n"},
        {"a duration in words", [](World& w) { w.env["SBDEPLOY_LOCK_TIMEOUT"] = "soon"; }, 2,
         "sbdeploy: error: option --lock-timeout: \"soon\" is not a duration\n" + kDurationHint},
        {"a negative duration", [](World& w) { w.env["SBDEPLOY_CONNECT_TIMEOUT"] = "-1"; }, 2,
         "sbdeploy: error: option --connect-timeout: \"-1\" is not a duration\n" + kDurationHint},
        {"a fractional duration", [](World& w) { w.env["SBDEPLOY_STATEMENT_TIMEOUT"] = "1.5s"; }, 2,
         "sbdeploy: error: option --statement-timeout: \"1.5s\" is not a duration\n" + kDurationHint},
        {"a duration that would overflow", [](World& w) { w.env["SBDEPLOY_LOCK_WAIT"] = "9999999999"; }, 2,
         "sbdeploy: error: option --lock-wait: \"9999999999\" is not a duration\n" + kDurationHint},
        {"a branch mapping without \"=\"", [](World& w) { w.env["SBDEPLOY_ENVIRONMENTS"] = "production"; }, 2,
         "sbdeploy: error: option --environments: \"production\" has no \"=\" between the environment and its "
         "branches\n"
         "hint: write --environments as NAME=BRANCH,BRANCH;NAME=BRANCH, such as "
         "\"production=main,master;staging=staging,develop\" (branches may be globs: release/*)\n"},
        {"an environment name with a space", [](World& w) { w.env["SBDEPLOY_ENVIRONMENT"] = "prod uction"; }, 2,
         "sbdeploy: error: option --environment: \"prod uction\" is not an environment name\n"
         "hint: environment names are letters, digits, \"-\" and \"_\", such as staging or production\n"},
        {"GITHUB_WORKSPACE that does not exist",
         [](World& w) {
             w.drop("--workdir");
             w.env["GITHUB_WORKSPACE"] = "/nonexistent/workspace";
         },
         2,
         "sbdeploy: error: workdir \"/nonexistent/workspace\" is not a folder\n"
         "hint: set --workdir (SBDEPLOY_WORKDIR) to the project root\n"},
    };
    run_table(cases);
}

TEST_CASE("bad input: database URLs are refused before connecting, or fail to connect with the cause") {
    const Case cases[] = {
        {"a mysql:// URL", [](World& w) { w.set("--db-url", "mysql://app:s3cret-pw@127.0.0.1/app"); }, 2,
         "sbdeploy: error: invalid database URL: the scheme \"mysql\" is not postgresql:// or postgres://\n" +
             kUrlHint},
        {"an http:// URL", [](World& w) { w.set("--db-url", "https://db.example.com/app"); }, 2,
         "sbdeploy: error: invalid database URL: the scheme \"https\" is not postgresql:// or postgres://\n" +
             kUrlHint},
        {"a bare word", [](World& w) { w.set("--db-url", "s3cret-pw"); }, 2,
         "sbdeploy: error: invalid database URL: it is neither a postgresql:// URL nor keyword=value settings\n" +
             kUrlHint},
        {"an unknown keyword", [](World& w) { w.set("--db-url", "hots=127.0.0.1 password=s3cret-pw"); }, 2,
         "sbdeploy: error: invalid database URL: invalid connection option \"hots\"\n" + kUrlHint},
        {"port 99999", [](World& w) { w.set("--db-url", "postgresql://postgres:s3cret-pw@127.0.0.1:99999/postgres"); },
         2, "sbdeploy: error: invalid database URL: port \"99999\" is not a number from 1 to 65535\n" + kUrlHint},
        {"port 0", [](World& w) { w.set("--db-url", "postgresql://postgres:s3cret-pw@127.0.0.1:0/postgres"); }, 2,
         "sbdeploy: error: invalid database URL: port \"0\" is not a number from 1 to 65535\n" + kUrlHint},
        {"a port that is not a number",
         [](World& w) { w.set("--db-url", "postgresql://postgres:s3cret-pw@127.0.0.1:pg/postgres"); }, 2,
         "sbdeploy: error: invalid database URL: port \"pg\" is not a number from 1 to 65535\n" + kUrlHint},
        {"an unencoded @ in the password",
         [](World& w) { w.set("--db-url", "postgresql://postgres:p@ssw0rd@127.0.0.1:5432/postgres"); }, 2,
         "sbdeploy: error: invalid database URL: it has more than one \"@\" before the host\n"
         "hint: percent-encode \"@\" in the user name or password as %40\n"},
        {"a bad percent-encoding in the password",
         [](World& w) { w.set("--db-url", "postgresql://postgres:100%zz@127.0.0.1:5432/postgres"); }, 2,
         "sbdeploy: error: invalid database URL: a \"%\" is not followed by two hexadecimal digits (write a literal % "
         "as %25)\n" +
             kUrlHint},
        {"an unknown query parameter",
         [](World& w) { w.set("--db-url", "postgresql://postgres:s3cret-pw@127.0.0.1:5432/postgres?pool=10"); }, 2,
         "sbdeploy: error: invalid database URL: invalid URI query parameter: \"pool\"\n" + kUrlHint},
        {"an unclosed IPv6 bracket",
         [](World& w) { w.set("--db-url", "postgresql://postgres:s3cret-pw@[::1/postgres"); }, 2,
         "sbdeploy: error: invalid database URL: end of string reached when looking for matching \"]\" in IPv6 host "
         "address in URI\n" +
             kUrlHint},
        {"an unknown sslmode in the URL", [](World& w) { w.set("--db-url", w.url + "?sslmode=on"); }, 2,
         "sbdeploy: error: the database URL's sslmode \"on\" is not an sslmode\n"
         "hint: use disable, allow, prefer, require, verify-ca or verify-full\n"},
        {"an unknown --sslmode", [](World& w) { w.args.insert(w.args.end(), {"--sslmode", "strict"}); }, 2,
         "sbdeploy: error: --sslmode \"strict\" is not an sslmode\n"
         "hint: use disable, allow, prefer, require, verify-ca or verify-full\n"},
        {"an unknown host, retried within --connect-timeout",
         [](World& w) {
             w.set("--db-url", "postgresql://postgres:s3cret-pw@no-such-host.invalid:5432/postgres");
             w.args.insert(w.args.end(), {"--connect-timeout", "1s"});
         },
         1,
         "sbdeploy: error: cannot connect to no-such-host.invalid:5432/postgres as postgres: could not translate host "
         "name \"no-such-host.invalid\" to address: Name or service not known (N attempts in T s)\n"
         "hint: check the host name in the database URL\n"},
        {"a wrong password",
         [](World& w) {
             auto colon = w.url.find(':', 13);
             w.set("--db-url", w.url.substr(0, colon) + ":wrong-pw" + w.url.substr(w.url.find('@')));
         },
         1,
         "sbdeploy: error: cannot connect to {db} as postgres: connection to server at \"127.0.0.1\", port {port} "
         "failed: "
         "password authentication failed for user \"postgres\"\n"
         "hint: check the password; special characters in a URL password must be percent-encoded (@ as %40)\n"},
        {"a database that does not exist",
         [](World& w) { w.set("--db-url", w.url.substr(0, w.url.rfind('/')) + "/no_such_db"); }, 1,
         "sbdeploy: error: cannot connect to {host}/no_such_db as postgres: connection to server at \"127.0.0.1\", "
         "port "
         "{port} failed: database \"no_such_db\" does not exist\n"
         "hint: check the database name at the end of the URL (on Supabase it is postgres)\n"},
        {"SSL required of a server without it", [](World& w) { w.set("--db-url", w.url + "?sslmode=verify-full"); }, 1,
         "sbdeploy: error: cannot connect to {db} as postgres: connection to server at \"127.0.0.1\", port {port} "
         "failed: "
         "server does not support SSL, but SSL was required\n"
         "hint: the server and the client disagree on TLS; set sslmode in the URL or --sslmode\n"},
        {"connection refused, retried within --connect-timeout",
         [](World& w) {
             w.set("--db-url", "postgresql://postgres:s3cret-pw@127.0.0.1:1/postgres");
             w.args.insert(w.args.end(), {"--connect-timeout", "1s"});
         },
         1,
         "sbdeploy: error: cannot connect to 127.0.0.1:1/postgres as postgres: connection to server at \"127.0.0.1\", "
         "port 1 failed: Connection refused (N attempts in T s)\n"
         "hint: is the server running and listening on that port?\n"},
    };
    run_table(cases);
}

TEST_CASE("bad input: flags that are unknown, lack a value or contradict each other") {
    const Case cases[] = {
        {"an unknown option near a known one", [](World& w) { w.args[3] = "--db-ur"; }, 2,
         "sbdeploy: error: push: unknown option \"--db-ur\"\nhint: did you mean --db-url?\n"},
        {"an option of another command", [](World& w) { w.args.push_back("--fail-on-pending"); }, 2,
         "sbdeploy: error: push: unknown option \"--fail-on-pending\"\nhint: see 'sbdeploy push --help'\n"},
        {"an unknown short option", [](World& w) { w.args.push_back("-x"); }, 2,
         "sbdeploy: error: push: unknown option \"-x\"\nhint: see 'sbdeploy push --help'\n"},
        {"an unknown command", [](World& w) { w.args[0] = "pus"; }, 2,
         "sbdeploy: error: unknown command \"pus\"\nhint: did you mean 'sbdeploy push'?\n"},
        {"an option before the command", [](World& w) { w.args.insert(w.args.begin(), "--json"); }, 2,
         "sbdeploy: error: unknown option \"--json\" before the command\n"
         "hint: run 'sbdeploy --help' for the list of commands\n"},
        {"a value option at the end without its value", [](World& w) { w.args.push_back("--lock-timeout"); }, 2,
         "sbdeploy: error: push: option --lock-timeout needs a value (DURATION)\n"},
        {"a value option followed by another option",
         [](World& w) { w.args.insert(w.args.begin() + 1, {"--lock-timeout", "--dry-run"}); }, 2,
         "sbdeploy: error: push: option --lock-timeout needs a value (DURATION)\n"},
        {"an empty value (an unset secret)", [](World& w) { w.set("--db-url", ""); }, 2,
         "sbdeploy: error: push: option --db-url is empty\n"
         "hint: give it a value (URL) or leave it out; a secret or variable that is not set expands to nothing\n"},
        {"an empty value after =", [](World& w) { w.args.push_back("--migrations-dir="); }, 2,
         "sbdeploy: error: push: option --migrations-dir is empty\n"
         "hint: give it a value (DIR) or leave it out; a secret or variable that is not set expands to nothing\n"},
        {"a yes/no flag with another value", [](World& w) { w.args.push_back("--dry-run=maybe"); }, 2,
         "sbdeploy: error: push: option --dry-run is a yes/no flag: \"maybe\" is not true or false\n"
         "hint: write --dry-run, or --dry-run=false\n"},
        {"a flag given both ways", [](World& w) { w.args.insert(w.args.end(), {"--dry-run", "--dry-run=false"}); }, 2,
         "sbdeploy: error: push: option --dry-run is given twice with different values\nhint: give it once\n"},
        {"two different URLs",
         [](World& w) { w.args.insert(w.args.end(), {"--db-url", "postgresql://postgres@127.0.0.1:1/other"}); }, 2,
         "sbdeploy: error: push: option --db-url is given twice with different values\nhint: give it once\n"},
        {"a stray word (not an environment)", [](World& w) { w.args.push_back("production"); }, 2,
         "sbdeploy: error: push: unexpected argument \"production\"\n"
         "hint: push takes options only (an environment is --environment NAME); see 'sbdeploy push --help'\n"},
        {"options after --", [](World& w) { w.args.insert(w.args.begin() + 1, "--"); }, 2,
         "sbdeploy: error: push: unexpected argument \"--workdir\"\n"
         "hint: push takes options only (an environment is --environment NAME); see 'sbdeploy push --help'\n"},
        {"a duration with a unit it does not know",
         [](World& w) { w.args.insert(w.args.end(), {"--lock-wait", "2d"}); }, 2,
         "sbdeploy: error: option --lock-wait: \"2d\" is not a duration\n" + kDurationHint},
        {"repair without --status", [](World& w) { w.args[0] = "repair"; }, 2,
         "sbdeploy: error: repair: --status is required\nhint: sbdeploy repair --status applied|reverted VERSION...\n"},
        {"repair with an unknown status",
         [](World& w) {
             w.args[0] = "repair";
             w.args.insert(w.args.end(), {"--status", "done", "20240101000002"});
         },
         2,
         "sbdeploy: error: repair: --status must be applied or reverted, not \"done\"\n"
         "hint: sbdeploy repair --status applied|reverted VERSION...\n"},
        {"repair without versions",
         [](World& w) {
             w.args[0] = "repair";
             w.args.insert(w.args.end(), {"--status", "applied"});
         },
         2,
         "sbdeploy: error: repair: no versions given\nhint: sbdeploy repair --status applied VERSION... (or "
         "--versions)\n"},
        {"validate has no --dry-run (it always is one)",
         [](World& w) {
             w.args[0] = "validate";
             w.args.push_back("--dry-run");
         },
         2, "sbdeploy: error: validate: unknown option \"--dry-run\"\nhint: see 'sbdeploy validate --help'\n"},
    };
    run_table(cases);
}
