#pragma once
// The tiles module's facade (docs/tiles.md): XYZ tiles and static maps from typed
// parameters, with ETags from the data versions, an in-memory LRU cache and a pool of
// Mapnik render threads. Usable without HTTP; api/routes_tiles.cpp only translates.

#include "tiles/params.hpp"

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wangge::data {
class Database;
}

namespace wangge::tiles {

struct TileServiceOptions {
    std::size_t cache_bytes = 256u << 20;   // tile cache budget
    std::size_t render_threads = 0;         // 0: one per core
};

/// An answer: 200 with bytes, or 304 (If-None-Match matched) with none.
struct TileAnswer {
    int status = 200;
    TileImage image;
};

namespace detail {
struct TileServiceState;
}

class TileService {
public:
    explicit TileService(data::Database& db, TileServiceOptions options = {});
    ~TileService();
    TileService(const TileService&) = delete;
    TileService& operator=(const TileService&) = delete;

    /// One tile. `if_none_match` is the raw header (a list of ETags or "*").
    /// @throws Error(database_unavailable), Error(internal)
    TileAnswer tile(const TileParams& params, const std::optional<std::string>& if_none_match);

    /// One image of a town or bbox; PNG, PDF or SVG.
    /// @throws Error(bad_request) when the area is empty; as tile()
    TileAnswer static_map(const StaticMapParams& params, const std::optional<std::string>& if_none_match);

    /// The lon/lat extent of the filter's towns' grids (west, south, east, north).
    std::optional<std::array<double, 4>> bounds(const ReportFilter& filter);

    /// Category codes of the catalogue (cached; reloaded when asked about an unknown one).
    bool is_category(const std::string& code);
    /// Drops the cached catalogue (the change feed heard it change): a removed category
    /// is unknown from the next request on.
    void forget_categories();
    /// Data may have changed (a write on this node, or the change feed's 'tiles' topic).
    void data_changed() noexcept;
    /// See SnapshotStore::follow: with a listening feed, unchanged data costs no query.
    void follow(std::function<bool()> listening);
    /// Loads the snapshot of the reports and grids now (the first tile would otherwise).
    void warm_up();

    struct Stats {
        unsigned long long rendered = 0;
        unsigned long long cache_hits = 0;
        unsigned long long not_modified = 0;
        unsigned long long adopted = 0;  // a stale cached tile whose picture had not changed (tiles/tile_cache.hpp)
        unsigned long long joined = 0;   // waited for the same tile another request was drawing
        std::size_t cache_entries = 0;
        std::size_t cache_bytes = 0;
        std::size_t cache_budget = 0;
    };
    Stats stats() const;

private:
    std::unique_ptr<detail::TileServiceState> m_state;
};

/// True when an If-None-Match header value lists this ETag (or is "*"); weak
/// comparison as RFC 9110 asks for GET.
bool etag_matches(const std::string& if_none_match, const std::string& etag);

}  // namespace wangge::tiles
