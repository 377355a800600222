#include "data/audit.hpp"

#include "core/principal.hpp"
#include "data/db.hpp"
#include "data/prepared.hpp"
#include "data/row_read.hpp"

#include <pqxx/pqxx>

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace wangge::data {

void write_audit(pqxx::transaction_base& tx, const Principal& actor, const std::optional<std::string>& town,
                 const std::string& action, const std::string& target, const std::string& details_json) {
    exec_prepared_sql(
        tx, "INSERT INTO audit_log (town, actor, role, action, target, details, source) VALUES ($1,$2,$3,$4,$5,$6::jsonb,$7)",
        town, actor.name, std::string(role_name(actor.role)), action, target, details_json, actor.source);
}

Principal cli_principal() {
    Principal p;
    p.name = "cli";
    p.role = Role::admin;
    // The login behind the command, from the password database rather than $USER, which
    // any caller can set; $USER only when the uid has no entry (containers).
    std::string user;
    if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) user = pw->pw_name;
    else if (const char* env = std::getenv("USER"); env != nullptr) user = env;
    else user = "uid" + std::to_string(geteuid());
    p.source = "cli:" + user;
    return p;
}

AuditPage list_audit(Database& db, const AuditFilter& f) {
    AuditPage page;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        // NULL parameters switch a condition off, so one statement covers every filter.
        auto res = tx.exec_params(
            "SELECT id, extract(epoch FROM at)::bigint, town, actor, role, action, target, details::text, source "
            "FROM audit_log WHERE ($1::text IS NULL OR town = $1) AND ($2::text IS NULL OR actor = $2) "
            "AND ($3::text IS NULL OR action = $3) AND ($4::bigint IS NULL OR at >= to_timestamp($4)) "
            "AND ($5::bigint IS NULL OR at < to_timestamp($5)) AND ($6::bigint IS NULL OR id < $6) "
            "ORDER BY id DESC LIMIT $7",
            f.town, f.actor, f.action,
            detail::epoch_param(f.from), detail::epoch_param(f.to), f.before_id, f.limit + 1);
        for (const auto& r : res) {
            if (static_cast<int>(page.entries.size()) == f.limit) {
                page.next_before = page.entries.back().id;
                break;
            }
            AuditEntry e;
            e.id = r[0].as<long long>();
            e.at = detail::epoch(r[1]);
            e.town = detail::text_or_null(r[2]);
            e.actor = r[3].as<std::string>();
            e.role = r[4].as<std::string>();
            e.action = r[5].as<std::string>();
            e.target = r[6].as<std::string>();
            e.details_json = r[7].as<std::string>();
            e.source = r[8].as<std::string>();
            page.entries.push_back(std::move(e));
        }
    });
    return page;
}

}  // namespace wangge::data
