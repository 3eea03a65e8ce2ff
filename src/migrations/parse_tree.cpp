#include "migrations/parse_tree.hpp"

#include <pg_query.h>
#include <pthread.h>

#include <algorithm>
#include <exception>

namespace sbdeploy::migrations {

namespace {

// Below this, a statement's tree is at most a few hundred levels deep: parsed in place.
constexpr std::size_t kInlineBytes = 1024;

// The deepest nesting of a JSON text, read without recursion.
int json_depth(const char* json) {
    int depth = 0, deepest = 0;
    bool in_string = false;
    for (const char* p = json; *p != '\0'; ++p) {
        char c = *p;
        if (in_string) {
            if (c == '\\' && p[1] != '\0')
                ++p;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return deepest;
}

struct Job {
    std::string text;
    const std::function<void(const char*)>* use;
    std::optional<ParseFailure> failure;
    std::exception_ptr thrown;
};

void run(Job& job) {
    PgQueryParseResult result = pg_query_parse(job.text.c_str());
    if (result.error != nullptr) {
        job.failure = ParseFailure{result.error->message != nullptr ? result.error->message : "syntax error",
                                   result.error->cursorpos, false};
    } else if (json_depth(result.parse_tree) > kMaxParseDepth) {
        job.failure = ParseFailure{"statement too deeply nested (its parse tree is more than " +
                                       std::to_string(kMaxParseDepth) + " levels deep)",
                                   0, true};
    } else {
        try {
            (*job.use)(result.parse_tree);
        } catch (...) {
            job.thrown = std::current_exception();
        }
    }
    pg_query_free_parse_result(result);
}

void* run_thread(void* arg) {
    run(*static_cast<Job*>(arg));  // libpg_query frees its per-thread memory when the thread ends
    return nullptr;
}

} // namespace

std::optional<ParseFailure> parse_sql(std::string_view sql, const std::function<void(const char* json)>& use) {
    Job job{std::string(sql), &use, std::nullopt, nullptr};
    if (sql.size() <= kInlineBytes) {
        run(job);
    } else {
        // The parser and its JSON output recurse once per level, under 200 bytes each, and a
        // level takes at least two bytes of text ("+1"): 256 bytes of stack per byte of text
        // bound any input (the stack is reserved address space, touched only as used).
        // std::thread cannot set a stack size; pthreads can.
        const std::size_t stack = (std::size_t{64} << 20) + 256 * sql.size();
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_t thread{};
        bool started = pthread_attr_setstacksize(&attr, stack) == 0 &&
                       pthread_create(&thread, &attr, &run_thread, &job) == 0;
        pthread_attr_destroy(&attr);
        if (!started)
            return ParseFailure{"statement too large to parse (" + std::to_string(sql.size()) +
                                    " bytes): no memory for the parser's stack",
                                0, true};
        pthread_join(thread, nullptr);
    }
    if (job.thrown) std::rethrow_exception(job.thrown);
    return job.failure;
}

} // namespace sbdeploy::migrations
