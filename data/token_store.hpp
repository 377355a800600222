#pragma once
// API tokens (API.md: Auth). A token is "wg_" + 40 random hex digits; only its SHA-256
// is stored, so a leaked database does not leak working tokens.

#include "core/principal.hpp"
#include "core/time.hpp"

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace wangge::data {

class Database;

struct TokenSpec {
    std::string name;  // empty: generated from the role
    Role role = Role::grid_worker;
    std::vector<std::string> towns;  // empty: all towns
    std::optional<std::string> platform;
    std::optional<std::string> worker;
};

struct TokenInfo {
    long long id = 0;
    Principal principal;
    Timestamp created_at;
    std::optional<Timestamp> revoked_at;
};

/// Creates a token and returns it in clear (the only time it is seen).
/// @throws Error(bad_request) a town the database does not have, platform role without
///         platform, or a name that an active token already has
std::string create_token(Database& db, const TokenSpec& spec);

std::vector<TokenInfo> list_tokens(Database& db);

/// Revokes the active token with this name; returns how many were revoked (0 or 1).
int revoke_token_by_name(Database& db, const std::string& name);
/// Revokes the token given in clear; returns how many were revoked (0 or 1).
int revoke_token(Database& db, const std::string& token);

/// The principal of an active token, or nullopt.
std::optional<Principal> authenticate(Database& db, const std::string& token);

/// authenticate() with the answers for valid tokens kept in memory, so a request (a
/// cached tile above all) costs no database round trip for its token. Exact only while
/// something tells it of every change to api_tokens: the caller's `following()` says
/// whether the change feed is connected (data/change_feed.hpp, topic 'tokens'), and the
/// feed calls forget() on every change and after every reconnect. While not following,
/// every lookup goes to the database and nothing is kept. Unknown and revoked tokens
/// are never cached (a flood of bad tokens must not fill memory).
class TokenCache {
public:
    TokenCache(Database& db, std::function<bool()> following, std::size_t max_entries = 100000);
    std::optional<Principal> authenticate(const std::string& token);
    void forget();

    struct Stats {
        std::uint64_t hits = 0, misses = 0, forgets = 0;
        std::size_t entries = 0;
    };
    Stats stats() const;

private:
    Database& m_db;
    std::function<bool()> m_following;
    std::size_t m_max;
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, Principal> m_entries;  // by SHA-256 of the token
    std::uint64_t m_epoch = 0;  // bumped by forget(): a lookup that began before it is not kept
    std::uint64_t m_hits = 0, m_misses = 0, m_forgets = 0;
};

}  // namespace wangge::data
