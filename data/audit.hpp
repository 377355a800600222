#pragma once
// The audit log: every write, with the token's name and role (issue: "an audit log of
// every write"). Written inside the caller's transaction so it commits with the change.

#include <optional>
#include <string>

namespace pqxx {
class transaction_base;
}

namespace wangge {
struct Principal;
}

namespace wangge::data {

void write_audit(pqxx::transaction_base& tx, const Principal& actor, const std::optional<std::string>& town,
                 const std::string& action, const std::string& target, const std::string& details_json = "{}");

}  // namespace wangge::data
