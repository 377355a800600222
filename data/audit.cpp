#include "data/audit.hpp"

#include "core/principal.hpp"

#include <pqxx/pqxx>

namespace wangge::data {

void write_audit(pqxx::transaction_base& tx, const Principal& actor, const std::optional<std::string>& town,
                 const std::string& action, const std::string& target, const std::string& details_json) {
    tx.exec_params("INSERT INTO audit_log (town, actor, role, action, target, details) VALUES ($1,$2,$3,$4,$5,$6::jsonb)",
                   town, actor.name, std::string(role_name(actor.role)), action, target, details_json);
}

}  // namespace wangge::data
