#include "core/domain.hpp"

#include <algorithm>

namespace wangge {

bool is_platform(std::string_view code) noexcept {
    return std::find(k_platforms.begin(), k_platforms.end(), code) != k_platforms.end();
}

std::optional<Role> parse_role(std::string_view name) noexcept {
    for (std::size_t i = 0; i < k_role_names.size(); ++i)
        if (k_role_names[i] == name) return static_cast<Role>(i);
    return std::nullopt;
}

std::string_view role_name(Role role) noexcept { return k_role_names[static_cast<std::size_t>(role)]; }

}  // namespace wangge
