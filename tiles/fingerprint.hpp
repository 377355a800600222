#pragma once
// FNV-1a, 64 bit, over the values that name a drawing: stable across processes, so
// ETags survive a restart. One definition for tile ETags, grid outline digests and the
// marker cells.

#include <bit>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace wangge::tiles {

class Fingerprint {
public:
    /// The bytes, then their length (so "ab","c" and "a","bc" differ).
    Fingerprint& add(std::string_view s) {
        for (unsigned char c : s) m_h = (m_h ^ c) * k_prime;
        return add_u64(s.size());
    }
    Fingerprint& add_u64(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) m_h = (m_h ^ ((v >> (8 * i)) & 0xffu)) * k_prime;
        return *this;
    }
    Fingerprint& add_double(double v) { return add_u64(std::bit_cast<std::uint64_t>(v)); }
    std::uint64_t value() const noexcept { return m_h; }
    /// Quoted, as a strong ETag.
    std::string etag() const {
        char buf[24];
        std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(m_h));
        return buf;
    }

private:
    static constexpr std::uint64_t k_prime = 1099511628211ull;
    std::uint64_t m_h = 14695981039346656037ull;
};

}  // namespace wangge::tiles
