#include "data/demo_reports.hpp"

#include "core/error.hpp"
#include "geo/crs.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace wangge::data::demo {

namespace {

using namespace std::chrono;
using geo::XY;

const std::vector<std::pair<std::string, double>>& kind_categories(const std::string& kind) {
    static const std::map<std::string, std::vector<std::pair<std::string, double>>> k_by_kind{
        {"market", {{"shipin_anquan", 3}, {"shichang_zhixu", 2}, {"zhandao_jingying", 3}, {"huanjing_weisheng", 2}, {"wuzheng_jingying", 1}}},
        {"river", {{"wushui_gongzhi", 4}, {"hedao_baojie", 4}, {"huanjing_weisheng", 1}}},
        {"construction", {{"weizhang_jianzhu", 3}, {"guotu_ziyuan", 1}, {"zaoyin_raomin", 3}, {"anquan_shengchan", 2}, {"guihua_jianshe", 1}}},
        {"school", {{"shehui_zhian", 2}, {"daolu_jiaotong", 3}, {"shipin_anquan", 1}, {"zhongdian_renqun", 1}}},
        {"station", {{"daolu_jiaotong", 3}, {"shehui_zhian", 2}, {"zhandao_jingying", 2}, {"sheshi_sunhuai", 2}}},
        {"industrial", {{"anquan_shengchan", 3}, {"xiaofang_yinhuan", 3}, {"tezhong_shebei", 2}, {"wushui_gongzhi", 1}}},
        {"rising", {{"weizhang_jianzhu", 3}, {"zaoyin_raomin", 2}, {"laji_fenlei", 2}, {"maodun_jiufen", 1}}},
        {"fading", {{"wushui_gongzhi", 3}, {"hedao_baojie", 2}, {"huanjing_weisheng", 2}}},
    };
    static const std::vector<std::pair<std::string, double>> k_none;
    auto it = k_by_kind.find(kind);
    return it == k_by_kind.end() ? k_none : it->second;
}

// Background mix by platform (环境、执法 most frequent, as in grid patrol practice).
double platform_weight(const std::string& platform) {
    if (platform == "zhifa") return 0.45 / 10;
    if (platform == "zongzhi") return 0.25 / 6;
    if (platform == "shichang") return 0.15 / 5;
    return 0.15 / 4;
}

// Most of what a grid worker finds on patrol is settled on the spot (the seed: 600+ items
// collected, 157 handed over); large cases (land, planning, illegal building) seldom are.
double on_site_probability(const Category& c) {
    if (c.time_limit_workdays >= 10) return 0.35;
    return 0.93;
}

struct Located {
    XY metric;
    std::string kind;  // background | rising | fading | a place kind
    std::string place;
};

// One town's year: its grids indexed for point location, then month by month.
class TownSimulator {
public:
    TownSimulator(const geo::Geos& geos, const geo::Transformer& to_lonlat, const ReportModel& model, const Town& town,
                  std::size_t town_index)
        : m_geos(geos), m_to_lonlat(to_lonlat), m_model(model), m_town(town), m_town_index(town_index) {
        for (const auto& g : town.grids) {
            m_grids.push_back(geos.prepare(g.lonlat.get()));
            m_metric_grids.push_back(geos.prepare(g.metric.get()));
            auto ring = geos.exterior_ring(g.lonlat.get());
            std::array<double, 4> b{1e9, 1e9, -1e9, -1e9};
            for (const auto& p : ring) b = {std::min(b[0], p.x), std::min(b[1], p.y), std::max(b[2], p.x), std::max(b[3], p.y)};
            m_bbox.push_back(b);
            m_grid_weight.push_back(std::pow(g.area_m2, 0.25));
        }
        m_outline = geos.prepare(town.metric.get());
    }

