#pragma once
// Grid files through GDAL/OGR: GeoJSON, GeoPackage, zipped Shapefile, KML and CSV, written
// from and read into typed records. No database and no HTTP here; every file lives in
// GDAL's /vsimem/ for the length of one call. GDAL headers stay in ogr_io.cpp.
//
// The attribute mapping (docs/ogc.md "Files"): written fields are id, code, name, town,
// version, leader_id, worker_id, valid_from; read fields are matched case-insensitively:
// id | grid_id, name | grid_name, code, leader | leader_id, worker | worker_id, version,
// retired.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wangge::geo {

enum class GridFormat { geojson, gpkg, shp, kml, csv };

/// "geojson", "gpkg", "shp", "kml", "csv" (the `f=` values of API.md), else nullopt.
std::optional<GridFormat> parse_grid_format(std::string_view name);
std::string_view format_name(GridFormat format) noexcept;
/// The download's file extension: shp is delivered as a zip.
std::string_view file_extension(GridFormat format) noexcept;
/// The IANA media type of the file.
std::string_view media_type(GridFormat format) noexcept;

/// One grid version as it goes into a file.
struct GridFeature {
    std::string id;
    std::string code;
    std::string name;
    std::string town;
    int version = 0;
    std::optional<std::string> leader_id;
    std::optional<std::string> worker_id;
    std::string valid_from;    // RFC 3339
    std::string geometry_wkb;  // WKB, binary or hex, EPSG:4490 lon/lat
};

/// One feature as read from a file, for the importer to validate.
struct ImportedGrid {
    std::size_t index = 0;  // 0-based position of the feature in the file's layer
    std::optional<std::string> id;
    std::optional<std::string> name;
    std::optional<std::string> code;
    std::optional<std::string> leader;  // worker id
    std::optional<std::string> worker;  // worker id
    std::optional<int> version;
    std::optional<bool> retired;
    std::string geometry_wkb_hex;  // EPSG:4490 lon/lat, 2D; empty only for a retired feature without geometry
    std::string geometry_type;     // the file's type name before any change, e.g. "Polygon", "3D MultiPolygon"
    std::string source_crs;        // "EPSG:4549", a CRS name, or "EPSG:4326" when assumed
    bool crs_assumed = false;      // the file declared no CRS: EPSG:4326 (= EPSG:4490 within a metre) assumed
};

/// Writes the grids as one layer "grids" in EPSG:4490 (lon/lat) and returns the file's
/// bytes. Same input, same bytes for geojson, kml, csv and gpkg (gpkg's last_change is the
/// newest valid_from); the shp zip differs in the DBF's and the zip entries' dates.
/// @throws Error(bad_request) for a geometry that is not WKB; Error(internal) when GDAL fails
std::string write_grids(const std::vector<GridFeature>& grids, GridFormat format);

/// Reads the first layer of a GeoJSON, GeoPackage, zipped Shapefile, KML or CSV (WKT
/// column) file, reprojecting every geometry to EPSG:4490 lon/lat.
/// @param filename_hint the uploaded file's name; its extension helps GDAL pick the driver
/// @throws Error(bad_request) unknown or unreadable format, no layer, a CRS that cannot be
///         transformed; Error(unprocessable) naming the feature index for a feature with
///         no, a broken or a non-polygonal geometry, or an unusable attribute value
std::vector<ImportedGrid> read_grids(const std::string& bytes, const std::string& filename_hint);

}  // namespace wangge::geo
