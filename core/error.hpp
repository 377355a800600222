#pragma once
// The one error type of wangge. Core modules throw it; only api/ catches it, once, and
// turns it into application/problem+json through the table in error.cpp.

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace wangge {

enum class ErrorCode : std::uint8_t {
    bad_request,          // malformed input
    unauthorized,         // no or invalid token
    forbidden,            // role or town not allowed
    not_found,            // unknown id or route
    method_not_allowed,   // route exists, verb does not
    conflict,             // illegal state transition, version conflict
    precondition_failed,  // If-Match failed
    payload_too_large,
    unsupported_media_type,
    unprocessable,        // well-formed but invalid (geometry, topology)
    database_unavailable,
    internal,
    too_many_requests,    // the caller's rate limit is used up
    deadline_exceeded,    // the request's database deadline passed (statement_timeout)
    not_ready,            // this node is still loading its copies or not following the database
    count_  // keep last: sizes the description table
};

struct ErrorDescription {
    int http_status;
    std::string_view slug;   // the tail of the problem "type" URI
    std::string_view title;
};

/// The HTTP status, type slug and title of a code (one table, checked for size).
const ErrorDescription& describe(ErrorCode code) noexcept;

class Error : public std::runtime_error {
public:
    /// @param detail human-readable, safe to show to the client (never a library's raw text)
    Error(ErrorCode code, std::string detail);
    /// With extra problem members, e.g. {"field": "lon"} or {"problems": [...]}.
    Error(ErrorCode code, std::string detail, const nlohmann::json& extra);
    ~Error() override;
    Error(const Error&);
    Error& operator=(const Error&);

    ErrorCode code() const noexcept { return m_code; }
    const std::string& detail() const noexcept { return m_detail; }
    /// Serialised extra members as a JSON object ("{}" when none).
    const std::string& extra_json() const noexcept { return m_extra; }

private:
    ErrorCode m_code;
    std::string m_detail;
    std::string m_extra;
};

/// Shorthand for the most common failure: a named field of the input is wrong.
[[noreturn]] void throw_bad_field(std::string_view field, std::string_view why);

}  // namespace wangge
