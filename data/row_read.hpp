#pragma once
// Reading typed values out of libpqxx rows, for the stores in data/ (internal).

#include "core/time.hpp"
#include "data/records.hpp"

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

namespace wangge::data::detail {

/// A column selected as extract(epoch FROM …)::bigint.
inline Timestamp epoch(const pqxx::field& f) { return Timestamp{std::chrono::seconds{f.as<long long>()}}; }

/// An instant as a bigint epoch parameter (to_timestamp($n) in SQL); NULL switches the
/// condition off.
inline std::optional<long long> epoch_param(const std::optional<Timestamp>& t) {
    if (!t) return std::nullopt;
    return static_cast<long long>(t->time_since_epoch().count());
}

inline std::optional<Timestamp> epoch_or_null(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return epoch(f);
}

inline std::optional<std::string> text_or_null(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return f.as<std::string>();
}

/// Three columns id, name, phone from `first` on; nullopt when the id is NULL.
inline std::optional<Person> person_at(const pqxx::row& r, int first) {
    if (r[first].is_null()) return std::nullopt;
    return Person{r[first].as<std::string>(), r[first + 1].as<std::string>(), r[first + 2].as<std::string>()};
}

/// A column selected as array_to_string(…, ','): ids never contain commas.
inline std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> out;
    for (std::size_t start = 0; start < s.size();) {
        auto comma = s.find(',', start);
        if (comma == std::string::npos) comma = s.size();
        out.push_back(s.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

}  // namespace wangge::data::detail
