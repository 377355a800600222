#include "tiles/tile_service.hpp"

#include "analytics/getis_ord.hpp"
#include "core/error.hpp"
#include "data/tile_store.hpp"
#include "data/town_store.hpp"
#include "tiles/fingerprint.hpp"
#include "tiles/heatmap.hpp"
#include "tiles/markers.hpp"
#include "tiles/renderer.hpp"
#include "tiles/snapshot.hpp"
#include "tiles/tile_cache.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

namespace wangge::tiles {

namespace {

// Bumped when a style or the drawing changes, so clients drop what they hold.
constexpr std::string_view k_style_version = "wangge-tiles-1";

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string content_type(ImageFormat f) {
    switch (f) {
        case ImageFormat::pdf: return "application/pdf";
        case ImageFormat::svg: return "image/svg+xml";
        default: return "image/png";
    }
}

}  // namespace

namespace detail {

struct TileServiceState {
    data::Database& db;
    TileServiceOptions options;
    SnapshotStore snapshots;
    TileCache cache;
    std::once_flag pool_once;
    std::unique_ptr<RenderPool> pool;

    std::mutex memo_mutex;
    std::int64_t memo_version = -1;  // snapshot version the memos below belong to
    // filter+zoom → its derived scale top, followed across snapshots (not cleared by a new
    // version: following is the point). Bounded: each holds a count per cell and the
    // buckets it counted (at most DensityPeak::k_max_cells); the least recently used
    // goes first.
    static constexpr std::size_t k_max_peaks = 32;
    std::unordered_map<std::string, std::pair<std::shared_ptr<DensityPeak>, std::uint64_t>> peaks;
    std::uint64_t peak_uses = 0;
    std::unordered_map<std::string, std::shared_ptr<const std::map<BucketKey, int>>> bins;  // filter → Gi* bins
    // filter → its compiled form and the filtered reports per bucket with the bucket
    // version they were counted at: Gi* needs every grid's count after any write, and
    // counting only the buckets a write changed keeps that off the town's report total.
    struct GridCounts {
        CompiledFilter filter;
        std::map<BucketKey, std::pair<std::int64_t, int>> counts;
    };
    std::unordered_map<std::string, GridCounts> grid_counts;
    std::map<std::string, std::pair<std::string, data::GridNeighbours>> neighbours;  // town → (grid fingerprint, contiguity)

    std::mutex category_mutex;
    std::vector<std::string> categories;

    std::atomic<unsigned long long> rendered{0}, hits{0}, not_modified{0}, adopted{0}, joined{0};

    TileServiceState(data::Database& d, TileServiceOptions o)
        : db(d), options(o), snapshots(d), cache(o.cache_bytes) {}

    RenderPool& renderer() {
        std::call_once(pool_once, [&] {
            auto n = options.render_threads;
            if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
            pool = std::make_unique<RenderPool>(n);
        });
        return *pool;
    }

    // Single flight: requests for the same tile drawn from the same data share one
    // render (a new tile under a map that opens on it is asked for by every client at
    // once); the first one draws and stores it, the others wait for its bytes.
    std::mutex flight_mutex;
    std::unordered_map<std::string, std::shared_future<std::string>> flights;

    std::string render_once(const std::string& cache_key, const std::string& source, const std::string& etag,
                            const RenderJob& job) {
        const std::string flight = cache_key + '|' + source;
        std::promise<std::string> promise;
        std::shared_future<std::string> result;
        bool owner = false;
        {
            std::lock_guard lock(flight_mutex);
            auto [it, inserted] = flights.try_emplace(flight);
            if (inserted) it->second = promise.get_future().share();
            result = it->second;
            owner = inserted;
        }
        if (!owner) {
            ++joined;
            return result.get();  // rethrows the drawing's error
        }
        try {
            auto bytes = renderer().render(job);
            ++rendered;
            cache.put(cache_key, source, etag, bytes);
            promise.set_value(std::move(bytes));
        } catch (...) {
            promise.set_exception(std::current_exception());
        }
        {
            std::lock_guard lock(flight_mutex);
            flights.erase(flight);
        }
        return result.get();
    }

