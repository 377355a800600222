#pragma once
// The audit log: every write, with who (the token's name and role), when, what (action,
// target, details) and from where (the client's address, or "cli:<user>"). Written
// inside the caller's transaction so it commits with the change.

#include "core/time.hpp"

#include <optional>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace wangge {
struct Principal;
}

namespace wangge::data {

class Database;

void write_audit(pqxx::transaction_base& tx, const Principal& actor, const std::optional<std::string>& town,
                 const std::string& action, const std::string& target, const std::string& details_json = "{}");

/// The command line as an actor: name "cli", role admin, source "cli:<OS user>".
Principal cli_principal();

struct AuditFilter {
    std::optional<std::string> town;
    std::optional<std::string> actor;
    std::optional<std::string> action;
    std::optional<Timestamp> from;  // inclusive
    std::optional<Timestamp> to;    // exclusive
    int limit = 100;
    std::optional<long long> before_id;  // the cursor: entries older than this one
};

struct AuditEntry {
    long long id = 0;
    Timestamp at;
    std::optional<std::string> town;
    std::string actor, role, action, target, source;
    std::string details_json;
};

struct AuditPage {
    std::vector<AuditEntry> entries;  // newest first
    std::optional<long long> next_before;  // set when more entries follow
};

AuditPage list_audit(Database& db, const AuditFilter& filter);

}  // namespace wangge::data
