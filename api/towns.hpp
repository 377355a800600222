#pragma once
// Town codes in requests, checked against the town directory (data/town_directory.hpp):
// one answer for an unknown town on every route, pointing to the list rather than being
// one (a province has some 1,300 towns).

#include "core/error.hpp"
#include "data/town_directory.hpp"

#include <string>
#include <string_view>

namespace wangge::api {

/// A town named in a query parameter. @throws Error(bad_request) naming `field`
inline void require_known_town(data::TownDirectory& towns, const std::string& code, std::string_view field = "town") {
    if (!towns.exists(code)) throw_bad_field(field, "unknown town '" + code + "' (GET /api/v1/towns lists them)");
}

/// A town named in the path. @throws Error(not_found)
inline void require_existing_town(data::TownDirectory& towns, const std::string& code) {
    if (!towns.exists(code)) throw Error(ErrorCode::not_found, "no town " + code + " (GET /api/v1/towns lists them)");
}

}  // namespace wangge::api