    void reset_memos_for(const Snapshot& s) {
        if (s.version <= memo_version) return;  // a request still on an older snapshot keeps the newer memos
        memo_version = s.version;
        bins.clear();
    }

    double scale_max(const Snapshot& s, const CompiledFilter& f, const std::string& filter_key, double metres_per_px,
                     double radius_px) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "|%.9g|%.9g", metres_per_px, radius_px);
        const std::string key = filter_key + buf;
        std::shared_ptr<DensityPeak> peak;
        {
            std::lock_guard lock(memo_mutex);
            auto it = peaks.find(key);
            // The same request filter compiles differently once a category it names
            // appears in the data: start again then.
            if (it != peaks.end() && !(it->second.first->filter() == f)) {
                peaks.erase(it);
                it = peaks.end();
            }
            if (it == peaks.end()) {
                if (peaks.size() >= k_max_peaks)
                    peaks.erase(std::min_element(peaks.begin(), peaks.end(), [](const auto& a, const auto& b) {
                        return a.second.second < b.second.second;
                    }));
                it = peaks.emplace(key, std::pair{std::make_shared<DensityPeak>(f, metres_per_px, radius_px), 0}).first;
            }
            it->second.second = ++peak_uses;
            peak = it->second.first;
        }
        return peak->at(s);
    }

    data::GridNeighbours town_neighbours(const Snapshot& s, const std::string& town) {
        // Contiguity changes only with the grids' shapes: fingerprint ids and outlines.
        Fingerprint fp;
        for (auto it = s.buckets.lower_bound({town, ""}); it != s.buckets.end() && it->first.first == town; ++it)
            if (it->second->grid) fp.add(it->second->grid->id).add(it->second->grid->wkb);
        const auto print = fp.etag();
        std::lock_guard lock(memo_mutex);
        auto& entry = neighbours[town];
        if (entry.first != print) entry = {print, data::grid_neighbours(db, town, data::Contiguity::queen)};
        return entry.second;
    }

    // STATS.md "Getis-Ord Gi*": one town is the study area; counts are the filtered
    // reports per current grid.
    std::shared_ptr<const std::map<BucketKey, int>> hotspot_bins(const Snapshot& s, const CompiledFilter& f,
                                                                 const std::string& filter_key) {
        {
            std::lock_guard lock(memo_mutex);
            reset_memos_for(s);
            if (auto it = bins.find(filter_key); it != bins.end()) return it->second;
        }
        auto out = std::make_shared<std::map<BucketKey, int>>();
        std::vector<std::string> towns;
        for (const auto& [key, bucket] : s.buckets)
            if (f.covers_town(key.first) && (towns.empty() || towns.back() != key.first)) towns.push_back(key.first);
        for (const auto& town : towns) {
            const auto nb = town_neighbours(s, town);
            std::vector<double> counts(nb.grids.size(), 0.0);
            {
                std::lock_guard lock(memo_mutex);
                auto memo = grid_counts.find(filter_key);
                if (memo != grid_counts.end() && !(memo->second.filter == f)) {
                    grid_counts.erase(memo);
                    memo = grid_counts.end();
                }
                if (memo == grid_counts.end()) {
                    if (grid_counts.size() >= 256) grid_counts.clear();
                    memo = grid_counts.emplace(filter_key, GridCounts{f, {}}).first;
                }
                for (std::size_t i = 0; i < nb.grids.size(); ++i) {
                    auto it = s.buckets.find({town, nb.grids[i]});
                    if (it == s.buckets.end()) continue;
                    auto& [version, n] = memo->second.counts
                                             .try_emplace(it->first, std::numeric_limits<std::int64_t>::min(), 0)
                                             .first->second;
                    if (version != it->second->version) {
                        n = 0;
                        for (const auto& p : it->second->points)
                            if (f.matches(p)) ++n;
                        version = it->second->version;
                    }
                    counts[i] = n;
                }
            }
            const auto gi = analytics::hotspots(counts, nb.neighbours);
            for (std::size_t i = 0; i < nb.grids.size(); ++i) (*out)[{town, nb.grids[i]}] = gi[i].bin;
        }
        std::lock_guard lock(memo_mutex);
        if (memo_version == s.version) {
            if (bins.size() > 1024) bins.clear();
            bins[filter_key] = out;
        }
        return out;
    }
};

}  // namespace detail

