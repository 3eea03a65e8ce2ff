#include "changes/git.hpp"

#include <algorithm>
#include <utility>

#include "util/strings.hpp"

namespace sbdeploy::changes {

namespace {

std::string first_line(std::string_view s) {
    s = util::trim(s);
    return std::string(s.substr(0, s.find('\n')));
}

std::string describe_args(const std::vector<std::string>& args) {
    std::string r;
    for (std::size_t i = 0; i < args.size() && i < 3; ++i) r += (i ? " " : "") + args[i];
    return r;
}

} // namespace

std::string git_message(const util::ProcessResult& r) {
    if (r.timed_out) return "timed out";
    std::string_view err = r.err;
    // The last "fatal:" or "error:" line says most; else the first line.
    for (std::string_view marker : {"fatal: ", "error: "}) {
        auto at = err.rfind(marker);
        if (at != std::string_view::npos) return first_line(err.substr(at + marker.size()));
    }
    auto line = first_line(err);
    if (line.empty())
        return r.signal ? "killed by signal " + std::to_string(r.signal) : "exit code " + std::to_string(r.exit_code);
    return line;
}

Git::Git(GitSettings settings) : settings_(std::move(settings)) {
    // Never wait for a password, never take optional locks in the user's checkout, and
    // speak English so messages can be read.
    settings_.env["GIT_TERMINAL_PROMPT"] = "0";
    settings_.env["GIT_OPTIONAL_LOCKS"] = "0";
    settings_.env["LC_ALL"] = "C";
}

Result<util::ProcessResult> Git::run(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                                     std::function<void(std::string_view)> on_out) const {
    util::ProcessSpec spec;
    spec.on_out = std::move(on_out);
    spec.program = settings_.program;
    spec.args = args;
    spec.env = settings_.env;
    spec.workdir = settings_.workdir;
    spec.timeout = timeout.count() > 0 ? timeout : settings_.local_timeout;
    auto r = util::run_process(spec);
    if (!r) {
        Error e = r.error();
        e.hint = "install git, or put it on PATH";
        return fail(std::move(e));
    }
    return r;
}

Result<std::string> Git::output(const std::vector<std::string>& args, std::chrono::milliseconds timeout) const {
    auto r = run(args, timeout);
    if (!r) return fail(r.error());
    if (!r->ok()) return fail(ErrorKind::io, "git " + describe_args(args) + ": " + git_message(*r));
    return std::move(r->out);
}

void Git::expect(const std::vector<std::string>& commits) {
    for (const auto& c : commits) {
        bool full = (c.size() == 40 || c.size() == 64) && c.find_first_not_of("0123456789abcdef") == std::string::npos;
        if (full && std::find(expected_.begin(), expected_.end(), c) == expected_.end()) expected_.push_back(c);
    }
}

Result<Git::Facts> Git::facts() const {
    if (facts_) return *facts_;
    std::vector<std::string> args = {"rev-parse", "--git-dir", "--show-prefix", "--is-shallow-repository"};
    // The expected commits too, each peeled to a commit. With --revs-only, rev-parse takes
    // the first argument that names no commit, and every one after it, for a path and
    // leaves it out: it prints the names of the longest run of commits, from the first,
    // that are all here. The others are asked about one by one by resolve().
    std::vector<std::string> commits = std::exchange(expected_, {});
    if (!commits.empty()) args.push_back("--revs-only");
    for (const auto& c : commits) args.push_back(c + "^{commit}");
    auto r = run(args);
    if (!r) return fail(r.error());
    Facts f;
    if (r->ok()) {
        // One line each, in the order asked: the git dir, the prefix ("" at the top),
        // true/false, then the commits found.
        auto lines = util::split(r->out, '\n');
        if (lines.size() < 3) return fail(ErrorKind::io, "git rev-parse: unexpected output " + util::quoted(r->out));
        f.repository = true;
        f.prefix = std::string(util::trim(lines[1]));
        f.shallow = util::trim(lines[2]) == "true";
        for (std::size_t i = 0; i < commits.size() && 3 + i < lines.size(); ++i) {
            auto sha = util::trim(lines[3 + i]);
            bool full = (sha.size() == 40 || sha.size() == 64) &&
                        sha.find_first_not_of("0123456789abcdef") == std::string_view::npos;
            if (!full) break;
            resolved_[commits[i]] = std::string(sha);
        }
    }
    facts_ = f;
    return f;
}

bool Git::is_repository() const {
    auto f = facts();
    return f && f->repository;
}

Result<std::string> Git::prefix() const {
    auto f = facts();
    if (!f) return fail(f.error());
    return f->prefix;
}

Result<bool> Git::is_shallow() const {
    auto f = facts();
    if (!f) return fail(f.error());
    if (!f->repository) return fail(ErrorKind::io, "git rev-parse --is-shallow-repository: not a git repository");
    return f->shallow;
}

bool Git::has_remote() const {
    if (!has_remote_) {
        auto r = run({"remote", "get-url", settings_.remote});
        has_remote_ = r && r->ok();
    }
    return *has_remote_;
}

Result<std::vector<std::string>> Git::tracked_files() const {
    auto listed = output({"ls-files", "-z", "--full-name", "--", ":/"});
    if (!listed) return fail(listed.error());
    std::vector<std::string> paths;
    std::string_view rest = *listed;
    while (!rest.empty()) {
        auto end = rest.find('\0');
        paths.emplace_back(rest.substr(0, end));
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + 1);
    }
    return paths;
}

