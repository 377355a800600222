#include "tiles/renderer.hpp"

#include "core/domain.hpp"
#include "core/embedded.hpp"
#include "core/error.hpp"
#include "core/thread_priority.hpp"
#include "tiles/heatmap.hpp"
#include "tiles/markers.hpp"

#include <mapnik/agg_renderer.hpp>
#include <mapnik/cairo/cairo_context.hpp>
#include <mapnik/cairo/cairo_renderer.hpp>
#include <mapnik/datasource_cache.hpp>
#include <mapnik/feature.hpp>
#include <mapnik/feature_factory.hpp>
#include <mapnik/font_engine_freetype.hpp>
#include <mapnik/image.hpp>
#include <mapnik/image_compositing.hpp>
#include <mapnik/image_util.hpp>
#include <mapnik/layer.hpp>
#include <mapnik/load_map.hpp>
#include <mapnik/map.hpp>
#include <mapnik/memory_datasource.hpp>
#include <mapnik/raster.hpp>
#include <mapnik/unicode.hpp>
#include <mapnik/wkb.hpp>

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include <cmath>
#include <condition_variable>
#include <deque>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace wangge {
extern const std::vector<EmbeddedFile> k_tile_styles;
}

namespace wangge::tiles {

namespace {

// Draw order, bottom first: fills, density, outlines and labels, points on top.
constexpr std::array<std::string_view, 4> k_style_order{"hotspots.xml", "heatmap.xml", "grids.xml", "reports.xml"};


std::mutex& mapnik_setup_mutex() {
    static std::mutex m;
    return m;
}

// STACK.md: register plugins and fonts once; build Maps under a lock.
void register_mapnik_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        mapnik::datasource_cache::instance().register_datasources(WANGGE_MAPNIK_PLUGINS);
        mapnik::freetype_engine::register_fonts(WANGGE_FONT_DIR, true);
    });
}

mapnik::Map build_map() {
    std::lock_guard lock(mapnik_setup_mutex());
    register_mapnik_once();
    mapnik::Map map(256, 256, "epsg:3857");
    for (auto name : k_style_order) {
        auto it = std::find_if(k_tile_styles.begin(), k_tile_styles.end(),
                               [&](const EmbeddedFile& f) { return f.name == name; });
        if (it == k_tile_styles.end()) throw Error(ErrorCode::internal, "tile style missing: " + std::string(name));
        mapnik::load_map_string(map, std::string(it->content), true);
    }
    return map;
}

mapnik::box2d<double> to_mapnik(const Box& b) { return {b.minx, b.miny, b.maxx, b.maxy}; }

std::shared_ptr<mapnik::memory_datasource> new_datasource() {
    mapnik::parameters params;
    params["type"] = "memory";
    return std::make_shared<mapnik::memory_datasource>(params);
}

bool wants(const RenderJob& job, Layer layer) {
    return std::find(job.layers.begin(), job.layers.end(), layer) != job.layers.end();
}

class Drawer {
public:
    explicit Drawer(const RenderJob& job) : m_job(job), m_px(job.box.width() / job.width) {}

    std::shared_ptr<mapnik::memory_datasource> grids(bool labels, bool with_bins) {
        auto ds = new_datasource();
        auto ctx = std::make_shared<mapnik::context_type>();
        ctx->push("name");
        ctx->push("bin");
        const Box reach = m_job.box.expanded(k_label_reach_px * m_job.scale_factor * m_px);
        mapnik::value_integer id = 1;
        // A label lies in its grid, so its bucket's box meets `reach` too.
        m_job.snapshot->for_each_bucket(m_job.filter, reach, [&](const BucketKey& key, const Bucket& bucket) {
            const auto& g = bucket.grid;
            if (!g) return;
            if (labels) {
                if (!reach.contains(g->label_x, g->label_y)) return;
                auto f = mapnik::feature_factory::create(ctx, id++);
                f->put("name", m_transcoder.transcode(g->name.c_str()));
                f->set_geometry(mapnik::geometry::point<double>(g->label_x, g->label_y));
                ds->push(f);
                return;
            }
            if (!g->bbox.intersects(reach)) return;
            auto f = mapnik::feature_factory::create(ctx, id++);
            f->set_geometry(mapnik::geometry_utils::from_wkb(g->wkb.data(), g->wkb.size(), mapnik::wkbGeneric));
            if (with_bins) {
                int bin = 0;
                if (m_job.hotspot_bins)
                    if (auto it = m_job.hotspot_bins->find(key); it != m_job.hotspot_bins->end()) bin = it->second;
                f->put("bin", mapnik::value_integer(bin));
            }
            ds->push(f);
        });
        return ds;
    }

