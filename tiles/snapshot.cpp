#include "tiles/snapshot.hpp"

#include "core/domain.hpp"
#include "core/workflow.hpp"
#include "data/tile_store.hpp"

#include <algorithm>

namespace wangge::tiles {

namespace {

// Above this many changed buckets a full reload is cheaper than one query per change.
constexpr std::size_t k_incremental_limit = 64;

std::uint8_t platform_index(std::string_view code) {
    for (std::size_t i = 0; i < k_platforms.size(); ++i)
        if (k_platforms[i] == code) return static_cast<std::uint8_t>(i);
    return 0;
}

std::uint16_t category_index(std::vector<std::string>& table, const std::string& code) {
    auto it = std::find(table.begin(), table.end(), code);
    if (it != table.end()) return static_cast<std::uint16_t>(it - table.begin());
    table.push_back(code);
    return static_cast<std::uint16_t>(table.size() - 1);
}

struct BucketDraft {
    std::int64_t version = 0;
    std::vector<ReportPoint> points;
    std::shared_ptr<const GridShape> grid;
};

std::shared_ptr<const Bucket> finish(const BucketKey& key, BucketDraft&& d) {
    auto b = std::make_shared<Bucket>();
    b->key = key;
    b->version = d.version;
    b->points = std::move(d.points);
    std::sort(b->points.begin(), b->points.end(), [](const ReportPoint& a, const ReportPoint& c) { return a.x < c.x; });
    for (const auto& p : b->points) {
        b->bbox.extend(p.x, p.y);
        if (p.open() && p.due_at != k_no_due) b->open_due.push_back(p.due_at);
    }
    std::sort(b->open_due.begin(), b->open_due.end());
    b->grid = std::move(d.grid);
    if (b->grid) b->bbox.extend(b->grid->bbox);
    return b;
}

// Loads the given buckets (all when `only` is null) into drafts.
std::map<BucketKey, BucketDraft> load(data::Database& db, const std::vector<data::BucketVersion>* only,
                                      std::vector<std::string>& categories) {
    std::map<BucketKey, BucketDraft> drafts;
    if (only != nullptr)
        for (const auto& v : *only) drafts[{v.town, v.grid}];
    data::for_each_report_point(db, only, [&](const data::ReportPointRow& r) {
        ReportPoint p;
        p.x = lon_to_x(r.lon);
        p.y = lat_to_y(r.lat);
        p.reported_at = r.reported_at;
        p.due_at = r.due_at.value_or(k_no_due);
        p.category = category_index(categories, r.category);
        p.platform = platform_index(r.platform);
        p.status = static_cast<std::uint8_t>(parse_status(r.status).value_or(Status::reported));
        drafts[{r.town, r.grid}].points.push_back(p);
    });
    for (auto& g : data::current_grid_outlines(db, only)) {
        auto shape = std::make_shared<GridShape>();
        shape->town = g.town;
        shape->id = g.id;
        shape->name = g.name;
        shape->wkb = std::move(g.wkb_3857);
        shape->label_x = g.label_x;
        shape->label_y = g.label_y;
        shape->bbox = {g.bbox[0], g.bbox[1], g.bbox[2], g.bbox[3]};
        drafts[{g.town, g.id}].grid = std::move(shape);
    }
    return drafts;
}

}  // namespace

bool ReportPoint::open() const noexcept {
    return status != static_cast<std::uint8_t>(Status::closed) && status != static_cast<std::uint8_t>(Status::rejected);
}

std::size_t Bucket::overdue_at(std::int64_t now) const noexcept {
    return static_cast<std::size_t>(std::lower_bound(open_due.begin(), open_due.end(), now) - open_due.begin());
}

bool CompiledFilter::covers_town(const std::string& town) const {
    return towns.empty() || std::find(towns.begin(), towns.end(), town) != towns.end();
}

CompiledFilter Snapshot::compile(const ReportFilter& filter) const {
    CompiledFilter f;
    f.towns = filter.towns;
    if (filter.from) f.from = filter.from->time_since_epoch().count();
    if (filter.to) f.to = filter.to->time_since_epoch().count();
    if (!filter.platforms.empty()) {
        f.platforms = 0;
        for (const auto& p : filter.platforms) f.platforms |= 1u << platform_index(p);
    }
    if (!filter.statuses.empty()) {
        f.statuses = 0;
        for (const auto& s : filter.statuses)
            if (auto st = parse_status(s)) f.statuses |= 1u << static_cast<unsigned>(*st);
    }
    if (!filter.categories.empty()) {
        // A category no report uses yet matches nothing; keep one false entry so the
        // filter is not read as "all".
        f.categories.assign(categories.size() + 1, false);
        for (const auto& c : filter.categories) {
            auto it = std::find(categories.begin(), categories.end(), c);
            if (it != categories.end()) f.categories[static_cast<std::size_t>(it - categories.begin())] = true;
        }
    }
    return f;
}

std::shared_ptr<const Snapshot> SnapshotStore::current() {
    // Single flight: a request needs a check that began after it arrived (so it sees
    // every commit before it). Requests that arrive while a check runs share the next
    // one, so a burst of N requests costs two queries, not N.
    std::unique_lock lock(m_mutex);
    const std::uint64_t needed = m_started + 1;
    while (m_finished < needed) {
        if (m_running) {
            m_cv.wait(lock);
            continue;
        }
        m_running = true;
        const std::uint64_t id = ++m_started;
        const auto base = m_current;
        lock.unlock();
        std::shared_ptr<const Snapshot> next;
        std::exception_ptr error;
        try {
            next = refresh(base);
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        m_running = false;
        m_finished = id;
        if (next) m_current = std::move(next), m_last_ok = id;
        else m_last_error = error;
        m_cv.notify_all();
    }
    if (m_last_ok < needed) std::rethrow_exception(m_last_error);
    return m_current;
}

std::shared_ptr<const Snapshot> SnapshotStore::refresh(const std::shared_ptr<const Snapshot>& base) {
    // Versions are read before the rows: a write landing in between is loaded now and
    // its stamp seen again next time (reloaded twice, never missed).
    auto changes = data::tile_versions_since(m_db, base ? base->version : 0);
    if (base && changes.empty()) return base;

    auto next = std::make_shared<Snapshot>();
    next->version = base ? base->version : 0;
    for (const auto& c : changes) next->version = std::max(next->version, c.version);
    next->categories = base ? base->categories : std::vector<std::string>{};

    if (!base || changes.size() > k_incremental_limit) {
        auto all = base ? data::tile_versions_since(m_db, 0) : changes;
        for (const auto& c : all) next->version = std::max(next->version, c.version);
        auto drafts = load(m_db, nullptr, next->categories);
        for (const auto& v : all)
            if (auto it = drafts.find({v.town, v.grid}); it != drafts.end()) it->second.version = v.version;
        for (auto& [key, draft] : drafts) next->buckets.emplace(key, finish(key, std::move(draft)));
    } else {
        next->buckets = base->buckets;
        auto drafts = load(m_db, &changes, next->categories);
        for (const auto& v : changes) drafts[{v.town, v.grid}].version = v.version;
        for (auto& [key, draft] : drafts) {
            if (draft.points.empty() && !draft.grid) next->buckets.erase(key);
            else next->buckets[key] = finish(key, std::move(draft));
        }
    }
    return next;
}

}  // namespace wangge::tiles
