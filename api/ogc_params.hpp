#pragma once
// Parsing OGC API – Features query parameters into data::OgcItemsQuery. Pure functions:
// query strings in, typed values or Error(bad_request) naming the parameter out.

#include "data/ogc_store.hpp"

#include <map>
#include <string>

namespace wangge::api {

inline constexpr int k_ogc_default_limit = 10;
inline constexpr int k_ogc_max_limit = 10000;

/// The CRS of every coordinate the OGC endpoints give and take (EPSG:4490 treated as
/// WGS 84 lon/lat, API.md: Conventions).
inline constexpr const char* k_crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// `limit` (1…; above 10,000 it is taken as 10,000, OGC API – Features 1.0 §7.15.4),
/// `offset`, `bbox` (west,south,east,north; bbox-crs only CRS84), `datetime` (RFC 3339
/// instant, or an interval start/end with ".." or "" for an open end; a bare date is
/// midnight in Asia/Shanghai), `f` (json | geojson).
/// @throws Error(bad_request) naming the parameter
data::OgcItemsQuery parse_ogc_items(data::OgcCollection collection, const std::map<std::string, std::string>& query);

/// `datetime` alone. @throws Error(bad_request)
data::TimeFilter parse_ogc_datetime(const std::string& text);

/// `f`: absent or json, and also geojson where features are answered. @throws Error(bad_request)
void check_ogc_format(const std::map<std::string, std::string>& query, bool features = false);

}  // namespace wangge::api