    // One marker per look (platform × state) at the centre of each cell of 2×2 pixels
    // that holds such a report (tiles/markers.hpp), and one multipoint feature per look:
    // a dense cluster at low zoom would otherwise be hundreds of thousands of identical
    // markers on top of each other, each a Mapnik feature. Drawing the markers was 92% of
    // a reports tile at 1M reports (perf: a z13 tile of bailongqiao 0.37 s with a marker
    // per pixel); the smallest marker (6 px across) still covers every report of its
    // cell, which lies within √2 px of the centre drawn. Drawn at the centre (not at the
    // first report found), the image depends on the occupied cells only, which is what
    // lets TileService name it by them. Features go in the order done, open, overdue, so
    // overdue markers are drawn last, on top.
    std::shared_ptr<mapnik::memory_datasource> reports() {
        auto ds = new_datasource();
        auto ctx = std::make_shared<mapnik::context_type>();
        ctx->push("platform");
        ctx->push("state");
        const MarkerCells& cells = this->cells();
        std::array<mapnik::geometry::multi_point<double>, k_marker_looks> looks;
        for (std::size_t row = 0; row < cells.rows; ++row)
            for (std::size_t col = 0; col < cells.cols; ++col) {
                const auto bits = cells.looks[row * cells.cols + col];
                if (!bits) continue;
                for (std::size_t look = 0; look < k_marker_looks; ++look)
                    if (bits & (1u << look)) looks[look].emplace_back(cells.centre_x(col), cells.centre_y(row));
            }
        static const std::array<const char*, 3> k_state{"done", "open", "overdue"};
        mapnik::value_integer id = 1;
        for (std::size_t look = 0; look < k_marker_looks; ++look) {
            if (looks[look].empty()) continue;
            auto f = mapnik::feature_factory::create(ctx, id++);
            f->put("platform", m_transcoder.transcode(std::string(k_platforms[look % 4]).c_str()));
            f->put("state", m_transcoder.transcode(k_state[look / 4]));
            f->set_geometry(std::move(looks[look]));
            ds->push(f);
        }
        return ds;
    }

    /// The reports layer's occupied cells: the job's, or found once here.
    const MarkerCells& cells() {
        if (m_job.markers) return *m_job.markers;
        if (!m_cells)
            m_cells = marker_cells(*m_job.snapshot, m_job.filter,
                                   m_job.box.expanded(k_marker_reach_px * m_job.scale_factor * m_px),
                                   2 * m_job.scale_factor * m_px, m_job.now);
        return *m_cells;
    }

    std::shared_ptr<mapnik::memory_datasource> heatmap() {
        const auto density =
            kernel_density(*m_job.snapshot, m_job.filter, m_job.box, m_job.width, m_job.height, m_job.radius_px);
        mapnik::image_gray32f image(m_job.width, m_job.height);
        const float scale = static_cast<float>(1.0 / m_job.heat_max);
        for (int y = 0; y < m_job.height; ++y)
            for (int x = 0; x < m_job.width; ++x)
                image(static_cast<std::size_t>(x), static_cast<std::size_t>(y)) =
                    density.values[static_cast<std::size_t>(y) * static_cast<std::size_t>(m_job.width) +
                                   static_cast<std::size_t>(x)] * scale;
        auto ds = new_datasource();
        auto ctx = std::make_shared<mapnik::context_type>();
        auto f = mapnik::feature_factory::create(ctx, 1);
        f->set_raster(std::make_shared<mapnik::raster>(to_mapnik(m_job.box), std::move(image), 1.0));
        ds->push(f);
        // STACK.md: without the envelope a raster layer renders empty, silently.
        ds->set_envelope(to_mapnik(m_job.box));
        return ds;
    }

private:
    const RenderJob& m_job;
    double m_px;
    std::optional<MarkerCells> m_cells;
    mapnik::transcoder m_transcoder{"utf-8"};
};

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

// Points every layer of `map` at the job's data (inactive where the job does not draw it).
void attach_layers(mapnik::Map& map, Drawer& drawer, const RenderJob& job, bool stamped) {
    map.resize(static_cast<unsigned>(job.width), static_cast<unsigned>(job.height));
    map.set_buffer_size(static_cast<int>(k_label_reach_px * job.scale_factor));
    for (auto& layer : map.layers()) {
        const auto& name = layer.name();
        std::shared_ptr<mapnik::memory_datasource> ds;
        if (name == "grids" && wants(job, Layer::grids)) ds = drawer.grids(false, false);
        else if (name == "grid-labels" && wants(job, Layer::grids) && job.labels && !job.single_image)
            ds = drawer.grids(true, false);
        else if (name == "grid-labels-single" && wants(job, Layer::grids) && job.labels && job.single_image)
            ds = drawer.grids(true, false);
        else if (name == "hotspots" && wants(job, Layer::hotspots)) ds = drawer.grids(false, true);
        else if (name == "reports" && wants(job, Layer::reports) && !stamped) ds = drawer.reports();
        else if (name == "heatmap" && wants(job, Layer::heatmap)) ds = drawer.heatmap();
        layer.set_active(ds != nullptr);
        layer.set_datasource(ds);
    }
    map.zoom_to_box(to_mapnik(job.box));
}

