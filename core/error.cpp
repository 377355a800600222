#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <array>

namespace wangge {

namespace {

constexpr std::array<ErrorDescription, static_cast<std::size_t>(ErrorCode::count_)> k_descriptions{{
    {400, "bad-request", "Bad request"},
    {401, "unauthorized", "Unauthorized"},
    {403, "forbidden", "Forbidden"},
    {404, "not-found", "Not found"},
    {405, "method-not-allowed", "Method not allowed"},
    {409, "conflict", "Conflict"},
    {412, "precondition-failed", "Precondition failed"},
    {413, "payload-too-large", "Payload too large"},
    {415, "unsupported-media-type", "Unsupported media type"},
    {422, "unprocessable", "Unprocessable entity"},
    {503, "database-unavailable", "Database unavailable"},
    {500, "internal", "Internal server error"},
    {429, "too-many-requests", "Too many requests"},
    {503, "deadline-exceeded", "Request deadline exceeded"},
    {503, "not-ready", "Not ready"},
}};
static_assert(k_descriptions.size() == static_cast<std::size_t>(ErrorCode::count_),
              "one description per ErrorCode");

}  // namespace

const ErrorDescription& describe(ErrorCode code) noexcept {
    auto index = static_cast<std::size_t>(code);
    if (index >= k_descriptions.size()) index = static_cast<std::size_t>(ErrorCode::internal);
    return k_descriptions[index];
}

Error::Error(ErrorCode code, std::string detail)
    : std::runtime_error(detail), m_code(code), m_detail(std::move(detail)), m_extra("{}") {}

Error::Error(ErrorCode code, std::string detail, const nlohmann::json& extra)
    : std::runtime_error(detail), m_code(code), m_detail(std::move(detail)), m_extra(extra.dump()) {}

Error::~Error() = default;
Error::Error(const Error&) = default;
Error& Error::operator=(const Error&) = default;

void throw_bad_field(std::string_view field, std::string_view why) {
    throw Error(ErrorCode::bad_request, std::string(field) + ": " + std::string(why),
                nlohmann::json{{"field", field}});
}

}  // namespace wangge
