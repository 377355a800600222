#include "core/time.hpp"

#include <array>
#include <charconv>
#include <cstdio>

namespace wangge {

namespace {

using namespace std::chrono;

// Reads exactly `width` decimal digits at `pos`.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t width) {
    if (pos + width > s.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        value = value * 10 + (s[i] - '0');
    }
    return value;
}

std::optional<sys_days> civil_day(int y, int m, int d) {
    if (y < 1) return std::nullopt;  // PostgreSQL has no year 0
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    return sys_days{ymd};
}

// Instants whose civil date is within 0001…9999 both in UTC and in Shanghai: what PostgreSQL
// stores and what format_rfc3339(_utc) writes back as four digits. Found by fuzz_time:
// "0000-01-01T07:30:00+08:00" was accepted and came back as year -1.
bool representable(Timestamp t) {
    static const Timestamp lo{sys_days{year{1} / 1 / 1}};
    static const Timestamp hi = Timestamp{sys_days{year{10000} / 1 / 1}} - k_shanghai_offset;
    return t >= lo && t < hi;
}

std::string format_with_offset(Timestamp t, seconds offset, bool utc_z) {
    const auto local = t + offset;
    const auto day = floor<days>(local);
    const year_month_day ymd{day};
    const hh_mm_ss hms{local - day};
    std::array<char, 40> buf{};
    const int sign_hours = static_cast<int>(offset.count() / 3600);
    const int minutes = static_cast<int>((offset.count() % 3600) / 60);
    int n = std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02d:%02d:%02d",
                          static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                          static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                          static_cast<int>(hms.minutes().count()),
                          static_cast<int>(hms.seconds().count()));
    std::string out(buf.data(), static_cast<std::size_t>(n));
    if (utc_z) return out + "Z";
    n = std::snprintf(buf.data(), buf.size(), "%c%02d:%02d", sign_hours < 0 ? '-' : '+',
                      sign_hours < 0 ? -sign_hours : sign_hours, minutes < 0 ? -minutes : minutes);
    return out + std::string(buf.data(), static_cast<std::size_t>(n));
}

}  // namespace

std::optional<Timestamp> parse_rfc3339(std::string_view s) {
    // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
    if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return std::nullopt;
    auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
    auto h = digits(s, 11, 2), mi = digits(s, 14, 2), se = digits(s, 17, 2);
    if (!y || !mo || !d || !h || !mi || !se) return std::nullopt;
    if (*h > 23 || *mi > 59 || *se > 60) return std::nullopt;
    auto day = civil_day(*y, *mo, *d);
    if (!day) return std::nullopt;
    std::size_t pos = 19;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        const std::size_t start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        if (pos == start) return std::nullopt;
    }
    if (pos >= s.size()) return std::nullopt;
    seconds offset{0};
    if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
        auto oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
        if (!oh || !om || pos + 3 >= s.size() || s[pos + 3] != ':' || *oh > 23 || *om > 59)
            return std::nullopt;
        offset = hours{*oh} + minutes{*om};
        if (s[pos] == '-') offset = -offset;
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    // A leap second (:60) is folded onto the next second, as PostgreSQL does.
    const Timestamp t = Timestamp{*day + hours{*h} + minutes{*mi} + seconds{*se}} - offset;
    if (!representable(t)) return std::nullopt;
    return t;
}

std::optional<sys_days> parse_date(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
    if (!y || !mo || !d) return std::nullopt;
    return civil_day(*y, *mo, *d);
}

std::optional<Timestamp> parse_instant(std::string_view text) {
    if (auto day = parse_date(text)) {
        const auto t = shanghai_midnight(*day);
        if (!representable(t)) return std::nullopt;
        return t;
    }
    return parse_rfc3339(text);
}

std::optional<year_month> parse_year_month(std::string_view s) {
    if (s.size() != 7 || s[4] != '-') return std::nullopt;
    auto y = digits(s, 0, 4), mo = digits(s, 5, 2);
    if (!y || !mo || *mo < 1 || *mo > 12 || *y < 1970) return std::nullopt;
    return year{*y} / month{static_cast<unsigned>(*mo)};
}

std::string format_rfc3339(Timestamp t) { return format_with_offset(t, k_shanghai_offset, false); }

std::string format_rfc3339_utc(Timestamp t) { return format_with_offset(t, seconds{0}, true); }

std::string format_date(sys_days day) {
    const year_month_day ymd{day};
    std::array<char, 16> buf{};
    const int n = std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return {buf.data(), static_cast<std::size_t>(n)};
}

sys_days shanghai_day(Timestamp t) { return floor<days>(t + k_shanghai_offset); }

Timestamp shanghai_midnight(sys_days day) { return Timestamp{day} - k_shanghai_offset; }

Timestamp shanghai_month_start(year_month month) { return shanghai_midnight(sys_days{month / 1}); }

Timestamp now_seconds() { return floor<seconds>(system_clock::now()); }

}  // namespace wangge
