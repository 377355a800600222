#pragma once
// Who is calling: the holder of an API token (API.md: Auth, Roles).

#include "core/domain.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace wangge {

struct Principal {
    std::string name;                 // the token's name, written to the audit log
    Role role = Role::grid_worker;
    std::vector<std::string> towns;   // empty: every town
    std::optional<std::string> platform;  // for role platform: the platform it handles
    std::optional<std::string> worker;    // for grid workers: their worker id
    /// Where the call came from, for the audit log: the client's address for API calls,
    /// "cli:<OS user>" for the command line.
    std::string source;

    bool covers_town(std::string_view town) const {
        return role == Role::admin || towns.empty() || std::find(towns.begin(), towns.end(), town) != towns.end();
    }
    bool has_role(std::initializer_list<Role> allowed) const {
        return role == Role::admin || std::find(allowed.begin(), allowed.end(), role) != allowed.end();
    }
};

}  // namespace wangge