// Report markers as stamps: each look drawn once by Mapnik from reports.xml into a
// small image (its centre on a pixel corner, as every cell centre is), then composited
// with Mapnik's own src-over at each occupied cell. Mapnik stroked every marker's ring
// as a vector path again for each point: 93% of a reports tile at z12 (perf, 135 ms
// with ~16,000 cells); a stamp is a blit of its pixels. PDF and SVG keep vector markers.
constexpr int k_stamp_px = 32;  // drawn at scale 1: the largest marker (12 px, a 2.5 px ring) and its anti-aliasing
struct Stamp {
    mapnik::image_rgba8 image;  // cropped to the marker's pixels (compositing costs per pixel)
    int dx = 0, dy = 0;         // its top-left corner from the marker's centre
};
using Stamps = std::array<Stamp, k_marker_looks>;

Stamp crop(const mapnik::image_rgba8& image, int centre) {
    int minx = image.width(), miny = image.height(), maxx = -1, maxy = -1;
    for (int y = 0; y < static_cast<int>(image.height()); ++y)
        for (int x = 0; x < static_cast<int>(image.width()); ++x)
            if (image(x, y) >> 24) {
                minx = std::min(minx, x), maxx = std::max(maxx, x);
                miny = std::min(miny, y), maxy = std::max(maxy, y);
            }
    if (maxx < 0) return {mapnik::image_rgba8(1, 1), 0, 0};  // an invisible look: one transparent pixel
    Stamp out{mapnik::image_rgba8(maxx - minx + 1, maxy - miny + 1), minx - centre, miny - centre};
    for (int y = miny; y <= maxy; ++y)
        for (int x = minx; x <= maxx; ++x) out.image(x - minx, y - miny) = image(x, y);
    out.image.set_premultiplied(image.get_premultiplied());
    return out;
}

const Stamps& stamps_for(mapnik::Map& map, double scale, std::map<double, Stamps>& cache) {
    if (auto it = cache.find(scale); it != cache.end()) return it->second;
    Stamps out;
    const int size = static_cast<int>(std::lround(k_stamp_px * scale));
    for (std::size_t look = 0; look < k_marker_looks; ++look) {
        // One cell whose centre is the image's centre: cells of 2·scale units from
        // (-scale, size + scale), the ninth one across and down.
        auto cells = std::make_shared<MarkerCells>();
        cells->reach = {-scale, -scale, size + scale, size + scale};
        cells->cell = 2 * scale;
        cells->cols = cells->rows = static_cast<std::size_t>(size / (2 * scale)) + 1;
        cells->looks.assign(cells->cols * cells->rows, 0);
        const std::size_t mid = static_cast<std::size_t>(size / (4 * scale));
        cells->looks[mid * cells->cols + mid] = static_cast<std::uint16_t>(1u << look);
        RenderJob job;
        job.layers = {Layer::reports};
        job.box = {0, 0, static_cast<double>(size), static_cast<double>(size)};
        job.width = job.height = size;
        job.scale_factor = scale;
        job.markers = cells;
        Drawer drawer(job);
        attach_layers(map, drawer, job, false);
        mapnik::image_rgba8 image(size, size);
        mapnik::agg_renderer<mapnik::image_rgba8> renderer(map, image, scale);
        renderer.apply();
        mapnik::premultiply_alpha(image);
        out[look] = crop(image, size / 2);
    }
    return cache.emplace(scale, std::move(out)).first->second;
}

void stamp_markers(mapnik::image_rgba8& image, const RenderJob& job, const MarkerCells& cells, const Stamps& stamps) {
    const double px = job.box.width() / job.width;
    mapnik::premultiply_alpha(image);
    for (std::size_t look = 0; look < k_marker_looks; ++look)  // done, open, overdue: overdue on top
        for (std::size_t row = 0; row < cells.rows; ++row)
            for (std::size_t col = 0; col < cells.cols; ++col) {
                if (!(cells.looks[row * cells.cols + col] & (1u << look))) continue;
                const auto& stamp = stamps[look];
                const long x = std::lround((cells.centre_x(col) - job.box.minx) / px) + stamp.dx;
                const long y = std::lround((job.box.maxy - cells.centre_y(row)) / px) + stamp.dy;
                mapnik::composite(image, stamp.image, mapnik::src_over, 1.0f, static_cast<int>(x), static_cast<int>(y));
            }
    mapnik::demultiply_alpha(image);
}

