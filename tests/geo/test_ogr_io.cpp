// Grid files through GDAL: every format written and read back gives the same grids, a
// Shapefile in Gauss-Kruger (EPSG:4549) comes back in EPSG:4490, bad files are refused
// with the feature's index.

#include "core/error.hpp"
#include "geo/ogr_io.hpp"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <geos_c.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

using namespace wangge;
using geo::GridFormat;

namespace {

std::string wkb_hex_of(const char* wkt) {
    OGRGeometryH g = nullptr;
    char* text = const_cast<char*>(wkt);
    EXPECT_EQ(OGR_G_CreateFromWkt(&text, nullptr, &g), OGRERR_NONE) << wkt;
    std::string wkb(static_cast<std::size_t>(OGR_G_WkbSize(g)), '\0');
    OGR_G_ExportToWkb(g, wkbNDR, reinterpret_cast<unsigned char*>(wkb.data()));
    OGR_G_DestroyGeometry(g);
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string hex;
    for (unsigned char c : wkb) {
        hex += digits[c >> 4];
        hex += digits[c & 15];
    }
    return hex;
}

// Three grids of a town: two sharing an edge, one with a courtyard (a hole), coordinates
// to 1e-9° as PostGIS stores them.
//   +-----+-----+
//   | 001 | 002 |   003 to the south-east, with a hole
//   +-----+-----+
std::vector<geo::GridFeature> fixture() {
    GDALAllRegister();
    return {
        {"bailongqiao-001", "BLQ001", "白龙桥村第一网格", "bailongqiao", 1, "blq-w-001", "blq-w-002",
         "2026-01-01T00:00:00+08:00",
         wkb_hex_of("POLYGON((119.500000001 29.100000007,119.510000003 29.100000007,119.510000003 29.110000009,"
                    "119.500000001 29.110000009,119.500000001 29.100000007))")},
        {"bailongqiao-002", "BLQ002", "新昌社区“幸福”网格", "bailongqiao", 3, "blq-w-003", std::nullopt,
         "2026-03-15T09:30:00+08:00",
         wkb_hex_of("POLYGON((119.510000003 29.100000007,119.523456789 29.100000007,119.523456789 29.110000009,"
                    "119.510000003 29.110000009,119.510000003 29.100000007))")},
        {"bailongqiao-003", "BLQ003", "古方网格", "bailongqiao", 2, std::nullopt, std::nullopt,
         "2026-02-01T00:00:00+08:00",
         wkb_hex_of("POLYGON((119.52 29.08,119.54 29.08,119.54 29.095,119.52 29.095,119.52 29.08),"
                    "(119.525 29.085,119.525 29.09,119.53 29.09,119.53 29.085,119.525 29.085))")},
    };
}

// Hausdorff distance in degrees between two WKB hex geometries (GEOS): 0 for the same
// shape whatever the ring orientation or start vertex.
double distance_deg(const std::string& a_hex, const std::string& b_hex) {
    GEOSContextHandle_t ctx = GEOS_init_r();
    auto read = [&](const std::string& hex) {
        GEOSWKBReader* r = GEOSWKBReader_create_r(ctx);
        GEOSGeometry* g =
            GEOSWKBReader_readHEX_r(ctx, r, reinterpret_cast<const unsigned char*>(hex.data()), hex.size());
        GEOSWKBReader_destroy_r(ctx, r);
        return g;
    };
    GEOSGeometry* a = read(a_hex);
    GEOSGeometry* b = read(b_hex);
    double d = 1e9;
    if (a != nullptr && b != nullptr) GEOSHausdorffDistance_r(ctx, a, b, &d);
    if (a != nullptr) GEOSGeom_destroy_r(ctx, a);
    if (b != nullptr) GEOSGeom_destroy_r(ctx, b);
    GEOS_finish_r(ctx);
    return d;
}

std::string file_name(GridFormat f) { return "bailongqiao-grids." + std::string(geo::file_extension(f)); }

constexpr GridFormat k_formats[] = {GridFormat::geojson, GridFormat::gpkg, GridFormat::shp, GridFormat::kml,
                                    GridFormat::csv};

}  // namespace

TEST(OgrIo, FormatNamesExtensionsAndMediaTypes) {
    EXPECT_EQ(geo::parse_grid_format("shp"), GridFormat::shp);
    EXPECT_EQ(geo::parse_grid_format("GeoJSON"), std::nullopt) << "the f= values are lower case";
    EXPECT_EQ(geo::parse_grid_format("xlsx"), std::nullopt);
    EXPECT_EQ(geo::file_extension(GridFormat::shp), "zip");
    EXPECT_EQ(geo::media_type(GridFormat::geojson), "application/geo+json");
    EXPECT_EQ(geo::media_type(GridFormat::gpkg), "application/geopackage+sqlite3");
}