namespace {

// What a drawing of `box` depends on. Grids: the outlines it reaches (their content
// digests: a report write bumps its grid's bucket version but leaves the outline as it
// was). Hotspots: the outlines and Gi* bins of every grid of the towns shown (a write
// changes counts; a tile changes only when a bin does). Heatmap and reports: the bucket
// versions, and for reports each bucket's overdue count (it changes with the clock).
void add_data_versions(Fingerprint& fp, const Snapshot& s, const CompiledFilter& f, Layer layer, const Box& reach,
                       std::int64_t now, const std::map<BucketKey, int>* bins) {
    if (layer == Layer::hotspots) {
        std::set<std::string> towns;
        s.for_each_bucket(f, reach, [&](const BucketKey& key, const Bucket& bucket) {
            if (bucket.grid) towns.insert(key.first);
        });
        for (const auto& town : towns)
            for (auto it = s.buckets.lower_bound({town, ""}); it != s.buckets.end() && it->first.first == town; ++it) {
                if (!it->second->grid) continue;
                int bin = 0;
                if (bins)
                    if (auto b = bins->find(it->first); b != bins->end()) bin = b->second;
                fp.add(town).add(it->first.second).add_u64(it->second->grid->digest);
                fp.add_u64(static_cast<std::uint64_t>(bin));
            }
        return;
    }
    s.for_each_bucket(f, reach, [&](const BucketKey& key, const Bucket& bucket) {
        if (layer == Layer::grids) {
            if (bucket.grid) fp.add(key.first).add(key.second).add_u64(bucket.grid->digest);
            return;
        }
        fp.add(key.first).add(key.second).add_u64(static_cast<std::uint64_t>(bucket.version));
        if (layer == Layer::reports) fp.add_u64(bucket.overdue_at(now));
    });
}

}  // namespace

TileService::TileService(data::Database& db, TileServiceOptions options)
    : m_state(std::make_unique<detail::TileServiceState>(db, options)) {}

TileService::~TileService() = default;

