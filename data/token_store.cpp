#include "data/token_store.hpp"

#include "core/error.hpp"
#include "data/audit.hpp"
#include "data/db.hpp"
#include "data/text.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace wangge::data {

namespace {

std::vector<std::string> parse_text_array(const pqxx::field& f) {
    std::vector<std::string> out;
    auto parser = f.as_array();
    for (auto item = parser.get_next(); item.first != pqxx::array_parser::done; item = parser.get_next())
        if (item.first == pqxx::array_parser::string_value) out.push_back(item.second);
    return out;
}

Principal principal_from(const pqxx::row& r, int first) {
    Principal p;
    p.name = r[first].as<std::string>();
    p.role = parse_role(r[first + 1].as<std::string>()).value_or(Role::grid_worker);
    p.towns = parse_text_array(r[first + 2]);
    if (!r[first + 3].is_null()) p.platform = r[first + 3].as<std::string>();
    if (!r[first + 4].is_null()) p.worker = r[first + 4].as<std::string>();
    return p;
}

}  // namespace

std::string create_token(Database& db, const TokenSpec& spec) {
    if (spec.role == Role::platform && !spec.platform)
        throw Error(ErrorCode::bad_request, "a platform token needs --platform");
    if (spec.platform && !is_platform(*spec.platform))
        throw Error(ErrorCode::bad_request, "unknown platform " + *spec.platform);
    const std::string token = "wg_" + random_hex(20);
    const std::string name =
        spec.name.empty() ? std::string(role_name(spec.role)) + "-" + token.substr(3, 8) : spec.name;
    db.run([&](pqxx::connection_base& c) {
        pqxx::work tx(c);
        // Towns are rows (migration 0009): the first of the token's towns that none is.
        auto unknown = tx.exec_params("SELECT t FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n) "
                                      "WHERE NOT EXISTS (SELECT 1 FROM towns WHERE town = u.t) ORDER BY n LIMIT 1",
                                      pg_text_array(spec.towns));
        if (!unknown.empty())
            throw Error(ErrorCode::bad_request, "unknown town " + unknown[0][0].as<std::string>() +
                                                    " (the towns table lists them; GET /api/v1/towns)");
        auto clash = tx.exec_params("SELECT 1 FROM api_tokens WHERE name = $1 AND revoked_at IS NULL", name);
        if (!clash.empty()) throw Error(ErrorCode::bad_request, "an active token is already named " + name);
        tx.exec_params(
            "INSERT INTO api_tokens (name, role, towns, platform, worker, sha256) VALUES ($1,$2,$3::text[],$4,$5,$6)",
            name, std::string(role_name(spec.role)), pg_text_array(spec.towns), spec.platform, spec.worker, sha256_hex(token));
        nlohmann::json details{{"role", std::string(role_name(spec.role))}, {"towns", spec.towns}};
        write_audit(tx, cli_principal(), std::nullopt, "token.create", name, details.dump());
        tx.commit();
    });
    return token;
}

std::vector<TokenInfo> list_tokens(Database& db) {
    std::vector<TokenInfo> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        for (const auto& r : tx.exec("SELECT id, name, role, towns, platform, worker, extract(epoch FROM created_at)::bigint, "
                                     "extract(epoch FROM revoked_at)::bigint FROM api_tokens ORDER BY id")) {
            TokenInfo info;
            info.id = r[0].as<long long>();
            info.principal = principal_from(r, 1);
            info.created_at = Timestamp{std::chrono::seconds{r[6].as<long long>()}};
            if (!r[7].is_null()) info.revoked_at = Timestamp{std::chrono::seconds{r[7].as<long long>()}};
            out.push_back(std::move(info));
        }
    });
    return out;
}

namespace {
int revoke_where(Database& db, const std::string& column, const std::string& value) {
    int n = 0;
    db.run([&](pqxx::connection_base& c) {
        pqxx::work tx(c);
        auto res = tx.exec_params("UPDATE api_tokens SET revoked_at = now() WHERE " + column +
                                      " = $1 AND revoked_at IS NULL RETURNING name",
                                  value);
        for (const auto& r : res) write_audit(tx, cli_principal(), std::nullopt, "token.revoke", r[0].as<std::string>());
        n = static_cast<int>(res.size());
        tx.commit();
    });
    return n;
}
}  // namespace

int revoke_token_by_name(Database& db, const std::string& name) { return revoke_where(db, "name", name); }

int revoke_token(Database& db, const std::string& token) { return revoke_where(db, "sha256", sha256_hex(token)); }

std::optional<Principal> authenticate(Database& db, const std::string& token) {
    if (token.size() != 43 || token.rfind("wg_", 0) != 0) return std::nullopt;
    std::optional<Principal> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::nontransaction tx(c);  // one statement: no BEGIN/COMMIT round trips on every request
        auto res = tx.exec_params(
            "SELECT name, role, towns, platform, worker FROM api_tokens WHERE sha256 = $1 AND revoked_at IS NULL",
            sha256_hex(token));
        if (!res.empty()) out = principal_from(res[0], 0);
    });
    return out;
}

TokenCache::TokenCache(Database& db, std::function<bool()> following, std::size_t max_entries)
    : m_db(db), m_following(std::move(following)), m_max(max_entries) {}

std::optional<Principal> TokenCache::authenticate(const std::string& token) {
    if (token.size() != 43 || token.rfind("wg_", 0) != 0) return std::nullopt;
    if (!m_following()) {
        std::lock_guard lock(m_mutex);
        if (!m_entries.empty()) m_entries.clear(), ++m_epoch;  // what we kept may be stale now
        ++m_misses;
        return data::authenticate(m_db, token);
    }
    const auto key = sha256_hex(token);
    std::uint64_t epoch = 0;
    {
        std::lock_guard lock(m_mutex);
        if (auto it = m_entries.find(key); it != m_entries.end()) {
            ++m_hits;
            return it->second;
        }
        ++m_misses;
        epoch = m_epoch;
    }
    auto found = data::authenticate(m_db, token);
    if (found) {
        std::lock_guard lock(m_mutex);
        // A revocation heard while we were asking would otherwise be undone by this insert.
        if (epoch == m_epoch) {
            if (m_entries.size() >= m_max) m_entries.clear();
            m_entries.emplace(key, *found);
        }
    }
    return found;
}

void TokenCache::forget() {
    std::lock_guard lock(m_mutex);
    m_entries.clear();
    ++m_epoch;
    ++m_forgets;
}

TokenCache::Stats TokenCache::stats() const {
    std::lock_guard lock(m_mutex);
    return {m_hits, m_misses, m_forgets, m_entries.size()};
}

}  // namespace wangge::data