TEST(OgrIo, EveryFormatRoundTripsIdsNamesStaffAndGeometries) {
    const auto grids = fixture();
    for (auto format : k_formats) {
        SCOPED_TRACE(std::string(geo::format_name(format)));
        const auto bytes = geo::write_grids(grids, format);
        ASSERT_FALSE(bytes.empty());
        const auto back = geo::read_grids(bytes, file_name(format));
        ASSERT_EQ(back.size(), grids.size());
        for (std::size_t i = 0; i < grids.size(); ++i) {
            const auto& in = grids[i];
            const auto& out = back[i];
            EXPECT_EQ(out.index, i);
            EXPECT_EQ(out.id, in.id);
            EXPECT_EQ(out.name, in.name) << "Chinese names survive";
            EXPECT_EQ(out.code, in.code);
            EXPECT_EQ(out.leader, in.leader_id);
            EXPECT_EQ(out.worker, in.worker_id);
            EXPECT_EQ(out.version, in.version);
            EXPECT_EQ(out.retired, std::nullopt);
            EXPECT_EQ(out.geometry_type, format == GridFormat::kml ? "3D Polygon" : "Polygon") << "as the file has it";
            EXPECT_LE(distance_deg(in.geometry_wkb, out.geometry_wkb_hex), 1e-9);
            if (format == GridFormat::geojson || format == GridFormat::gpkg) {
                EXPECT_EQ(out.geometry_wkb_hex, in.geometry_wkb) << "formats that keep doubles keep them exactly";
            }
            // CSV declares no CRS at all (KML is always WGS 84, which the reader reports).
            EXPECT_EQ(out.crs_assumed, format == GridFormat::csv);
            EXPECT_EQ(out.source_crs, format == GridFormat::csv || format == GridFormat::kml ? "EPSG:4326" : "EPSG:4490");
        }
    }
}

TEST(OgrIo, TheShapefileZipHoldsItsFiveFilesWithUtf8Declared) {
    const auto zip = geo::write_grids(fixture(), GridFormat::shp);
    ASSERT_EQ(zip.compare(0, 4, "PK\x03\x04"), 0);
    GDALAllRegister();
    const std::string path = "/vsimem/test_ogr_io_shp.zip";
    VSILFILE* f = VSIFileFromMemBuffer(path.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(zip.data())),
                                       zip.size(), FALSE);
    VSIFCloseL(f);
    char** files = VSIReadDir(("/vsizip/" + path).c_str());
    std::vector<std::string> names;
    for (int i = 0; files != nullptr && files[i] != nullptr; ++i) names.emplace_back(files[i]);
    CSLDestroy(files);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"grids.cpg", "grids.dbf", "grids.prj", "grids.shp", "grids.shx"}));
    VSILFILE* cpg = VSIFOpenL(("/vsizip/" + path + "/grids.cpg").c_str(), "rb");
    ASSERT_NE(cpg, nullptr);
    char buf[16] = {};
    VSIFReadL(buf, 1, sizeof buf - 1, cpg);
    VSIFCloseL(cpg);
    EXPECT_EQ(std::string(buf).substr(0, 5), "UTF-8");
    VSIUnlink(path.c_str());
}

TEST(OgrIo, SameGridsGiveTheSameBytesWhereTheFormatAllows) {
    const auto grids = fixture();
    std::map<GridFormat, std::string> first;
    for (auto format : {GridFormat::geojson, GridFormat::gpkg, GridFormat::kml, GridFormat::csv})
        first[format] = geo::write_grids(grids, format);
    // GeoPackage would otherwise stamp the second of writing into gpkg_contents.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    for (const auto& [format, bytes] : first)
        EXPECT_EQ(geo::write_grids(grids, format), bytes) << geo::format_name(format);
}

