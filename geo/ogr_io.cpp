#include "geo/ogr_io.hpp"

#include "core/error.hpp"
#include "core/hex.hpp"
#include "core/time.hpp"
#include "geo/geos.hpp"

#include <nlohmann/json.hpp>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>

namespace wangge::geo {

namespace detail {

// RAII over GDAL's C handles (STYLE.md: Wrapping C libraries).
struct DatasetCloser {
    void operator()(void* h) const noexcept { GDALClose(h); }
};
struct FeatureDestroyer {
    void operator()(void* h) const noexcept { OGR_F_Destroy(h); }
};
struct GeometryDestroyer {
    void operator()(void* h) const noexcept { OGR_G_DestroyGeometry(h); }
};
struct FieldDefnDestroyer {
    void operator()(void* h) const noexcept { OGR_Fld_Destroy(h); }
};
struct SrsReleaser {
    void operator()(void* h) const noexcept { OSRRelease(h); }
};
struct TransformDestroyer {
    void operator()(void* h) const noexcept { OCTDestroyCoordinateTransformation(h); }
};
struct StringListDestroyer {
    void operator()(char** list) const noexcept { CSLDestroy(list); }
};

using DatasetPtr = std::unique_ptr<void, DatasetCloser>;
using FeaturePtr = std::unique_ptr<void, FeatureDestroyer>;
using GeometryPtr = std::unique_ptr<void, GeometryDestroyer>;
using FieldDefnPtr = std::unique_ptr<void, FieldDefnDestroyer>;
using SrsPtr = std::unique_ptr<void, SrsReleaser>;
using TransformPtr = std::unique_ptr<void, TransformDestroyer>;
using StringList = std::unique_ptr<char*, StringListDestroyer>;

}  // namespace detail

namespace {

using namespace detail;

constexpr const char* k_layer = "grids";

void register_drivers() {
    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
}

// A private /vsimem/ directory for one call, removed with everything in it at the end.
class MemDir {
public:
    MemDir() {
        static std::atomic<unsigned long long> counter{0};
        m_path = "/vsimem/wangge-ogr-io/" + std::to_string(++counter);
        VSIMkdirRecursive(m_path.c_str(), 0755);
    }
    ~MemDir() { VSIRmdirRecursive(m_path.c_str()); }
    MemDir(const MemDir&) = delete;
    MemDir& operator=(const MemDir&) = delete;
    const std::string& path() const noexcept { return m_path; }

private:
    std::string m_path;
};

// GDAL reports through CPLError; in a server its messages go to our log, not stderr at
// random. The handler stack is per thread.
class QuietErrors {
public:
    QuietErrors() {
        CPLPushErrorHandler(CPLQuietErrorHandler);
        CPLErrorReset();
    }
    ~QuietErrors() { CPLPopErrorHandler(); }
    QuietErrors(const QuietErrors&) = delete;
    QuietErrors& operator=(const QuietErrors&) = delete;
};

// A thread-local GDAL configuration option for the length of a scope.
class ScopedConfig {
public:
    ScopedConfig(const char* key, const std::string& value) : m_key(key) {
        if (const char* old = CPLGetThreadLocalConfigOption(key, nullptr)) m_old = old;
        CPLSetThreadLocalConfigOption(key, value.c_str());
    }
    ~ScopedConfig() { CPLSetThreadLocalConfigOption(m_key, m_old ? m_old->c_str() : nullptr); }
    ScopedConfig(const ScopedConfig&) = delete;
    ScopedConfig& operator=(const ScopedConfig&) = delete;

private:
    const char* m_key;
    std::optional<std::string> m_old;
};

std::string last_gdal_error() {
    const char* msg = CPLGetLastErrorMsg();
    return msg != nullptr && *msg != '\0' ? msg : "no message";
}

[[noreturn]] void fail_internal(const std::string& what) {
    // GDAL's text is for the log; the client gets a plain sentence (API.md: Conventions).
    std::cerr << "ogr_io: " << what << ": " << last_gdal_error() << '\n';
    throw Error(ErrorCode::internal, "the grid file could not be written");
}

std::string file_bytes(const std::string& path) {
    vsi_l_offset length = 0;
    GByte* data = VSIGetMemFileBuffer(path.c_str(), &length, FALSE);
    if (data == nullptr) fail_internal("no file " + path);
    return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
}

void put_file(const std::string& path, const std::string& bytes) {
    VSILFILE* f = VSIFOpenL(path.c_str(), "wb");
    if (f == nullptr) fail_internal("cannot create " + path);
    const auto written = VSIFWriteL(bytes.data(), 1, bytes.size(), f);
    VSIFCloseL(f);
    if (written != bytes.size()) fail_internal("cannot write " + path);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Binary WKB starts with byte 0 or 1; its hex text starts with the character '0'.
std::string wkb_bytes(const std::string& wkb, const std::string& grid) {
    if (wkb.empty() || wkb[0] != '0') return wkb;
    if (wkb.size() % 2 != 0) throw Error(ErrorCode::bad_request, "grid " + grid + ": geometry is not WKB");
    std::string out(wkb.size() / 2, '\0');
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = hex_value(wkb[2 * i]), lo = hex_value(wkb[2 * i + 1]);
        if (hi < 0 || lo < 0) throw Error(ErrorCode::bad_request, "grid " + grid + ": geometry is not WKB");
        out[i] = static_cast<char>(hi * 16 + lo);
    }
    return out;
}

SrsPtr storage_srs() {
    SrsPtr srs(OSRNewSpatialReference(nullptr));
    if (!srs || OSRImportFromEPSG(srs.get(), 4490) != OGRERR_NONE) fail_internal("EPSG:4490 unknown to PROJ");
    OSRSetAxisMappingStrategy(srs.get(), OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

const char* driver_name(GridFormat format) {
    switch (format) {
        case GridFormat::geojson: return "GeoJSON";
        case GridFormat::gpkg: return "GPKG";
        case GridFormat::shp: return "ESRI Shapefile";
        case GridFormat::kml: return "LIBKML";
        case GridFormat::csv: return "CSV";
    }
    return "GeoJSON";
}

// Layer creation options per format; each chosen for a lossless, portable file.
StringList layer_options(GridFormat format) {
    char** list = nullptr;
    switch (format) {
        case GridFormat::geojson:
            // The grid id becomes the Feature's "id" (RFC 7946 §3.2); 17 significant
            // digits keep every double exact.
            list = CSLSetNameValue(list, "ID_FIELD", "id");
            list = CSLSetNameValue(list, "WRITE_NAME", "NO");
            break;
        case GridFormat::shp: list = CSLSetNameValue(list, "ENCODING", "UTF-8"); break;  // writes the .cpg
        case GridFormat::csv:
            list = CSLSetNameValue(list, "GEOMETRY", "AS_WKT");
            list = CSLSetNameValue(list, "LINEFORMAT", "LF");
            break;
        case GridFormat::gpkg:
        case GridFormat::kml: break;
    }
    return StringList(list);
}

void add_field(void* layer, GridFormat format, const char* name, OGRFieldType type) {
    FieldDefnPtr field(OGR_Fld_Create(name, type));
    // A DBF string defaults to 80 bytes: 26 Chinese characters. Take the maximum.
    if (format == GridFormat::shp && type == OFTString) OGR_Fld_SetWidth(field.get(), 254);
    if (OGR_L_CreateField(layer, field.get(), TRUE) != OGRERR_NONE) fail_internal(std::string("field ") + name);
}

void set_text(void* feature, const char* field, const std::optional<std::string>& value) {
    const int index = OGR_F_GetFieldIndex(feature, field);
    if (value) {
        OGR_F_SetFieldString(feature, index, value->c_str());
    } else {
        OGR_F_SetFieldNull(feature, index);
    }
}

// The newest valid_from in GeoPackage's timestamp form: gpkg_contents.last_change
// otherwise records the moment of writing and the same grids would give other bytes.
std::string gpkg_date(const std::vector<GridFeature>& grids) {
    std::optional<Timestamp> newest;
    for (const auto& g : grids)
        if (auto t = parse_rfc3339(g.valid_from); t && (!newest || *t > *newest)) newest = t;
    std::string text = format_rfc3339_utc(newest.value_or(Timestamp{}));  // …T00:00:00Z
    return text.substr(0, text.size() - 1) + ".000Z";
}

void zip_shapefile(const std::string& dir, const std::string& zip_path) {
    void* zip = CPLCreateZip(zip_path.c_str(), nullptr);
    if (zip == nullptr) fail_internal("cannot create the zip");
    bool ok = true;
    for (const char* ext : {"shp", "shx", "dbf", "prj", "cpg"}) {
        const std::string name = std::string(k_layer) + "." + ext;
        const std::string bytes = file_bytes(dir + "/" + name);
        ok = ok && CPLCreateFileInZip(zip, name.c_str(), nullptr) == CE_None &&
             CPLWriteFileInZip(zip, bytes.data(), static_cast<int>(bytes.size())) == CE_None &&
             CPLCloseFileInZip(zip) == CE_None;
    }
    if (CPLCloseZip(zip) != CE_None || !ok) fail_internal("cannot write the zip");
}

}  // namespace

std::optional<GridFormat> parse_grid_format(std::string_view name) {
    for (auto f : {GridFormat::geojson, GridFormat::gpkg, GridFormat::shp, GridFormat::kml, GridFormat::csv})
        if (format_name(f) == name) return f;
    return std::nullopt;
}

std::string_view format_name(GridFormat format) noexcept {
    switch (format) {
        case GridFormat::geojson: return "geojson";
        case GridFormat::gpkg: return "gpkg";
        case GridFormat::shp: return "shp";
        case GridFormat::kml: return "kml";
        case GridFormat::csv: return "csv";
    }
    return "geojson";
}

std::string_view file_extension(GridFormat format) noexcept {
    return format == GridFormat::shp ? "zip" : format_name(format);
}

std::string_view media_type(GridFormat format) noexcept {
    switch (format) {
        case GridFormat::geojson: return "application/geo+json";
        case GridFormat::gpkg: return "application/geopackage+sqlite3";
        case GridFormat::shp: return "application/zip";
        case GridFormat::kml: return "application/vnd.google-earth.kml+xml";
        case GridFormat::csv: return "text/csv; charset=utf-8";
    }
    return "application/octet-stream";
}

std::string write_grids(const std::vector<GridFeature>& grids, GridFormat format) {
    register_drivers();
    QuietErrors quiet;
    MemDir dir;
    const std::string path = dir.path() + "/" + k_layer + "." + std::string(format_name(format));
    std::optional<ScopedConfig> date;
    if (format == GridFormat::gpkg) date.emplace("OGR_CURRENT_DATE", gpkg_date(grids));

    GDALDriverH driver = GDALGetDriverByName(driver_name(format));
    if (driver == nullptr) fail_internal(std::string("GDAL has no driver ") + driver_name(format));
    {
        DatasetPtr ds(GDALCreate(driver, path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
        if (!ds) fail_internal("cannot create " + path);
        auto srs = storage_srs();
        auto options = layer_options(format);
        OGRLayerH layer = GDALDatasetCreateLayer(ds.get(), k_layer, srs.get(), wkbPolygon, options.get());
        if (layer == nullptr) fail_internal("cannot create the layer");
        add_field(layer, format, "id", OFTString);
        add_field(layer, format, "code", OFTString);
        add_field(layer, format, "name", OFTString);
        add_field(layer, format, "town", OFTString);
        add_field(layer, format, "version", OFTInteger);
        add_field(layer, format, "leader_id", OFTString);
        add_field(layer, format, "worker_id", OFTString);
        add_field(layer, format, "valid_from", OFTString);

        for (const auto& g : grids) {
            FeaturePtr feature(OGR_F_Create(OGR_L_GetLayerDefn(layer)));
            set_text(feature.get(), "id", g.id);
            set_text(feature.get(), "code", g.code);
            set_text(feature.get(), "name", g.name);
            set_text(feature.get(), "town", g.town);
            OGR_F_SetFieldInteger(feature.get(), OGR_F_GetFieldIndex(feature.get(), "version"), g.version);
            set_text(feature.get(), "leader_id", g.leader_id);
            set_text(feature.get(), "worker_id", g.worker_id);
            set_text(feature.get(), "valid_from", g.valid_from);
            const auto wkb = wkb_bytes(g.geometry_wkb, g.id);
            OGRGeometryH geometry = nullptr;
            if (OGR_G_CreateFromWkb(wkb.data(), nullptr, &geometry, static_cast<int>(wkb.size())) != OGRERR_NONE)
                throw Error(ErrorCode::bad_request, "grid " + g.id + ": geometry is not WKB");
            GeometryPtr owned(geometry);
            if (OGR_F_SetGeometryDirectly(feature.get(), owned.release()) != OGRERR_NONE) fail_internal("geometry");
            if (OGR_L_CreateFeature(layer, feature.get()) != OGRERR_NONE) fail_internal("feature " + g.id);
        }
        // Closing flushes; a failure shows as a CPLError of type failure.
        CPLErrorReset();
        ds.reset();
        if (CPLGetLastErrorType() >= CE_Failure) fail_internal("cannot close " + path);
    }
    if (format != GridFormat::shp) return file_bytes(path);
    const std::string zip_path = dir.path() + "/grids.zip";
    zip_shapefile(dir.path(), zip_path);
    return file_bytes(zip_path);
}

namespace {

// Field positions by lower-case name, so "Name" (LIBKML), "NAME" and "name" all match.
class FieldMap {
public:
    explicit FieldMap(OGRFeatureDefnH defn) {
        for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i) {
            std::string name = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            m_index.emplace(std::move(name), i);
        }
    }
    /// The positions of those of the names the layer has, in the order given.
    std::vector<int> find(std::initializer_list<const char*> names) const {
        std::vector<int> out;
        for (const char* n : names)
            if (auto it = m_index.find(n); it != m_index.end()) out.push_back(it->second);
        return out;
    }

private:
    std::map<std::string, int> m_index;
};

std::string trimmed(std::string s) {
    const auto not_space = [](unsigned char c) { return !std::isspace(c); };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
}

[[noreturn]] void bad_feature(std::size_t index, const std::string& why) {
    throw Error(ErrorCode::unprocessable, "feature " + std::to_string(index) + ": " + why,
                nlohmann::json{{"feature", index}});
}

// The first of the candidate fields with a value in this feature.
std::optional<std::string> text_field(OGRFeatureH f, const std::vector<int>& fields) {
    for (int field : fields) {
        if (!OGR_F_IsFieldSetAndNotNull(f, field)) continue;
        auto value = trimmed(OGR_F_GetFieldAsString(f, field));
        if (!value.empty()) return value;  // a DBF cannot tell empty from null
    }
    return std::nullopt;
}

std::optional<int> integer_field(OGRFeatureH f, const std::vector<int>& field, std::size_t index, const char* name) {
    auto text = text_field(f, field);
    if (!text) return std::nullopt;
    double v = 0;
    // A real column (CSV without .csvt, some KML) holds 3 as "3.0": accept whole numbers.
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size() || v != std::floor(v) || v < 1 || v > 1e9)
        bad_feature(index, std::string(name) + " must be a positive integer, not '" + *text + "'");
    return static_cast<int>(v);
}

std::optional<bool> boolean_field(OGRFeatureH f, const std::vector<int>& field, std::size_t index, const char* name) {
    auto text = text_field(f, field);
    if (!text) return std::nullopt;
    std::string v = *text;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    if (v == "true" || v == "1" || v == "yes" || v == "t" || v == "y") return true;
    if (v == "false" || v == "0" || v == "no" || v == "f" || v == "n") return false;
    bad_feature(index, std::string(name) + " must be true or false, not '" + *text + "'");
}

bool is_polygonal(OGRwkbGeometryType flat) {
    return flat == wkbPolygon || flat == wkbMultiPolygon || flat == wkbCurvePolygon || flat == wkbMultiSurface ||
           flat == wkbPolyhedralSurface || flat == wkbTIN;
}

// A polygonal geometry as Polygon or MultiPolygon (curves linearised, a collection of
// polygons merged, a one-part MultiPolygon unwrapped), or null when it is not polygonal.
GeometryPtr polygonal(OGRGeometryH g) {
    const auto flat = wkbFlatten(OGR_G_GetGeometryType(g));
    GeometryPtr copy(OGR_G_Clone(g));
    if (flat == wkbGeometryCollection || flat == wkbMultiSurface || flat == wkbPolyhedralSurface || flat == wkbTIN) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i)
            if (!is_polygonal(wkbFlatten(OGR_G_GetGeometryType(OGR_G_GetGeometryRef(g, i))))) return nullptr;
        copy.reset(OGR_G_ForceToMultiPolygon(copy.release()));
    } else if (flat == wkbCurvePolygon) {
        copy.reset(OGR_G_ForceToPolygon(copy.release()));
    } else if (flat != wkbPolygon && flat != wkbMultiPolygon) {
        return nullptr;
    }
    if (wkbFlatten(OGR_G_GetGeometryType(copy.get())) == wkbMultiPolygon && OGR_G_GetGeometryCount(copy.get()) == 1)
        copy.reset(OGR_G_ForceToPolygon(copy.release()));
    OGR_G_FlattenTo2D(copy.get());
    return copy;
}

std::string crs_label(OGRSpatialReferenceH srs) {
    const char* authority = OSRGetAuthorityName(srs, nullptr);
    const char* code = OSRGetAuthorityCode(srs, nullptr);
    if (authority != nullptr && code != nullptr) return std::string(authority) + ":" + code;
    // A .prj in ESRI WKT names no authority: ask PROJ which EPSG CRS it is.
    int count = 0;
    int* confidence = nullptr;
    OGRSpatialReferenceH* matches = OSRFindMatches(srs, nullptr, &count, &confidence);
    std::string label;
    if (matches != nullptr && count > 0 && confidence[0] >= 90) {
        const char* a = OSRGetAuthorityName(matches[0], nullptr);
        const char* c = OSRGetAuthorityCode(matches[0], nullptr);
        if (a != nullptr && c != nullptr) label = std::string(a) + ":" + c;
    }
    OSRFreeSRSArray(matches);
    CPLFree(confidence);
    if (!label.empty()) return label;
    const char* name = OSRGetName(srs);
    return name != nullptr ? name : "unnamed CRS";
}

// The upload's name inside /vsimem/: only its extension matters to GDAL, and only an
// extension of a format we read is kept (no path from the client reaches GDAL).
std::string upload_name(const std::string& hint, const std::string& bytes) {
    std::string ext;
    if (auto dot = hint.rfind('.'); dot != std::string::npos) ext = hint.substr(dot + 1);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const char* known : {"geojson", "json", "gpkg", "zip", "kml", "csv"})
        if (ext == known) return "upload." + ext;
    if (bytes.compare(0, 4, "PK\x03\x04") == 0) return "upload.zip";
    return "upload";
}

}  // namespace