    void run(Rng& rng, double total, bool carry, std::vector<Report>& out) {
        const auto& town = m_town;
        const DemoOptions& options = m_model.options;
        const year_month first = options.until - months{11};
        const std::size_t rising = rng.below(town.grids.size());
        std::size_t fading = rng.below(town.grids.size());
        if (fading == rising) fading = (fading + town.grids.size() / 2) % town.grids.size();
        const double per_month = total / 12.0;
        double expected = 0;
        long issued = 0;
        for (int m = 0; m < 12; ++m) {
            const year_month ym = first + months{m};
            // Summer peak (rain, heat, river and environment work), ±20%.
            const double season = 1.0 + 0.2 * std::sin(2 * std::numbers::pi * (static_cast<unsigned>(ym.month()) - 4.0) / 12.0);
            expected += per_month * season;
            const int count = static_cast<int>(carry ? std::lround(expected) - issued : std::lround(per_month * season));
            issued += count;
            // One grid grows month by month, one fades (the trends the meeting looks for).
            const int n_rising = static_cast<int>(std::lround(count * 0.02 * (m + 1)));
            const int n_fading = static_cast<int>(std::lround(count * 0.02 * (12 - m)));
            const Timestamp start = shanghai_month_start(ym), end = shanghai_month_start(ym + months{1});
            for (int i = 0; i < count; ++i) {
                Located where;
                if (i < n_rising) where = in_grid(rng, rising, "rising");
                else if (i < n_rising + n_fading) where = in_grid(rng, fading, "fading");
                else if (rng.chance(0.38)) where = near_place(rng);
                else where = in_grid(rng, rng.weighted(m_grid_weight), "background");
                auto report = make_report(rng, where, start, end);
                if (report.reported_at > options.cutoff) continue;
                out.push_back(std::move(report));
            }
        }
    }

private:
    bool inside_town(XY p) const { return m_geos.prepared_contains(m_outline.get(), m_geos.point(p).get()); }

    Located in_grid(Rng& rng, std::size_t g, const std::string& kind) const {
        const auto& grid = m_town.grids[g];
        auto ring = m_geos.exterior_ring(grid.metric.get());
        double x0 = 1e18, y0 = 1e18, x1 = -1e18, y1 = -1e18;
        for (const auto& p : ring) x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
        for (int tries = 0; tries < 10000; ++tries) {
            XY p{rng.uniform(x0, x1), rng.uniform(y0, y1)};
            if (m_geos.prepared_contains(m_metric_grids[g].get(), m_geos.point(p).get())) return {p, kind, grid.name};
        }
        return {grid.centroid, kind, grid.name};
    }

    Located near_place(Rng& rng) const {
        const auto& places = m_town.places;
        const auto& place = places[rng.below(places.size())];
        for (int tries = 0; tries < 1000; ++tries) {
            XY p;
            if (place.kind == "river") {
                // Along the channel: a gently meandering line through the landmark.
                const double s = rng.uniform(-1.0, 1.0) * 0.8 * m_town.radius_m;
                const double meander = 0.08 * m_town.radius_m * std::sin(3.0 * s / m_town.radius_m);
                const double off = meander + rng.normal(0, 40);
                p = {place.at.x + s * std::cos(place.heading) - off * std::sin(place.heading),
                     place.at.y + s * std::sin(place.heading) + off * std::cos(place.heading)};
            } else {
                const double sd = place.kind == "construction" || place.kind == "industrial" ? 250 : 150;
                p = {rng.normal(place.at.x, sd), rng.normal(place.at.y, sd)};
            }
            if (inside_town(p)) return {p, place.kind, place.name};
        }
        return {place.at, place.kind, place.name};
    }

    const Category& pick_category(Rng& rng, const std::string& kind) const {
        const auto& options = kind_categories(kind);
        if (options.empty() || rng.chance(0.15)) return *m_model.all[rng.weighted(m_model.background_weights)];
        std::vector<double> w;
        for (const auto& o : options) w.push_back(o.second);
        const auto& code = options[rng.weighted(w)].first;
        auto it = m_model.by_code.find(code);
        return it == m_model.by_code.end() ? *m_model.all[rng.weighted(m_model.background_weights)] : *it->second;
    }

    // The grid whose lon/lat polygon covers the point (the point is inside the town).
    std::size_t locate(double lon, double lat) const {
        auto pt = m_geos.point({lon, lat});
        std::size_t nearest = 0;
        double best = 1e300;
        for (std::size_t g = 0; g < m_grids.size(); ++g) {
            const auto& b = m_bbox[g];
            if (lon < b[0] || lon > b[2] || lat < b[1] || lat > b[3]) continue;
            if (m_geos.prepared_covers(m_grids[g].get(), pt.get())) return g;
        }
        for (std::size_t g = 0; g < m_grids.size(); ++g) {
            const double d = m_geos.distance(m_town.grids[g].lonlat.get(), pt.get());
            if (d < best) best = d, nearest = g;
        }
        return nearest;
    }