TEST(OgrIo, AShapefileInGaussKrugerImportsInCgcs2000) {
    GDALAllRegister();
    const auto grids = fixture();
    // Write the grids as a GIS office would: a Shapefile in EPSG:4549, metres, zipped.
    const std::string dir = "/vsimem/test_ogr_io_4549";
    OGRSpatialReferenceH gk = OSRNewSpatialReference(nullptr);
    OGRSpatialReferenceH cgcs = OSRNewSpatialReference(nullptr);
    ASSERT_EQ(OSRImportFromEPSG(gk, 4549), OGRERR_NONE);
    ASSERT_EQ(OSRImportFromEPSG(cgcs, 4490), OGRERR_NONE);
    OSRSetAxisMappingStrategy(gk, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(cgcs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH to_gk = OCTNewCoordinateTransformation(cgcs, gk);
    ASSERT_NE(to_gk, nullptr);
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("ESRI Shapefile"), (dir + "/wangge.shp").c_str(), 0, 0, 0,
                                 GDT_Unknown, nullptr);
    ASSERT_NE(ds, nullptr);
    char** options = CSLSetNameValue(nullptr, "ENCODING", "UTF-8");
    OGRLayerH layer = GDALDatasetCreateLayer(ds, "wangge", gk, wkbPolygon, options);
    CSLDestroy(options);
    for (const char* field : {"GRID_ID", "GRID_NAME", "LEADER"}) {
        OGRFieldDefnH defn = OGR_Fld_Create(field, OFTString);
        OGR_Fld_SetWidth(defn, 254);
        ASSERT_EQ(OGR_L_CreateField(layer, defn, TRUE), OGRERR_NONE);
        OGR_Fld_Destroy(defn);
    }
    for (const auto& g : grids) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
        OGR_F_SetFieldString(f, 0, g.id.c_str());
        OGR_F_SetFieldString(f, 1, g.name.c_str());
        if (g.leader_id) OGR_F_SetFieldString(f, 2, g.leader_id->c_str());
        std::string wkb;
        for (std::size_t i = 0; i < g.geometry_wkb.size(); i += 2)
            wkb += static_cast<char>(std::stoi(g.geometry_wkb.substr(i, 2), nullptr, 16));
        OGRGeometryH geom = nullptr;
        OGR_G_CreateFromWkb(wkb.data(), nullptr, &geom, static_cast<int>(wkb.size()));
        ASSERT_EQ(OGR_G_Transform(geom, to_gk), OGRERR_NONE);
        OGREnvelope env;
        OGR_G_GetEnvelope(geom, &env);
        EXPECT_GT(env.MinX, 400000) << "easting in metres, CM 120E";
        EXPECT_GT(env.MinY, 3200000) << "northing in metres";
        OGR_F_SetGeometryDirectly(f, geom);
        ASSERT_EQ(OGR_L_CreateFeature(layer, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    OCTDestroyCoordinateTransformation(to_gk);
    OSRRelease(gk);
    OSRRelease(cgcs);

    const std::string zip_path = dir + "/wangge.zip";
    void* zip = CPLCreateZip(zip_path.c_str(), nullptr);
    for (const char* ext : {"shp", "shx", "dbf", "prj", "cpg"}) {
        vsi_l_offset size = 0;
        GByte* data = VSIGetMemFileBuffer((dir + "/wangge." + ext).c_str(), &size, FALSE);
        ASSERT_NE(data, nullptr) << ext;
        CPLCreateFileInZip(zip, (std::string("wangge.") + ext).c_str(), nullptr);
        CPLWriteFileInZip(zip, data, static_cast<int>(size));
        CPLCloseFileInZip(zip);
    }
    CPLCloseZip(zip);
    vsi_l_offset size = 0;
    GByte* data = VSIGetMemFileBuffer(zip_path.c_str(), &size, FALSE);
    const std::string bytes(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
    VSIRmdirRecursive(dir.c_str());

    const auto back = geo::read_grids(bytes, "网格 2026.ZIP");
    ASSERT_EQ(back.size(), grids.size());
    for (std::size_t i = 0; i < grids.size(); ++i) {
        EXPECT_EQ(back[i].id, grids[i].id) << "GRID_ID maps to id";
        EXPECT_EQ(back[i].name, grids[i].name) << "GRID_NAME maps to name";
        EXPECT_EQ(back[i].leader, grids[i].leader_id) << "LEADER maps to leader";
        EXPECT_EQ(back[i].source_crs, "EPSG:4549");
        EXPECT_FALSE(back[i].crs_assumed);
        EXPECT_LE(distance_deg(grids[i].geometry_wkb, back[i].geometry_wkb_hex), 1e-8);
    }
}

TEST(OgrIo, AttributeVariantsAndAGeoJsonInRfc7946Wgs84) {
    const std::string file = R"({"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"grid_id":"tashi-001","grid_name":"塔石","version":"2","retired":"false",
         "worker":"ts-w-9"},
         "geometry":{"type":"MultiPolygon","coordinates":[[[[119.6,29.0],[119.61,29.0],[119.61,29.01],[119.6,29.0]]]]}},
        {"type":"Feature","properties":{"id":"tashi-002","retired":true},"geometry":null}]})";
    const auto back = geo::read_grids(file, "upload.geojson");
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0].id, "tashi-001");
    EXPECT_EQ(back[0].name, "塔石");
    EXPECT_EQ(back[0].version, 2);
    EXPECT_EQ(back[0].retired, false);
    EXPECT_EQ(back[0].worker, "ts-w-9");
    EXPECT_EQ(back[0].geometry_type, "Multi Polygon");
    EXPECT_EQ(back[0].geometry_wkb_hex.substr(0, 10), "0103000000") << "a one-part MultiPolygon comes as its Polygon";
    EXPECT_FALSE(back[0].crs_assumed) << "RFC 7946 GeoJSON is WGS 84 by definition";
    EXPECT_EQ(back[0].source_crs, "EPSG:4326");
    EXPECT_EQ(back[1].id, "tashi-002") << "id and grid_id are looked up feature by feature";
    EXPECT_EQ(back[1].retired, true);
    EXPECT_TRUE(back[1].geometry_wkb_hex.empty()) << "a retired grid needs no geometry";
}

