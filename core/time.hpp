#pragma once
// Instants and the Asia/Shanghai civil calendar. China has had no daylight saving time
// since 1991, so the zone is a fixed UTC+8 and needs no tz database (API.md: default zone
// for day and month boundaries).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wangge {

using Timestamp = std::chrono::sys_seconds;

inline constexpr std::chrono::seconds k_shanghai_offset{8 * 3600};

/// Parses RFC 3339 ("2026-03-01T08:30:00+08:00", "…Z", fractional seconds truncated).
std::optional<Timestamp> parse_rfc3339(std::string_view text);

/// RFC 3339, or a bare date "YYYY-MM-DD" taken as midnight in Asia/Shanghai.
std::optional<Timestamp> parse_instant(std::string_view text);

/// "YYYY-MM" → first instant of that month in Asia/Shanghai.
std::optional<std::chrono::year_month> parse_year_month(std::string_view text);

/// RFC 3339 in Asia/Shanghai, e.g. "2026-11-27T16:53:01+08:00".
std::string format_rfc3339(Timestamp t);

/// RFC 3339 in UTC ("…Z"), for machine-facing fields such as OGC datetime.
std::string format_rfc3339_utc(Timestamp t);

/// "YYYY-MM-DD".
std::string format_date(std::chrono::sys_days day);
std::optional<std::chrono::sys_days> parse_date(std::string_view text);

/// The civil date of an instant in Asia/Shanghai.
std::chrono::sys_days shanghai_day(Timestamp t);

/// Midnight at the start of a Shanghai civil date.
Timestamp shanghai_midnight(std::chrono::sys_days day);

/// First instant of a month in Asia/Shanghai.
Timestamp shanghai_month_start(std::chrono::year_month month);

Timestamp now_seconds();

}  // namespace wangge