    Timestamp daytime_in(Rng& rng, Timestamp start, Timestamp end) const {
        const auto n_days = duration_cast<days>(end - start).count();
        const auto day = shanghai_day(start) + days{static_cast<int>(rng.below(static_cast<std::size_t>(n_days)))};
        // Patrols and calls cluster in working hours.
        static const std::vector<double> k_hour_weights{0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 1, 3, 6, 7, 7, 5,
                                                        3,   5,   6,   6,   5,   4,   2, 1.5, 1, 0.6, 0.4, 0.3};
        const auto hour = static_cast<int>(rng.weighted(k_hour_weights));
        return shanghai_midnight(day) + hours{hour} + seconds{static_cast<int>(rng.below(3600))};
    }

    Report make_report(Rng& rng, const Located& where, Timestamp start, Timestamp end) const {
        const auto& town = m_town;
        Report r;
        r.town = m_town_index;
        const auto ll = m_to_lonlat.forward(where.metric);
        // Phones report to about 1 cm; 7 decimals of a degree.
        r.lon = std::round(ll.x * 1e7) / 1e7;
        r.lat = std::round(ll.y * 1e7) / 1e7;
        r.grid = locate(r.lon, r.lat);
        r.category = &pick_category(rng, where.kind);
        r.reported_at = daytime_in(rng, start, end);
        r.client_id = town.spec.code + "-demo-" + std::to_string(rng.next() >> 16);
        static const std::vector<double> k_source_weights{0.78, 0.1, 0.05, 0.04, 0.03};
        static const char* k_sources[] = {"app", "phone", "pc", "video", "walk_in"};
        r.source = k_sources[rng.weighted(k_source_weights)];
        const auto& grid = town.grids[r.grid];
        if (r.source == std::string("app")) r.reporter = rng.chance(0.8) ? grid.worker : grid.leader;
        static const char* k_templates[] = {"%s附近发现%s问题，请处理", "%s：群众反映%s情况", "巡查发现%s存在%s隐患",
                                            "%s一带%s，需协调处置"};
        const std::string tmpl = k_templates[rng.below(std::size(k_templates))];
        const std::string at = where.kind == "background" || where.kind == "rising" || where.kind == "fading" ? grid.name : where.place;
        std::string text = tmpl;
        text.replace(text.find("%s"), 2, at);
        text.replace(text.find("%s"), 2, r.category->name);
        r.description = text;
        simulate_workflow(rng, town, r);
        return r;
    }

    void add(Report& r, Action a, const std::string& actor, Timestamp at, std::string note = {},
             std::optional<Dispatch> dispatch = std::nullopt) const {
        const Status from = r.events.back().to;
        const auto to = transition(from, a);
        if (!to) throw Error(ErrorCode::internal, "demo: illegal transition in the simulation");
        if (at > m_model.options.cutoff) throw Cutoff{};
        r.events.push_back({a, from, *to, actor, at, std::move(note), std::move(dispatch)});
    }

    struct Cutoff {};