namespace {

void expect_error(const std::string& bytes, const std::string& name, ErrorCode code, const std::string& needle) {
    try {
        geo::read_grids(bytes, name);
        ADD_FAILURE() << "no error for " << name;
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), code) << e.detail();
        EXPECT_NE(e.detail().find(needle), std::string::npos) << e.detail();
    }
}

std::string feature(const std::string& props, const std::string& geometry) {
    return R"({"type":"Feature","properties":)" + props + R"(,"geometry":)" + geometry + "}";
}

const std::string k_square = R"({"type":"Polygon","coordinates":[[[119.6,29.0],[119.61,29.0],[119.61,29.01],[119.6,29.0]]]})";

}  // namespace

TEST(OgrIo, ACsvWithoutCrsIsTakenAsWgs84AndSaysSo) {
    const auto back = geo::read_grids("grid_id,grid_name,WKT\nx-1,东,\"POLYGON ((119.6 29,119.7 29,119.7 29.1,119.6 29))\"\n",
                                      "grids.CSV");
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0].id, "x-1");
    EXPECT_EQ(back[0].name, "东");
    EXPECT_TRUE(back[0].crs_assumed);
    EXPECT_EQ(back[0].source_crs, "EPSG:4326");
    EXPECT_EQ(back[0].geometry_type, "Polygon");
}

TEST(OgrIo, BadFilesAreRefusedNamingTheFeature) {
    expect_error("this is not a map", "grids.geojson", ErrorCode::bad_request, "cannot be read");
    expect_error("", "grids.gpkg", ErrorCode::bad_request, "cannot be read");
    expect_error("PK\x03\x04garbage", "grids.zip", ErrorCode::bad_request, "cannot be read");
    expect_error("<kml>", "grids.xlsx", ErrorCode::bad_request, "cannot be read");
    const auto collection = [](const std::string& a, const std::string& b) {
        return R"({"type":"FeatureCollection","features":[)" + a + "," + b + "]}";
    };
    expect_error(collection(feature(R"({"id":"a"})", k_square),
                            feature(R"({"id":"b"})", R"({"type":"LineString","coordinates":[[119.6,29],[119.7,29.1]]})")),
                 "g.geojson", ErrorCode::unprocessable, "feature 1: the geometry is a Line String");
    expect_error(collection(feature(R"({"id":"a"})", k_square), feature(R"({"id":"b"})", "null")), "g.geojson",
                 ErrorCode::unprocessable, "feature 1: has no geometry");
    expect_error(collection(feature(R"({"id":"a","version":"two"})", k_square), feature(R"({"id":"b"})", k_square)),
                 "g.geojson", ErrorCode::unprocessable, "feature 0: version must be a positive integer");
    expect_error(collection(feature(R"({"id":"a","retired":"maybe"})", k_square), feature(R"({"id":"b"})", k_square)),
                 "g.geojson", ErrorCode::unprocessable, "feature 0: retired must be true or false");
    expect_error("id,WKT\na,\"POINT (119.6 29.0)\"\n", "g.csv", ErrorCode::unprocessable, "feature 0: the geometry is a Point");
    // fuzz_gdal_import: OGR reads rings GEOS cannot build; they were a 500 at import.
    expect_error(collection(feature(R"({"id":"a"})", k_square),
                            feature(R"({"id":"b"})", R"({"type":"Polygon","coordinates":[[[119.6,29],[119.7,29],[119.7,29.1],[119.6,29.1]]]})")),
                 "g.geojson", ErrorCode::unprocessable, "feature 1: a ring of the geometry is not closed");
    expect_error("id,WKT\na,\"POLYGON ((119.6 29,119.7 29,119.7 29.1,119.6 29.1))\"\n", "g.csv", ErrorCode::unprocessable,
                 "feature 0: a ring of the geometry is not closed");
}
