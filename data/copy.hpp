#pragma once
// COPY rows through libpqxx 6.4's stream_to: a tuple-like row of C strings, where a null
// pointer is written as NULL and everything else is escaped by libpqxx.

#include <pqxx/stream_to>

#include <array>
#include <optional>
#include <string>

namespace wangge::data {

using CopyField = std::optional<std::string>;

template <std::size_t N> void copy_row(pqxx::stream_to& out, const std::array<CopyField, N>& fields) {
    std::array<const char*, N> ptrs{};
    for (std::size_t i = 0; i < N; ++i) ptrs[i] = fields[i] ? fields[i]->c_str() : nullptr;
    out << ptrs;
}

}  // namespace wangge::data
