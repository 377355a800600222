// The meeting pack as one self-contained A4 HTML page (printable; headless Chromium
// prints it to PDF in tests).

#include "analytics/meeting.hpp"

#include <cstdio>
#include <string>

namespace wangge::analytics {

namespace {

std::string escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string base64(std::string_view bytes) {
    static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                           static_cast<unsigned char>(bytes[i + 2]);
        out += k_alphabet[(v >> 18) & 63];
        out += k_alphabet[(v >> 12) & 63];
        out += k_alphabet[(v >> 6) & 63];
        out += k_alphabet[v & 63];
    }
    if (i < bytes.size()) {
        unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        out += k_alphabet[(v >> 18) & 63];
        out += k_alphabet[(v >> 12) & 63];
        out += i + 1 < bytes.size() ? k_alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string num(long v) { return std::to_string(v); }

std::string num(std::optional<double> v, int decimals = 1) {
    if (!v) return "—";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, *v);
    return buf;
}

// "+1.23个百分点" — the change of a rate on last month, in percentage points.
std::string change_points(std::optional<double> now, std::optional<double> before) {
    if (!now || !before) return "—";
    char buf[48];
    std::snprintf(buf, sizeof buf, "%+.2f 个百分点", (*now - *before) * 100.0);
    return buf;
}

std::string change_count(long now, long before) {
    char buf[48];
    if (before == 0) {
        std::snprintf(buf, sizeof buf, "%+ld", now - before);
    } else {
        std::snprintf(buf, sizeof buf, "%+ld（%+.1f%%）", now - before,
                      100.0 * static_cast<double>(now - before) / static_cast<double>(before));
    }
    return buf;
}

// "2026-05-10 09:00" in Shanghai time.
std::string day_time(Timestamp t) {
    std::string s = format_rfc3339(t);
    s[10] = ' ';
    s.resize(16);
    return s;
}

const char* k_style = R"(
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", sans-serif; font-size: 10.5pt; color: #222; }
h1 { font-size: 18pt; text-align: center; margin: 0 0 4mm; }
h2 { font-size: 13pt; border-bottom: 1.5pt solid #c0392b; padding-bottom: 1mm; margin: 6mm 0 3mm; }
.meta { text-align: center; color: #555; margin-bottom: 4mm; }
.page { page-break-before: always; break-before: page; }
table { border-collapse: collapse; width: 100%; margin-bottom: 3mm; }
th, td { border: 0.6pt solid #999; padding: 1.2mm 1.6mm; text-align: right; }
th { background: #f3f3f3; text-align: center; }
td.l { text-align: left; }
tr { page-break-inside: avoid; }
.kpi { display: flex; gap: 3mm; margin-bottom: 3mm; }
.kpi div { flex: 1; border: 0.6pt solid #999; padding: 2mm; text-align: center; }
.kpi b { display: block; font-size: 16pt; color: #c0392b; }
.maps { display: flex; gap: 4mm; }
.maps figure { flex: 1; margin: 0; text-align: center; }
.maps img { width: 100%; border: 0.6pt solid #999; }
.unavailable { border: 0.6pt dashed #999; padding: 18mm 4mm; color: #777; }
.note { color: #666; font-size: 9pt; }
)";

std::string indicator_table(const std::vector<NamedRow>& rows, const char* first_header) {
    std::string out = "<table><tr><th>";
    out += first_header;
    out += "</th><th>上报</th><th>交办</th><th>应办结</th><th>办结</th><th>办结率</th><th>按期办结</th>"
           "<th>按期办结率</th><th>超期未办结</th><th>督办</th><th>中位用时(小时)</th></tr>";
    for (const auto& r : rows) {
        const auto& v = r.values;
        out += "<tr><td class=\"l\">" + escape(r.name) + "</td><td>" + num(v.reported) + "</td><td>" +
               num(v.dispatched) + "</td><td>" + num(v.due) + "</td><td>" + num(v.closed) + "</td><td>" +
               format_percent(v.completion_rate) + "</td><td>" + num(v.closed_on_time) + "</td><td>" +
               format_percent(v.on_time_rate) + "</td><td>" + num(v.overdue_open) + "</td><td>" + num(v.supervised) +
               "</td><td>" + num(v.median_hours) + "</td></tr>";
    }
    if (rows.empty()) out += "<tr><td class=\"l\" colspan=\"11\">本月无数据</td></tr>";
    return out + "</table>";
}

}  // namespace

std::string render_meeting_html(const MeetingPack& p) {
    const auto& m = p.month_total;
    const auto& b = p.previous_total;
    std::string h;
    h.reserve(64 * 1024);
    h += "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>";
    h += escape(p.town_name) + " " + p.month + " 网格化管理月度会商材料</title><style>";
    h += k_style;
    h += "</style></head><body>";

    // 1. The month at a glance.
    h += "<h1>" + escape(p.town_name) + " 网格化管理月度会商材料</h1>";
    h += "<p class=\"meta\">统计月份：" + p.month + "（按交办时间）　统计截至：" + day_time(p.as_of) + "</p>";
    h += "<h2>一、本月概况</h2><div class=\"kpi\">";
    h += "<div>上报事件<b>" + num(m.reported) + "</b>较上月 " + change_count(m.reported, b.reported) + "</div>";
    h += "<div>交办事件<b>" + num(m.dispatched) + "</b>较上月 " + change_count(m.dispatched, b.dispatched) + "</div>";
    h += "<div>办结率<b>" + format_percent(m.completion_rate) + "</b>较上月 " +
         change_points(m.completion_rate, b.completion_rate) + "</div>";
    h += "<div>按期办结率<b>" + format_percent(m.on_time_rate) + "</b>较上月 " +
         change_points(m.on_time_rate, b.on_time_rate) + "</div></div>";
    h += "<table><tr><th>指标</th><th>本月</th><th>上月</th><th>口径</th></tr>";
    auto line = [&](const char* name, const std::string& now, const std::string& before, const char* basis) {
        h += std::string("<tr><td class=\"l\">") + name + "</td><td>" + now + "</td><td>" + before +
             "</td><td class=\"l\">" + basis + "</td></tr>";
    };
    line("上报数", num(m.reported), num(b.reported), "按上报时间");
    line("立案数（受理）", num(m.accepted), num(b.accepted), "按受理时间");
    line("交办数", num(m.dispatched), num(b.dispatched), "按交办时间，下列指标的统计对象");
    line("应办结数", num(m.due), num(b.due), "已办结 + 超期未办结");
    line("办结数", num(m.closed), num(b.closed), "截至统计时点已办结");
    line("办结率", format_percent(m.completion_rate), format_percent(b.completion_rate), "办结数 ÷ 应办结数");
    line("按期办结数", num(m.closed_on_time), num(b.closed_on_time), "办结时间不晚于期限");
    line("按期办结率", format_percent(m.on_time_rate), format_percent(b.on_time_rate), "按期办结数 ÷ 应办结数");
    line("超期未办结", num(m.overdue_open), num(b.overdue_open), "未办结且已过期限");
    line("期限内在办", num(m.in_time_open), num(b.in_time_open), "未办结、仍在期限内");
    line("返工率", format_percent(m.rework_rate), format_percent(b.rework_rate), "返工件数 ÷ 办结数");
    line("督办数", num(m.supervised), num(b.supervised), "有督办记录的件数");
    line("办理用时中位数（小时）", num(m.median_hours), num(b.median_hours), "交办至办结");
    line("办理用时P90（小时）", num(m.p90_hours), num(b.p90_hours), "交办至办结");
    h += "</table>";

    // 2. Per platform.
    h += "<h2>二、四个平台办理情况</h2>" + indicator_table(p.by_platform, "平台");

    // 3. Grids.
    h += "<div class=\"page\"></div><h2>三、网格排名</h2><h3>上报事件最多的网格</h3>" +
         indicator_table(p.top_grids, "网格");
    h += "<h3>办结率最低的网格</h3>" + indicator_table(p.lowest_grids, "网格");

    // 4. Maps.
    h += "<div class=\"page\"></div><h2>四、事件热力图与热点分析</h2><div class=\"maps\">";
    for (const auto& map : p.maps) {
        h += "<figure>";
        if (map.png) {
            h += "<img alt=\"" + escape(map.title) + "\" src=\"data:image/png;base64," + base64(*map.png) + "\">";
        } else {
            h += "<div class=\"unavailable\">地图暂不可用（静态地图模块未接入）</div>";
        }
        h += "<figcaption>" + escape(map.title) + "</figcaption></figure>";
    }
    h += "</div><p class=\"note\">热点分析：Getis-Ord Gi*，邻接关系为 Queen（0.5 米容差），按本月上报数计算。</p>";

    // 5. Emerging hot spots.
    h += "<h2>五、时空热点趋势（近" + std::to_string(p.trend_months.size()) + "个月）</h2>";
    h += "<table><tr><th>网格</th><th>模式</th><th>月度上报数走势</th><th>最近月</th><th>Mann-Kendall Z</th><th>p</th></tr>";
    for (const auto& e : p.emerging) {
        h += "<tr><td class=\"l\">" + escape(e.grid_name) + "</td><td class=\"l\">" + escape(emerging_label(e.category)) +
             "</td><td>" + sparkline_svg(e.counts) + "</td><td>" + num(e.counts.empty() ? std::nullopt : std::optional(e.counts.back()), 0) +
             "</td><td>" + num(e.trend.z, 2) + "</td><td>" + num(e.trend.p, 3) + "</td></tr>";
    }
    if (p.emerging.empty()) h += "<tr><td class=\"l\" colspan=\"6\">未发现显著的时空热点或冷点</td></tr>";
    h += "</table>";

    // 6. Overdue list.
    h += "<div class=\"page\"></div><h2>六、超期未办结事件（" + std::to_string(p.overdue.size()) + " 件）</h2>";
    h += "<table><tr><th>编号</th><th>网格</th><th>类别</th><th>平台</th><th>交办时间</th><th>办理期限</th>"
         "<th>超期(天)</th><th>督办</th></tr>";
    for (const auto& o : p.overdue) {
        h += "<tr><td>" + std::to_string(o.id) + "</td><td class=\"l\">" + escape(o.grid_name) + "</td><td class=\"l\">" +
             escape(o.category) + "</td><td class=\"l\">" + platform_label(o.platform) + "</td><td>" +
             day_time(o.dispatched_at) + "</td><td>" + day_time(o.due_at) + "</td><td>" + num(o.overdue_days) +
             "</td><td>" + (o.supervised ? "已督办" : "—") + "</td></tr>";
    }
    if (p.overdue.empty()) h += "<tr><td class=\"l\" colspan=\"8\">无</td></tr>";
    h += "</table>";
    h += "<p class=\"note\">口径：GB/T 数字城管评价惯例及 STATS.md。办结率 = 办结数 ÷ 应办结数；应办结数 = "
         "已办结 + 超期未办结（仍在期限内的不计入）。</p>";
    h += "</body></html>";
    return h;
}

}  // namespace wangge::analytics