std::string draw(mapnik::Map& map, const RenderJob& job, std::map<double, Stamps>& stamps) {
    const bool stamped = job.format == ImageFormat::png && wants(job, Layer::reports);
    const Stamps* marker_stamps = stamped ? &stamps_for(map, job.scale_factor, stamps) : nullptr;
    Drawer drawer(job);
    attach_layers(map, drawer, job, stamped);

    if (job.format == ImageFormat::png) {
        mapnik::image_rgba8 image(job.width, job.height);
        mapnik::agg_renderer<mapnik::image_rgba8> renderer(map, image, job.scale_factor);
        renderer.apply();
        if (stamped) stamp_markers(image, job, drawer.cells(), *marker_stamps);  // reports are the top layer
        return mapnik::save_to_string(image, "png32:z=1");
    }
    std::string out;
    const auto create = job.format == ImageFormat::pdf ? cairo_pdf_surface_create_for_stream : cairo_svg_surface_create_for_stream;
    mapnik::cairo_surface_ptr surface(create(append_to_string, &out, job.width, job.height), mapnik::cairo_surface_closer());
    if (cairo_surface_status(&*surface) != CAIRO_STATUS_SUCCESS) throw Error(ErrorCode::internal, "cairo: cannot create a surface");
    {
        auto context = mapnik::create_context(surface);
        mapnik::cairo_renderer<mapnik::cairo_ptr> renderer(map, context, job.scale_factor);
        renderer.apply();
    }
    cairo_surface_finish(&*surface);
    return out;
}

struct Task {
    const RenderJob* job;
    std::promise<std::string> result;
};

}  // namespace

namespace detail {
struct RenderPoolState {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Task*> queue;
    bool stopping = false;
    std::vector<std::thread> threads;
    std::string start_error;
    std::size_t started = 0;
    std::condition_variable started_cv;

    void run() {
        std::optional<mapnik::Map> map;
        try {
            map.emplace(build_map());
        } catch (const std::exception& e) {
            std::lock_guard lock(mutex);
            start_error = e.what();
        }
        {
            std::lock_guard lock(mutex);
            ++started;
        }
        started_cv.notify_all();
        if (!map) return;
        std::map<double, Stamps> stamps;  // this thread's marker stamps per scale, drawn on first use
        for (;;) {
            Task* task = nullptr;
            {
                std::unique_lock lock(mutex);
                cv.wait(lock, [&] { return stopping || !queue.empty(); });
                if (queue.empty()) return;
                task = queue.front();
                queue.pop_front();
            }
            try {
                task->result.set_value(draw(*map, *task->job, stamps));
            } catch (...) {
                task->result.set_exception(std::current_exception());
            }
        }
    }
};
}  // namespace detail

RenderPool::RenderPool(std::size_t threads) : m_state(std::make_unique<detail::RenderPoolState>()) {
    threads = std::max<std::size_t>(1, threads);
    // Drawing yields to answering (core/thread_priority.hpp): under overload the tiles
    // that are drawn take longer, the rest of the service does not.
    for (std::size_t i = 0; i < threads; ++i)
        m_state->threads.emplace_back([s = m_state.get()] {
            lower_this_thread_priority(5);
            s->run();
        });
    std::unique_lock lock(m_state->mutex);
    m_state->started_cv.wait(lock, [&] { return m_state->started == threads; });
    if (!m_state->start_error.empty()) {
        const std::string why = m_state->start_error;
        m_state->stopping = true;
        lock.unlock();
        m_state->cv.notify_all();
        for (auto& t : m_state->threads) t.join();
        throw Error(ErrorCode::internal, "the map styles failed to load: " + why);
    }
}

RenderPool::~RenderPool() {
    if (!m_state) return;
    {
        std::lock_guard lock(m_state->mutex);
        m_state->stopping = true;
    }
    m_state->cv.notify_all();
    for (auto& t : m_state->threads)
        if (t.joinable()) t.join();
}

std::size_t RenderPool::threads() const noexcept { return m_state->threads.size(); }

std::string RenderPool::render(const RenderJob& job) {
    Task task{&job, {}};
    auto future = task.result.get_future();
    {
        std::lock_guard lock(m_state->mutex);
        m_state->queue.push_back(&task);
    }
    m_state->cv.notify_one();
    try {
        return future.get();
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        // mod_tile's rule: library failures are caught around render() and translated.
        std::cerr << "error: mapnik: " << e.what() << '\n';
        throw Error(ErrorCode::internal, "the map could not be drawn");
    }
}

}  // namespace wangge::tiles