std::vector<ImportedGrid> read_grids(const std::string& bytes, const std::string& filename_hint) {
    register_drivers();
    QuietErrors quiet;
    MemDir dir;
    const std::string name = upload_name(filename_hint, bytes);
    const std::string path = dir.path() + "/" + name;
    put_file(path, bytes);
    const bool zipped = name.size() > 4 && name.compare(name.size() - 4, 4, ".zip") == 0;
    const std::string open_path = zipped ? "/vsizip/" + path : path;

    // Only the formats of the contract: no other driver (and none that goes to the network).
    const char* const drivers[] = {"GeoJSON", "GPKG", "ESRI Shapefile", "LIBKML", "KML", "CSV", nullptr};
    const char* const csv_options[] = {"GEOM_POSSIBLE_NAMES=WKT,wkt,geometry,geom,the_geom", "KEEP_GEOM_COLUMNS=NO",
                                       nullptr};
    const bool csv = name.size() > 4 && name.compare(name.size() - 4, 4, ".csv") == 0;
    DatasetPtr ds(GDALOpenEx(open_path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers,
                             csv ? csv_options : nullptr, nullptr));
    if (!ds)
        throw Error(ErrorCode::bad_request,
                    "the file cannot be read as GeoJSON, GeoPackage, zipped Shapefile, KML or CSV (WKT column)");
    if (GDALDatasetGetLayerCount(ds.get()) < 1) throw Error(ErrorCode::bad_request, "the file holds no layer");
    OGRLayerH layer = GDALDatasetGetLayerByName(ds.get(), k_layer);
    if (layer == nullptr) layer = GDALDatasetGetLayer(ds.get(), 0);

    auto target = storage_srs();
    SrsPtr assumed;
    OGRSpatialReferenceH source = OGR_L_GetSpatialRef(layer);
    const bool crs_assumed = source == nullptr;
    if (crs_assumed) {
        assumed.reset(OSRNewSpatialReference(nullptr));
        OSRImportFromEPSG(assumed.get(), 4326);
        OSRSetAxisMappingStrategy(assumed.get(), OAMS_TRADITIONAL_GIS_ORDER);
        source = assumed.get();
    }
    const std::string source_label = crs_assumed ? "EPSG:4326" : crs_label(source);
    TransformPtr transform;
    if (!OSRIsSame(source, target.get())) {
        transform.reset(OCTNewCoordinateTransformation(source, target.get()));
        if (!transform)
            throw Error(ErrorCode::bad_request, "the file's CRS " + source_label + " cannot be transformed to EPSG:4490");
    }

    const FieldMap fields(OGR_L_GetLayerDefn(layer));
    const auto f_id = fields.find({"id", "grid_id"});
    const auto f_name = fields.find({"name", "grid_name"});
    const auto f_code = fields.find({"code", "grid_code"});
    const auto f_leader = fields.find({"leader", "leader_id"});
    const auto f_worker = fields.find({"worker", "worker_id"});
    const auto f_version = fields.find({"version"});
    const auto f_retired = fields.find({"retired"});

    std::vector<ImportedGrid> out;
    const Geos geos;
    OGR_L_ResetReading(layer);
    for (std::size_t index = 0;; ++index) {
        CPLErrorReset();
        FeaturePtr feature(OGR_L_GetNextFeature(layer));
        if (!feature) {
            if (CPLGetLastErrorType() >= CE_Failure) bad_feature(index, "cannot be read (" + last_gdal_error() + ")");
            break;
        }
        OGRFeatureH f = feature.get();
        ImportedGrid g;
        g.index = index;
        g.id = text_field(f, f_id);
        g.name = text_field(f, f_name);
        g.code = text_field(f, f_code);
        g.leader = text_field(f, f_leader);
        g.worker = text_field(f, f_worker);
        g.version = integer_field(f, f_version, index, "version");
        g.retired = boolean_field(f, f_retired, index, "retired");
        g.source_crs = source_label;
        g.crs_assumed = crs_assumed;

        OGRGeometryH geometry = OGR_F_GetGeometryRef(f);
        if (geometry == nullptr || OGR_G_IsEmpty(geometry)) {
            if (g.retired.value_or(false)) {
                out.push_back(std::move(g));
                continue;
            }
            bad_feature(index, "has no geometry");
        }
        g.geometry_type = OGRGeometryTypeToName(OGR_G_GetGeometryType(geometry));
        auto shape = polygonal(geometry);
        if (!shape) bad_feature(index, "the geometry is a " + g.geometry_type + ", not a Polygon or MultiPolygon");
        if (transform && OGR_G_Transform(shape.get(), transform.get()) != OGRERR_NONE)
            bad_feature(index, "the geometry cannot be transformed from " + source_label + " to EPSG:4490");
        std::string wkb(static_cast<std::size_t>(OGR_G_WkbSize(shape.get())), '\0');
        if (OGR_G_ExportToWkb(shape.get(), wkbNDR, reinterpret_cast<unsigned char*>(wkb.data())) != OGRERR_NONE)
            bad_feature(index, "the geometry cannot be encoded");
        g.geometry_wkb_hex = hex_encode(reinterpret_cast<const unsigned char*>(wkb.data()), wkb.size(), true);
        // OGR keeps rings GEOS cannot build (unclosed, fewer than four points): refused here,
        // or the import fails later as a 500. Found by fuzz_gdal_import.
        try {
            (void)geos.from_wkb_hex(g.geometry_wkb_hex);
        } catch (const Error&) {
            bad_feature(index, "a ring of the geometry is not closed or has fewer than four points");
        }
        out.push_back(std::move(g));
    }
    return out;
}

}  // namespace wangge::geo
