#pragma once
// API tokens (API.md: Auth). A token is "wg_" + 40 random hex digits; only its SHA-256
// is stored, so a leaked database does not leak working tokens.

#include "core/principal.hpp"
#include "core/time.hpp"

#include <optional>
#include <string>
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
/// @throws Error(bad_request) unknown town, platform role without platform, or a name
///         that an active token already has
std::string create_token(Database& db, const TokenSpec& spec);

std::vector<TokenInfo> list_tokens(Database& db);

/// Revokes the active token with this name; returns how many were revoked (0 or 1).
int revoke_token_by_name(Database& db, const std::string& name);
/// Revokes the token given in clear; returns how many were revoked (0 or 1).
int revoke_token(Database& db, const std::string& token);

/// The principal of an active token, or nullopt.
std::optional<Principal> authenticate(Database& db, const std::string& token);

}  // namespace wangge::data
