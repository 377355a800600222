#include "tiles/snapshot.hpp"

#include "core/domain.hpp"
#include "core/workflow.hpp"
#include "data/tile_store.hpp"
#include "tiles/fingerprint.hpp"

#include <algorithm>

namespace wangge::tiles {

namespace {

// Sequence values are taken when a statement runs, not when it commits: a transaction
// may commit a value below one already seen. Every check reads this far back again and
// skips what it has applied, so such a late commit is not missed.
constexpr std::int64_t k_late_commit_window = 1024;
// More changed reports than this at once (a bulk load): one full read is cheaper.
constexpr std::size_t k_full_reload_reports = 200000;

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
    std::size_t sorted = 0;  // points[0, sorted) are in order already (kept from the old bucket)
    std::shared_ptr<const GridShape> grid;
};

// By x, then id: a total order, so a bucket merged after a write holds its points in
// the order a full load gives them (and draws them in it).
bool before(const ReportPoint& a, const ReportPoint& b) { return a.x < b.x || (a.x == b.x && a.id < b.id); }

std::shared_ptr<const Bucket> finish(const BucketKey& key, BucketDraft&& d) {
    auto b = std::make_shared<Bucket>();
    b->key = key;
    b->version = d.version;
    b->points = std::move(d.points);
    // After a write a bucket is its old points less the changed ones plus those read
    // back: sorting only the few new ones and merging keeps a write's cost off the
    // thousands of points a busy grid holds at a million reports.
    const auto mid = b->points.begin() + static_cast<std::ptrdiff_t>(std::min(d.sorted, b->points.size()));
    std::sort(mid, b->points.end(), before);
    std::inplace_merge(b->points.begin(), mid, b->points.end(), before);
    for (const auto& p : b->points) {
        b->bbox.extend(p.x, p.y);
        if (p.open() && p.due_at != k_no_due) b->open_due.push_back(p.due_at);
    }
    std::sort(b->open_due.begin(), b->open_due.end());
    b->grid = std::move(d.grid);
    if (b->grid) b->bbox.extend(b->grid->bbox);
    return b;
}

ReportPoint to_point(const data::ReportPointRow& r, std::vector<std::string>& categories) {
    ReportPoint p;
    p.id = r.id;
    p.x = lon_to_x(r.lon);
    p.y = lat_to_y(r.lat);
    p.reported_at = r.reported_at;
    p.due_at = r.due_at.value_or(k_no_due);
    p.category = category_index(categories, r.category);
    p.platform = platform_index(r.platform);
    p.status = static_cast<std::uint8_t>(parse_status(r.status).value_or(Status::reported));
    return p;
}

// Names a grid's drawing by its content. The row stamp (xmin) would not do: a frozen
// row reads xmin 2, so two versions of an outline, each frozen, would share it.
std::uint64_t shape_digest(const GridShape& s) {
    return Fingerprint().add(s.id).add(s.name).add(s.wkb).add_double(s.label_x).add_double(s.label_y).value();
}

std::shared_ptr<const GridShape> to_shape(data::GridOutlineRow&& g) {
    auto shape = std::make_shared<GridShape>();
    shape->town = std::move(g.town);
    shape->id = std::move(g.id);
    shape->name = std::move(g.name);
    shape->stamp = g.stamp;
    shape->wkb = std::move(g.wkb_3857);
    shape->label_x = g.label_x;
    shape->label_y = g.label_y;
    shape->bbox = {g.bbox[0], g.bbox[1], g.bbox[2], g.bbox[3]};
    shape->digest = shape_digest(*shape);
    return shape;
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

void Snapshot::index_towns() {
    town_boxes.clear();
    for (const auto& [key, bucket] : buckets) {
        auto& box = town_boxes.try_emplace(key.first, Box::empty()).first->second;
        if (!bucket->bbox.is_empty()) box.extend(bucket->bbox);
    }
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
    // one, so a burst of N requests costs two queries, not N. Followed by a change feed,
    // a request that arrives when no change was announced since the last check began
    // needs none at all.
    std::unique_lock lock(m_mutex);
    if (m_current && m_signals_applied == m_signals && m_listening && m_listening()) {
        ++m_stats.skipped_checks;
        return m_current;
    }
    const std::uint64_t needed = m_started + 1;
    while (m_finished < needed) {
        if (m_running) {
            m_cv.wait(lock);
            continue;
        }
        m_running = true;
        const std::uint64_t id = ++m_started;
        const std::uint64_t signals = m_signals;
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
        if (next) m_current = std::move(next), m_last_ok = id, m_signals_applied = std::max(m_signals_applied, signals);
        else m_last_error = error;
        m_cv.notify_all();
    }
    if (m_last_ok < needed) std::rethrow_exception(m_last_error);
    return m_current;
}

void SnapshotStore::data_changed() noexcept {
    std::lock_guard lock(m_mutex);
    ++m_signals;
}

void SnapshotStore::follow(std::function<bool()> listening) {
    std::lock_guard lock(m_mutex);
    m_listening = std::move(listening);
}

SnapshotStore::Stats SnapshotStore::stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
}

std::shared_ptr<const Snapshot> SnapshotStore::full_load() {
    auto next = std::make_shared<Snapshot>();
    std::map<BucketKey, BucketDraft> drafts;
    auto all = data::load_all_tile_data(
        m_db, k_late_commit_window, [&] { drafts.clear(), next->categories.clear(); },
        [&](const data::ReportPointRow& r) { drafts[{r.town, r.grid}].points.push_back(to_point(r, next->categories)); });
    for (auto& g : all.outlines) {
        BucketKey key{g.town, g.id};
        drafts[key].grid = to_shape(std::move(g));
    }
    for (const auto& v : all.buckets) {
        next->version = std::max(next->version, v.version);
        if (auto it = drafts.find({v.town, v.grid}); it != drafts.end()) it->second.version = v.version;
    }
    for (auto& [key, draft] : drafts) next->buckets.emplace(key, finish(key, std::move(draft)));
    m_change_mark = all.change_mark;
    m_recent_changes = std::move(all.recent_changes);  // in the snapshot already
    std::lock_guard lock(m_mutex);
    ++m_stats.full_loads;
    next->index_towns();
    return next;
}

std::shared_ptr<const Snapshot> SnapshotStore::refresh(const std::shared_ptr<const Snapshot>& base) {
    if (!base) return full_load();
    {
        std::lock_guard lock(m_mutex);
        ++m_stats.checks;
    }
    auto applied = [&](std::int64_t id) {
        return id <= m_change_mark && std::binary_search(m_recent_changes.begin(), m_recent_changes.end(), id);
    };
    auto delta = data::load_tile_delta(m_db, std::max<std::int64_t>(0, base->version - k_late_commit_window),
                                       std::max<std::int64_t>(0, m_change_mark - k_late_commit_window), applied,
                                       [&](const std::string& town, const std::string& grid) {
                                           auto it = base->buckets.find({town, grid});
                                           return it != base->buckets.end() && it->second->grid ? it->second->grid->stamp : std::int64_t{0};
                                       },
                                       k_full_reload_reports);
    if (delta.too_many) return full_load();
    for (const auto& ch : delta.changes)
        if (ch.town == "*") return full_load();  // a TRUNCATE

    std::map<BucketKey, std::int64_t> bumped;  // buckets whose version is not the one we hold
    for (const auto& b : delta.buckets) {
        auto it = base->buckets.find({b.town, b.grid});
        if (it == base->buckets.end() || it->second->version != b.version) bumped[{b.town, b.grid}] = b.version;
    }
    if (bumped.empty() && delta.changes.empty()) return base;

    auto next = std::make_shared<Snapshot>();
    next->version = base->version;
    for (const auto& [key, v] : bumped) next->version = std::max(next->version, v);
    next->categories = base->categories;
    next->buckets = base->buckets;

    // The changed reports leave every bucket we rebuild and come back where they are now.
    std::map<std::string, std::vector<std::int64_t>> changed_ids;
    for (const auto& ch : delta.changes) changed_ids[ch.town].push_back(ch.report);
    for (auto& [town, ids] : changed_ids) {
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    }
    std::map<BucketKey, BucketDraft> drafts;
    for (const auto& [key, v] : bumped) drafts[key];
    for (const auto& r : delta.points) drafts[{r.town, r.grid}];
    for (auto& [key, draft] : drafts) {
        auto old = base->buckets.find(key);
        const auto bump = bumped.find(key);
        // A bucket whose reports changed without a version we could read (its stamp fell
        // behind the window) still gets a value it never had, so its ETags change.
        draft.version = bump != bumped.end() ? bump->second : next->version + 1;
        if (old == base->buckets.end()) continue;
        const auto ids = changed_ids.find(key.first);
        for (const auto& p : old->second->points)
            if (ids == changed_ids.end() || !std::binary_search(ids->second.begin(), ids->second.end(), p.id))
                draft.points.push_back(p);
        draft.sorted = draft.points.size();
        draft.grid = old->second->grid;  // unless redrawn or retired (below)
    }
    for (const auto& [key, draft] : drafts) next->version = std::max(next->version, draft.version);
    for (const auto& r : delta.points) drafts[{r.town, r.grid}].points.push_back(to_point(r, next->categories));
    for (const auto& key : delta.retired) drafts[key].grid.reset();
    for (auto& g : delta.outlines) {
        BucketKey key{g.town, g.id};
        drafts[key].grid = to_shape(std::move(g));
    }
    // Emptied buckets stay (with nothing in them): their versions keep matching.
    for (auto& [key, draft] : drafts) next->buckets[key] = finish(key, std::move(draft));

    for (const auto& ch : delta.changes) {
        m_change_mark = std::max(m_change_mark, ch.id);
        m_recent_changes.push_back(ch.id);
    }
    std::sort(m_recent_changes.begin(), m_recent_changes.end());
    m_recent_changes.erase(m_recent_changes.begin(),
                           std::lower_bound(m_recent_changes.begin(), m_recent_changes.end(), m_change_mark - k_late_commit_window));
    std::lock_guard lock(m_mutex);
    m_stats.reports_reloaded += delta.points.size();
    next->index_towns();
    return next;
}

}  // namespace wangge::tiles