TileAnswer TileService::tile(const TileParams& params, const std::optional<std::string>& if_none_match) {
    auto& st = *m_state;
    const auto snapshot = st.snapshots.current();
    const auto filter = snapshot->compile(params.filter);
    const auto filter_key = params.filter.key();
    const Box box = tile_box(params.z, params.x, params.y);
    const double px = metres_per_pixel(params.z, params.scale);
    const double radius = params.radius_px.value_or(k_default_radius_px) * params.scale;
    const std::int64_t now = unix_now();

    Fingerprint fp;
    fp.add(k_style_version).add(layer_name(params.layer)).add_u64(static_cast<std::uint64_t>(params.z));
    fp.add_u64(params.x).add_u64(params.y).add_u64(static_cast<std::uint64_t>(params.scale)).add(filter_key);
    double heat_max = 1;
    Box reach = box;
    switch (params.layer) {
        case Layer::grids: reach = box.expanded(k_label_reach_px * params.scale * px); break;
        case Layer::reports: reach = box.expanded(k_marker_reach_px * params.scale * px); break;
        case Layer::hotspots: break;
        case Layer::heatmap:
            reach = box.expanded((radius + 1) * px);
            heat_max = params.heat_max ? *params.heat_max : st.scale_max(*snapshot, filter, filter_key, px, radius);
            fp.add_double(radius).add_double(heat_max);
            break;
    }
    std::shared_ptr<const std::map<BucketKey, int>> bins;
    if (params.layer == Layer::hotspots) bins = st.hotspot_bins(*snapshot, filter, filter_key);
    // The image's name (header comment of tiles/tile_cache.hpp): the source is what it
    // was drawn from; the ETag is what it shows. For reports the two differ: the ETag is
    // named by the occupied marker cells, computed only when the source moved on.
    add_data_versions(fp, *snapshot, filter, params.layer, reach, now, bins.get());
    const std::string source = fp.etag();
    TileAnswer answer;
    answer.image.content_type = "image/png";
    const bool named_by_cells = params.layer == Layer::reports;
    if (!named_by_cells) {
        answer.image.etag = source;
        if (if_none_match && etag_matches(*if_none_match, source)) {
            ++st.not_modified;
            answer.status = 304;
            return answer;
        }
    }
    char key[96];
    std::snprintf(key, sizeof key, "%s/%d/%u/%u@%d|", std::string(layer_name(params.layer)).c_str(), params.z, params.x,
                  params.y, params.scale);
    std::string cache_key = key + filter_key;
    if (params.layer == Layer::heatmap) {
        char heat[64];
        std::snprintf(heat, sizeof heat, "|%.17g|%.17g", params.heat_max.value_or(0.0), radius);
        cache_key += heat;
    }
    if (auto hit = st.cache.find(cache_key, source)) {
        answer.image.etag = std::move(hit->etag);
        if (if_none_match && etag_matches(*if_none_match, answer.image.etag)) {
            ++st.not_modified;
            answer.status = 304;
            return answer;
        }
        ++st.hits;
        answer.image.bytes = std::move(hit->bytes);
        answer.image.from_cache = true;
        return answer;
    }
    std::shared_ptr<const MarkerCells> cells;
    if (named_by_cells) {
        cells = std::make_shared<const MarkerCells>(
            marker_cells(*snapshot, filter, reach, 2 * params.scale * px, now));
        Fingerprint named;
        named.add(k_style_version).add(layer_name(params.layer)).add_u64(static_cast<std::uint64_t>(params.z));
        named.add_u64(params.x).add_u64(params.y).add_u64(static_cast<std::uint64_t>(params.scale));
        named.add_u64(cells->fingerprint());
        answer.image.etag = named.etag();
        auto adopted = st.cache.adopt(cache_key, answer.image.etag, source);
        if (if_none_match && etag_matches(*if_none_match, answer.image.etag)) {
            ++st.not_modified;
            answer.status = 304;
            return answer;
        }
        if (adopted) {
            ++st.adopted;
            answer.image.bytes = std::move(*adopted);
            answer.image.from_cache = true;
            return answer;
        }
    }
    RenderJob job;
    job.layers = {params.layer};
    job.box = box;
    job.width = job.height = params.size_px();
    job.scale_factor = params.scale;
    job.snapshot = snapshot;
    job.filter = filter;
    job.radius_px = radius;
    job.heat_max = heat_max;
    job.now = now;
    job.hotspot_bins = bins;
    job.markers = cells;
    answer.image.bytes = st.render_once(cache_key, source, answer.image.etag, job);
    return answer;
}