    void simulate_workflow(Rng& rng, const Town& town, Report& r) const {
        const std::string first_actor = r.reporter ? *r.reporter : town.first_with_role("command").id;
        r.events.push_back({std::nullopt, std::nullopt, Status::reported, first_actor, r.reported_at, "", std::nullopt});
        const auto& command = town.staff[town.staff.size() - 7 + rng.below(3)];  // three command-room staff
        const auto& platform_staff = town.first_with_role("platform", r.category->platform);
        try {
            if (r.reporter && rng.chance(on_site_probability(*r.category))) {
                add(r, Action::resolve_on_site, *r.reporter, r.reported_at + minutes{5 + static_cast<int>(rng.below(90))},
                    "网格员现场处置完毕");
                return;
            }
            Timestamp t = r.reported_at + seconds{static_cast<long>(rng.exponential(5400)) + 120};
            if (rng.chance(0.04)) {
                add(r, Action::reject, command.id, t, "不属于受理范围");
                return;
            }
            add(r, Action::accept, command.id, t);
            t += seconds{static_cast<long>(rng.exponential(3600)) + 60};
            static const std::vector<double> k_handling{0.8, 0.2};
            static const std::vector<double> k_mode{0.6, 0.25, 0.15};
            static const char* k_handling_names[] = {"guikou", "xietiao"};
            static const char* k_mode_names[] = {"lingban", "lianban", "duban"};
            const std::string handling = k_handling_names[rng.weighted(k_handling)];
            const std::string mode = k_mode_names[rng.weighted(k_mode)];
            const Timestamp dispatched = t;
            const Timestamp due = m_model.calendar.add_working_days(dispatched, r.category->time_limit_workdays);
            add(r, Action::dispatch, command.id, t, "",
                Dispatch{r.category->platform, {platform_staff.id}, handling, mode, due});
            t += seconds{static_cast<long>(rng.exponential(4 * 3600)) + 300};
            add(r, Action::start, platform_staff.id, t);
            if (rng.chance(0.02)) return;  // stuck: stays open until it is overdue
            const bool on_time = rng.chance(0.8);
            Timestamp resolved = on_time ? t + duration_cast<seconds>((due - t) * rng.uniform(0.1, 0.95))
                                         : due + seconds{static_cast<long>(rng.exponential(2 * 86400)) + 600};
            if (!on_time || rng.chance(0.08))
                add(r, Action::supervise, command.id, on_time ? t + (resolved - t) / 2 : due + hours{2}, "督促加快办理");
            add(r, Action::resolve, platform_staff.id, resolved, "已处置");
            t = resolved + seconds{static_cast<long>(rng.exponential(6 * 3600)) + 600};
            add(r, Action::close, command.id, t, "核查属实，结案");
            if (rng.chance(0.06)) {
                t += seconds{static_cast<long>(rng.exponential(86400)) + 3600};
                add(r, Action::reopen, command.id, t, "群众反映问题反复，返工");
                t += seconds{static_cast<long>(rng.exponential(3 * 3600)) + 300};
                add(r, Action::start, platform_staff.id, t);
                t += seconds{static_cast<long>(rng.exponential(86400)) + 1800};
                add(r, Action::resolve, platform_staff.id, t, "返工处置完毕");
                t += seconds{static_cast<long>(rng.exponential(4 * 3600)) + 600};
                add(r, Action::close, command.id, t, "复核通过，结案");
            }
        } catch (const Cutoff&) {
            // Later events have not happened yet: the report stays in its last state.
        }
    }

    const geo::Geos& m_geos;
    const geo::Transformer& m_to_lonlat;
    const ReportModel& m_model;
    const Town& m_town;
    std::size_t m_town_index;
    std::vector<geo::PreparedPtr> m_grids;  // lon/lat
    std::vector<geo::PreparedPtr> m_metric_grids;
    std::vector<std::array<double, 4>> m_bbox;
    std::vector<double> m_grid_weight;
    geo::PreparedPtr m_outline;  // metric
};

}  // namespace

ReportModel::ReportModel(const std::vector<Category>& catalogue, const WorkCalendar& work_calendar,
                         const DemoOptions& demo_options)
    : categories(catalogue), calendar(work_calendar), options(demo_options) {
    if (categories.empty()) throw Error(ErrorCode::internal, "demo: the category catalogue is empty (run migrate)");
    for (const auto& c : categories) {
        by_code[c.code] = &c;
        all.push_back(&c);
        background_weights.push_back(platform_weight(c.platform));
    }
}

void simulate_town_reports(const geo::Geos& geos, const geo::Transformer& to_lonlat, const ReportModel& model,
                           const Town& town, std::size_t town_index, double total, bool carry, Rng& rng,
                           std::vector<Report>& out) {
    TownSimulator(geos, to_lonlat, model, town, town_index).run(rng, total, carry, out);
}

std::vector<Report> simulate_reports(const geo::Geos& geos, const std::vector<Town>& towns,
                                     const std::vector<Category>& categories, const WorkCalendar& calendar,
                                     const DemoOptions& options) {
    const ReportModel model(categories, calendar, options);
    const geo::Transformer to_lonlat("EPSG:4549", "EPSG:4490");
    Rng root(options.seed ^ k_reports_salt);
    std::vector<Report> out;
    for (std::size_t t = 0; t < towns.size(); ++t) {
        Rng rng = root.fork(t + 1);
        // The town's share (data/demo/pilots.json): 白龙桥镇 at the seed's scale (~200
        // a month by default), the dense subdistrict as busy, the rural township least.
        simulate_town_reports(geos, to_lonlat, model, towns[t], t, options.reports * towns[t].spec.report_share, false,
                              rng, out);
    }
    std::stable_sort(out.begin(), out.end(), [](const Report& a, const Report& b) {
        return a.reported_at != b.reported_at ? a.reported_at < b.reported_at : a.client_id < b.client_id;
    });
    for (std::size_t i = 0; i < out.size(); ++i) out[i].id = static_cast<long long>(i) + 1;
    return out;
}

}  // namespace wangge::data::demo
