#pragma once
// Shared by the fuzz targets: what counts as a correct answer to hostile input.
//
// A parser may reject its input only with a wangge::Error whose status is a client error
// (4xx): a 5xx would tell the client the server broke when the request was at fault
// (API.md: every error is problem+json with the right status). Any other exception escapes
// the target and libFuzzer reports it as a crash, as does a failed invariant (abort).

#include "core/error.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace wangge::fuzz {

[[noreturn]] inline void fail(const char* what, std::string_view detail = {}) {
    const std::string text(detail);  // never a null %s, even for an empty detail
    std::fprintf(stderr, "fuzz invariant broken: %s %s\n", what, text.c_str());
    std::abort();
}

inline void check(bool ok, const char* what, std::string_view detail = {}) {
    if (!ok) fail(what, detail);
}

/// The status api::problem_of gives the error (core's table, so targets without api/ link).
inline void expect_client_status(const Error& e) {
    const int status = describe(e.code()).http_status;
    check(status >= 400 && status < 500, "a parser rejected input with a non-4xx status:", e.detail());
}

/// Runs fn; a wangge::Error must be a client error.
template <class Fn> void expect_client_error_only(Fn&& fn) {
    try {
        fn();
    } catch (const Error& e) {
        expect_client_status(e);
    }
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace wangge::fuzz
