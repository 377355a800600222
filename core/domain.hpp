#pragma once
// The fixed vocabulary of the domain (MISSION.md): the four platforms (四个平台) and the
// roles of API.md. Identifiers are chosen once here. Towns are not vocabulary but data:
// rows of the database (migration 0009), checked through data/town_directory.hpp; the
// pilot towns of the demo are data/demo/pilots.json.

#include <array>
#include <optional>
#include <string_view>

namespace wangge {

inline constexpr std::array<std::string_view, 4> k_platforms{"zongzhi", "shichang", "zhifa", "bianmin"};
bool is_platform(std::string_view code) noexcept;

enum class Role { grid_worker, command, platform, leader, gis_admin, admin };
inline constexpr std::array<std::string_view, 6> k_role_names{"grid_worker", "command", "platform",
                                                              "leader",      "gis_admin", "admin"};
std::optional<Role> parse_role(std::string_view name) noexcept;
std::string_view role_name(Role role) noexcept;

}  // namespace wangge
