#pragma once
// The fixed vocabulary of the domain (MISSION.md): the four pilot towns, the four
// platforms (四个平台) and the roles of API.md. Identifiers are chosen once here.

#include <array>
#include <optional>
#include <string_view>

namespace wangge {

struct TownInfo {
    std::string_view code;       // API town code
    std::string_view name;       // 白龙桥镇
    std::string_view kind;       // town | township | subdistrict
    std::string_view admin_code; // 12-digit division code prefix used for grid codes
    double centre_lon;           // MISSION.md: rough centres and sizes
    double centre_lat;
    double area_km2;
    int grid_count;              // exact counts from the seed
};

inline constexpr std::array<TownInfo, 4> k_towns{{
    {"chengdong", "城东街道", "subdistrict", "330702004", 119.68, 29.09, 10.0, 39},
    {"bailongqiao", "白龙桥镇", "town", "330702100", 119.56, 29.09, 90.0, 75},
    {"jiangtang", "蒋堂镇", "town", "330702105", 119.45, 29.12, 60.0, 57},
    {"tashi", "塔石乡", "township", "330702205", 119.52, 28.85, 100.0, 41},
}};

const TownInfo* find_town(std::string_view code) noexcept;

inline constexpr std::array<std::string_view, 4> k_platforms{"zongzhi", "shichang", "zhifa", "bianmin"};
bool is_platform(std::string_view code) noexcept;

enum class Role { grid_worker, command, platform, leader, gis_admin, admin };
inline constexpr std::array<std::string_view, 6> k_role_names{"grid_worker", "command", "platform",
                                                              "leader",      "gis_admin", "admin"};
std::optional<Role> parse_role(std::string_view name) noexcept;
std::string_view role_name(Role role) noexcept;

}  // namespace wangge
