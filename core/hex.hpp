#pragma once
// Bytes as hexadecimal text: token hashes (lower case, as stored) and WKB handed to
// PostGIS (upper case, as GDAL and PostGIS print it).

#include <cstddef>
#include <string>

namespace wangge {

inline std::string hex_encode(const unsigned char* data, std::size_t size, bool upper = false) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string out(size * 2, '0');
    for (std::size_t i = 0; i < size; ++i) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0x0f];
    }
    return out;
}

}  // namespace wangge