std::optional<std::string> Git::resolve(const std::string& rev) const {
    if (auto known = resolved_.find(rev); known != resolved_.end()) return known->second;
    auto r = run({"rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"});
    if (!r || !r->ok()) return std::nullopt;
    auto sha = std::string(util::trim(r->out));
    if (sha.empty()) return std::nullopt;
    return sha;
}

Result<std::optional<std::string>> Git::merge_base(const std::string& a, const std::string& b) const {
    auto r = run({"merge-base", "--end-of-options", a, b});
    if (!r) return fail(r.error());
    if (r->exit_code == 1 && util::trim(r->err).empty()) return std::optional<std::string>();
    if (!r->ok()) return fail(ErrorKind::io, "git merge-base: " + git_message(*r));
    return std::optional<std::string>(std::string(util::trim(r->out)));
}

Result<std::vector<std::string>> Git::parents(const std::string& commit) const {
    auto out = output({"cat-file", "commit", commit});
    if (!out) return fail(out.error());
    std::vector<std::string> result;
    std::string_view text = *out;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (line.empty()) break;  // end of the header
        if (line.starts_with("parent ")) result.emplace_back(line.substr(7));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return result;
}

std::optional<std::string> Git::remote_head() const {
    auto r = run({"symbolic-ref", "--quiet", "refs/remotes/" + settings_.remote + "/HEAD"});
    if (!r || !r->ok()) return std::nullopt;
    std::string ref(util::trim(r->out));
    std::string prefix = "refs/remotes/" + settings_.remote + "/";
    if (!ref.starts_with(prefix)) return std::nullopt;
    return ref.substr(prefix.size());
}

Result<std::string> Git::empty_tree() const {
    auto out = output({"hash-object", "-t", "tree", "/dev/null"});
    if (!out) return fail(out.error());
    return std::string(util::trim(*out));
}

Result<void> Git::fetch(const std::vector<std::string>& refspecs, FetchDepth depth) const {
    std::vector<std::string> args = {"fetch", "--no-tags", "--no-recurse-submodules", "--quiet"};
    switch (depth.kind) {
    case FetchDepth::Kind::normal: break;
    case FetchDepth::Kind::depth: args.push_back("--depth=" + std::to_string(depth.n)); break;
    case FetchDepth::Kind::unshallow: args.push_back("--unshallow"); break;
    }
    args.push_back(settings_.remote);
    args.insert(args.end(), refspecs.begin(), refspecs.end());
    facts_.reset();  // a fetch can make a shallow repository deeper or whole
    auto r = run(args, settings_.fetch_timeout);
    if (!r) return fail(r.error());
    if (!r->ok()) return fail(ErrorKind::io, "git fetch " + settings_.remote + ": " + git_message(*r));
    return {};
}

Result<Git::DiffResult> Git::diff(const std::string& base, const std::string& head, const Keep& keep) const {
    // --raw shows modes (for mode changes) where --name-status does not; -z keeps every
    // byte of a path; no textconv, external diff or submodule recursion can run.
    // --no-relative and --no-color overrule a user's diff.relative and color.diff settings.
    // The output is read as it comes (a large diff is megabytes): only kept changes stay.
    DiffResult result;
    RawDiffReader reader([&](const Change& c) {
        ++result.total;
        if (!keep || keep(c)) result.changes.push_back(c);
    });
    auto r = run({"diff", "--raw", "-z", "-M", "--no-abbrev", "--no-relative", "--no-color", "--no-ext-diff",
                  "--no-textconv", "--ignore-submodules=none", "--end-of-options", base, head},
                 {}, [&](std::string_view piece) { reader.feed(piece); });
    if (!r) return fail(r.error());
    if (!r->ok()) return fail(ErrorKind::io, "git diff: " + git_message(*r));
    if (auto read = reader.finish(); !read) return fail(read.error());
    return result;
}

} // namespace sbdeploy::changes
