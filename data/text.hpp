#pragma once
// Small text helpers for the data files wangge reads and the secrets it stores.

#include <string>
#include <string_view>
#include <vector>

namespace wangge::data {

/// One CSV record (RFC 4180 quoting; no embedded newlines).
std::vector<std::string> split_csv_line(std::string_view line);

/// Lowercase hex SHA-256 (OpenSSL).
std::string sha256_hex(std::string_view bytes);

/// n cryptographically random bytes as lowercase hex (OpenSSL RAND_bytes).
std::string random_hex(std::size_t n);

}  // namespace wangge::data

namespace wangge::data {

/// A PostgreSQL text[] literal ({"a","b"}) with every element quoted; libpqxx 6.4
/// cannot bind a std::vector itself.
std::string pg_text_array(const std::vector<std::string>& items);

}  // namespace wangge::data
