#include "api/analytics_params.hpp"

#include "core/domain.hpp"
#include "core/error.hpp"

namespace wangge::api {

namespace {

using namespace std::chrono;

// Far enough for any real period; keeps month arithmetic and SQL literals sane.
constexpr int k_min_year = 2000;
constexpr int k_max_year = 2100;

std::optional<std::string> get(const QueryMap& q, const char* key) {
    auto it = q.find(key);
    if (it == q.end()) return std::nullopt;
    return it->second;
}

std::string require(const QueryMap& q, const char* key, const char* what) {
    auto v = get(q, key);
    if (!v || v->empty()) throw_bad_field(key, std::string("required: ") + what);
    return *v;
}

bool year_ok(Timestamp t) {
    const year_month_day ymd{shanghai_day(t)};
    return ymd.year() >= year{k_min_year} && ymd.year() <= year{k_max_year};
}

// An instant: RFC 3339, a Shanghai date, or a Shanghai month (its first instant).
Timestamp instant(const std::string& raw, const char* field) {
    // An unencoded '+' in a query string arrives as a space: "…T12:00:00 08:00" can only
    // mean the offset +08:00.
    std::string text = raw;
    if (text.size() > 19 && text[text.size() - 6] == ' ') text[text.size() - 6] = '+';
    std::optional<Timestamp> t = parse_instant(text);
    if (!t) {
        if (auto ym = parse_year_month(text)) t = shanghai_month_start(*ym);
    }
    if (!t) throw_bad_field(field, "must be an RFC 3339 instant, YYYY-MM-DD or YYYY-MM (Asia/Shanghai)");
    if (!year_ok(*t)) throw_bad_field(field, "must be between the years 2000 and 2100");
    return *t;
}

// The format only, as for categories: whether the town exists is the town directory's to
// say (the handler).
std::string town(const QueryMap& q) { return require(q, "town", "a town code or all"); }

std::pair<Timestamp, Timestamp> period(const QueryMap& q) {
    const Timestamp from = instant(require(q, "from", "start of the period"), "from");
    const Timestamp to = instant(require(q, "to", "end of the period (exclusive)"), "to");
    if (!(from < to)) throw_bad_field("to", "must be later than from");
    return {from, to};
}

std::optional<std::string> platform(const QueryMap& q) {
    auto p = get(q, "platform");
    if (!p) return std::nullopt;
    if (!is_platform(*p)) throw_bad_field("platform", "must be zongzhi, shichang, zhifa or bianmin");
    return p;
}

// The format only: whether the code exists is the catalogue's to say (the handler).
std::optional<std::string> category(const QueryMap& q) {
    auto c = get(q, "category");
    if (!c) return std::nullopt;
    if (c->empty() || c->size() > 64) throw_bad_field("category", "must be a category code");
    for (char ch : *c)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            throw_bad_field("category", "must be a category code (a-z, 0-9, _)");
    return c;
}

analytics::Contiguity weights(const QueryMap& q) {
    auto w = get(q, "weights");
    if (!w) return analytics::Contiguity::queen;
    auto c = analytics::parse_contiguity(*w);
    if (!c) throw_bad_field("weights", "must be queen or rook");
    return *c;
}

bool boolean(const QueryMap& q, const char* key) {
    auto v = get(q, key);
    if (!v) return false;
    if (*v == "true") return true;
    if (*v == "false") return false;
    throw_bad_field(key, "must be true or false");
}

std::optional<Timestamp> as_of(const QueryMap& q) {
    auto v = get(q, "as_of");
    if (!v) return std::nullopt;
    return instant(*v, "as_of");
}

year_month month_of(const std::string& text, const char* field) {
    auto ym = parse_year_month(text);
    if (!ym || ym->year() > year{k_max_year} || ym->year() < year{k_min_year})
        throw_bad_field(field, "must be a month YYYY-MM between 2000 and 2100");
    return *ym;
}

}  // namespace

analytics::CompletionParams parse_completion_params(const QueryMap& q, Timestamp now) {
    analytics::CompletionParams p;
    p.town = town(q);
    std::tie(p.from, p.to) = period(q);
    if (auto by = get(q, "by")) {
        auto parsed = analytics::parse_by(*by);
        if (!parsed) throw_bad_field("by", "must be town, grid, platform, category, worker or month");
        p.by = *parsed;
    }
    p.as_of = as_of(q).value_or(now);
    return p;
}

analytics::HotspotParams parse_hotspot_params(const QueryMap& q) {
    analytics::HotspotParams p;
    p.town = town(q);
    std::tie(p.from, p.to) = period(q);
    p.platform = platform(q);
    p.category = category(q);
    p.weights = weights(q);
    p.fdr = boolean(q, "fdr");
    return p;
}

analytics::TrendParams parse_trend_params(const QueryMap& q, Timestamp now) {
    analytics::TrendParams p;
    p.town = town(q);
    if (auto end = get(q, "end")) {
        p.end = month_of(*end, "end");
    } else {
        const year_month_day today{shanghai_day(now)};
        p.end = today.year() / today.month();
    }
    if (auto m = get(q, "months")) {
        // Digits only: "12abc" or "+12" are not numbers here (STACK.md: Pistache's as<int>).
        if (m->empty() || m->size() > 2 || m->find_first_not_of("0123456789") != std::string::npos)
            throw_bad_field("months", "must be an integer from 3 to 60");
        p.months = std::stoi(*m);
        if (p.months < 3 || p.months > 60) throw_bad_field("months", "must be an integer from 3 to 60");
    }
    p.platform = platform(q);
    p.category = category(q);
    p.weights = weights(q);
    return p;
}

analytics::MeetingParams parse_meeting_params(const std::string& town_code, const std::string& month,
                                              const QueryMap& q, const std::optional<std::string>& accept) {
    analytics::MeetingParams p;
    p.town = town_code;
    p.month = month_of(month, "month");
    p.as_of = as_of(q);
    if (auto f = get(q, "f")) {
        if (*f == "html") p.format = analytics::MeetingFormat::html;
        else if (*f == "xlsx") p.format = analytics::MeetingFormat::xlsx;
        else if (*f == "json") p.format = analytics::MeetingFormat::json;
        else throw_bad_field("f", "must be html, xlsx or json");
    } else if (accept) {
        // Only an explicit preference for JSON or XLSX over HTML changes the default.
        const bool html = accept->find("text/html") != std::string::npos;
        if (!html && accept->find("application/json") != std::string::npos) p.format = analytics::MeetingFormat::json;
        else if (!html && accept->find(k_xlsx_media_type) != std::string::npos) p.format = analytics::MeetingFormat::xlsx;
    }
    return p;
}

}  // namespace wangge::api
