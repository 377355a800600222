#include "data/backup.hpp"

#include "core/error.hpp"

#include <pqxx/pqxx>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <vector>

extern char** environ;

namespace wangge::data {

namespace {

namespace fs = std::filesystem;

struct ServerVersion {
    int major = 0;
    std::string text;
};

ServerVersion server_version(Database& db) {
    ServerVersion v;
    db.run([&](pqxx::connection_base& c) {
        pqxx::nontransaction tx(c);
        v.major = tx.exec("SHOW server_version_num")[0][0].as<int>() / 10000;
        v.text = tx.exec("SHOW server_version")[0][0].as<std::string>();
    });
    return v;
}

// Runs argv without a shell (the connection string may hold spaces and quotes); stdout
// and stderr go to ours. @returns the exit status, -1 when it could not run.
int run_tool(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string tool_output(const std::string& path) {
    std::string out;
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(("'" + path + "' --version 2>/dev/null").c_str(), "r"), pclose);
    if (!p) return out;
    std::array<char, 256> buf{};
    while (fgets(buf.data(), static_cast<int>(buf.size()), p.get()) != nullptr) out += buf.data();
    return out;
}

// The major version a tool reports ("pg_dump (PostgreSQL) 15.18 (Debian …)" → 15).
int tool_major(const std::string& path) {
    const auto text = tool_output(path);
    const auto paren = text.find(") ");
    if (paren == std::string::npos) return 0;
    try {
        return std::stoi(text.substr(paren + 2));
    } catch (const std::exception&) {
        return 0;
    }
}

// pg_dump of another major version either refuses a newer server or writes an archive an
// older pg_restore cannot read: take the server's own (Debian installs one per major
// under /usr/lib/postgresql/N/bin), else the one on PATH if it matches.
std::string matching_tool(const std::string& name, const ServerVersion& server) {
    std::vector<std::string> candidates{"/usr/lib/postgresql/" + std::to_string(server.major) + "/bin/" + name};
    if (const char* path = std::getenv("PATH")) {
        std::string p = path;
        for (std::size_t start = 0; start <= p.size();) {
            auto end = p.find(':', start);
            if (end == std::string::npos) end = p.size();
            if (end > start) candidates.push_back(p.substr(start, end - start) + "/" + name);
            start = end + 1;
        }
    }
    std::string found;
    for (const auto& c : candidates) {
        if (::access(c.c_str(), X_OK) != 0) continue;
        const int major = tool_major(c);
        if (major == server.major) return c;
        if (found.empty()) found = c + " is version " + std::to_string(major);
    }
    throw Error(ErrorCode::bad_request, "no " + name + " of PostgreSQL " + std::to_string(server.major) + " (the server's version, " +
                                            server.text + ") is installed" + (found.empty() ? "" : ": " + found));
}

}  // namespace

int user_table_count(Database& db) {
    int n = 0;
    db.run([&](pqxx::connection_base& c) {
        pqxx::nontransaction tx(c);
        // Extension-owned tables (PostGIS's spatial_ref_sys) are not data of ours.
        n = tx.exec("SELECT count(*) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace "
                    "WHERE c.relkind IN ('r', 'p') AND s.nspname NOT IN ('pg_catalog', 'information_schema') "
                    "AND s.nspname NOT LIKE 'pg_toast%' "
                    "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
                    "AND d.objid = c.oid AND d.deptype = 'e')")[0][0]
                .as<int>();
    });
    return n;
}

BackupResult backup(Database& db, const fs::path& file) {
    const auto server = server_version(db);
    BackupResult out{server.text, matching_tool("pg_dump", server), 0};
    const fs::path partial = file.string() + ".partial";
    const int status = run_tool({out.tool, "--format=custom", "--no-password", "--file=" + partial.string(),
                                 "--dbname=" + db.conninfo()});
    std::error_code ec;
    if (status != 0) {
        fs::remove(partial, ec);
        throw Error(ErrorCode::bad_request, "pg_dump failed (exit " + std::to_string(status) + "); nothing written");
    }
    fs::rename(partial, file, ec);
    if (ec) throw Error(ErrorCode::bad_request, "cannot move the archive into place: " + ec.message());
    out.bytes = fs::file_size(file, ec);
    return out;
}

BackupResult restore(Database& db, const fs::path& file, bool force) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) throw Error(ErrorCode::bad_request, "no archive at " + file.string());
    const auto server = server_version(db);
    BackupResult out{server.text, matching_tool("pg_restore", server), fs::file_size(file, ec)};
    if (!force) {
        if (const int tables = user_table_count(db); tables > 0)
            throw Error(ErrorCode::conflict, "the database is not empty (" + std::to_string(tables) +
                                                 " tables): restore replaces them; pass --force to do so");
    }
    // --no-owner: the archive's owners may not exist in this cluster; the restoring user
    // owns what it creates. --single-transaction: a failure leaves the database as it was.
    const int status = run_tool({out.tool, "--clean", "--if-exists", "--single-transaction", "--exit-on-error", "--no-owner",
                                 "--no-password", "--dbname=" + db.conninfo(), file.string()});
    if (status != 0)
        throw Error(ErrorCode::bad_request, "pg_restore failed (exit " + std::to_string(status) + "); the database is unchanged");
    return out;
}

}  // namespace wangge::data