TileAnswer TileService::static_map(const StaticMapParams& params, const std::optional<std::string>& if_none_match) {
    auto& st = *m_state;
    const auto snapshot = st.snapshots.current();
    const auto filter = snapshot->compile(params.filter);
    const auto filter_key = params.filter.key();
    Box box = Box::empty();
    if (params.bbox) {
        const auto& b = *params.bbox;
        box = {lon_to_x(b[0]), lat_to_y(b[1]), lon_to_x(b[2]), lat_to_y(b[3])};
    } else {
        for (const auto& [key, bucket] : snapshot->buckets)
            if (bucket->grid && filter.covers_town(key.first)) box.extend(bucket->grid->bbox);
        if (box.is_empty()) throw Error(ErrorCode::not_found, "no grids to draw for this filter");
        box = box.expanded(0.03 * std::max(box.width(), box.height()));
    }
    if (box.is_empty() || box.width() <= 0 || box.height() <= 0)
        throw Error(ErrorCode::bad_request, "bbox: the area is empty", nlohmann::json{{"field", "bbox"}});
    // Square pixels: widen the short side to the image's aspect ratio.
    const double aspect = static_cast<double>(params.width) / params.height;
    if (box.width() / box.height() < aspect) {
        const double grow = (box.height() * aspect - box.width()) / 2;
        box.minx -= grow, box.maxx += grow;
    } else {
        const double grow = (box.width() / aspect - box.height()) / 2;
        box.miny -= grow, box.maxy += grow;
    }
    const double px = box.width() / params.width;
    const double radius = params.radius_px.value_or(k_default_radius_px);
    const std::int64_t now = unix_now();
    double heat_max = 1;
    bool heat = std::find(params.layers.begin(), params.layers.end(), Layer::heatmap) != params.layers.end();
    if (heat) heat_max = params.heat_max ? *params.heat_max : st.scale_max(*snapshot, filter, filter_key, px, radius);

    Fingerprint fp;
    fp.add(k_style_version).add("static").add(filter_key).add_u64(static_cast<std::uint64_t>(params.format));
    fp.add_double(box.minx).add_double(box.miny).add_double(box.maxx).add_double(box.maxy);
    fp.add_u64(static_cast<std::uint64_t>(params.width)).add_u64(static_cast<std::uint64_t>(params.height));
    fp.add_double(radius).add_double(heat_max);
    std::shared_ptr<const std::map<BucketKey, int>> bins;
    if (std::find(params.layers.begin(), params.layers.end(), Layer::hotspots) != params.layers.end())
        bins = st.hotspot_bins(*snapshot, filter, filter_key);
    for (auto layer : params.layers) {
        fp.add(layer_name(layer));
        add_data_versions(fp, *snapshot, filter, layer, box.expanded(k_label_reach_px * px), now, bins.get());
    }
    TileAnswer answer;
    answer.image.etag = fp.etag();
    answer.image.content_type = content_type(params.format);
    if (if_none_match && etag_matches(*if_none_match, answer.image.etag)) {
        ++st.not_modified;
        answer.status = 304;
        return answer;
    }
    RenderJob job;
    job.layers = params.layers;
    job.box = box;
    job.width = params.width;
    job.height = params.height;
    job.format = params.format;
    job.single_image = true;
    job.snapshot = snapshot;
    job.filter = filter;
    job.radius_px = radius;
    job.heat_max = heat_max;
    job.now = now;
    job.hotspot_bins = bins;
    answer.image.bytes = st.renderer().render(job);
    ++st.rendered;
    return answer;
}

std::optional<std::array<double, 4>> TileService::bounds(const ReportFilter& filter) {
    const auto snapshot = m_state->snapshots.current();
    const auto f = snapshot->compile(filter);
    Box box = Box::empty();
    for (const auto& [key, bucket] : snapshot->buckets)
        if (bucket->grid && f.covers_town(key.first)) box.extend(bucket->grid->bbox);
    if (box.is_empty()) return std::nullopt;
    return std::array<double, 4>{x_to_lon(box.minx), y_to_lat(box.miny), x_to_lon(box.maxx), y_to_lat(box.maxy)};
}

bool TileService::is_category(const std::string& code) {
    auto& st = *m_state;
    std::lock_guard lock(st.category_mutex);
    auto known = [&] { return std::find(st.categories.begin(), st.categories.end(), code) != st.categories.end(); };
    if (known()) return true;
    st.categories.clear();
    for (const auto& c : data::list_categories(st.db)) st.categories.push_back(c.code);
    return known();
}

void TileService::warm_up() { m_state->snapshots.current(); }

void TileService::data_changed() noexcept { m_state->snapshots.data_changed(); }

void TileService::follow(std::function<bool()> listening) { m_state->snapshots.follow(std::move(listening)); }

void TileService::forget_categories() {
    auto& st = *m_state;
    std::lock_guard lock(st.category_mutex);
    st.categories.clear();
}

TileService::Stats TileService::stats() const {
    const auto c = m_state->cache.stats();
    return {m_state->rendered.load(), m_state->hits.load(), m_state->not_modified.load(), m_state->adopted.load(),
            m_state->joined.load(), c.entries, c.bytes, c.budget};
}

bool etag_matches(const std::string& if_none_match, const std::string& etag) {
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    };
    std::string_view rest = if_none_match;
    while (true) {
        const auto comma = rest.find(',');
        auto item = trim(rest.substr(0, comma));
        if (item == "*") return true;
        if (item.substr(0, 2) == "W/") item.remove_prefix(2);
        if (item == etag) return true;
        if (comma == std::string_view::npos) return false;
        rest.remove_prefix(comma + 1);
    }
}

}  // namespace wangge::tiles
