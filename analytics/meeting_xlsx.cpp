// The meeting pack's tables as an Excel workbook (libxlsxwriter 1.1.4). That version
// writes only to a file, so the workbook goes through a private temporary file.

#include "analytics/meeting.hpp"

#include "core/error.hpp"

#include <xlsxwriter.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <unistd.h>

namespace wangge::analytics {

namespace {

struct WorkbookCloser {
    void operator()(lxw_workbook* wb) const noexcept {
        if (wb) workbook_close(wb);
    }
};
using WorkbookPtr = std::unique_ptr<lxw_workbook, WorkbookCloser>;

class Sheet {
public:
    Sheet(lxw_workbook* wb, const char* name, lxw_format* header) : m_ws(workbook_add_worksheet(wb, name)), m_header(header) {
        if (!m_ws) throw Error(ErrorCode::internal, "xlsx: cannot add a worksheet");
        worksheet_set_column(m_ws, 0, 0, 22, nullptr);
        worksheet_set_column(m_ws, 1, 20, 12, nullptr);
    }

    void header(std::initializer_list<const char*> names) {
        lxw_col_t c = 0;
        for (const char* n : names) worksheet_write_string(m_ws, m_row, c++, n, m_header);
        ++m_row;
    }
    Sheet& text(const std::string& s) {
        worksheet_write_string(m_ws, m_row, m_col++, s.c_str(), nullptr);
        return *this;
    }
    Sheet& number(double v) {
        worksheet_write_number(m_ws, m_row, m_col++, v, nullptr);
        return *this;
    }
    Sheet& number(std::optional<double> v) {
        if (v) worksheet_write_number(m_ws, m_row, m_col, *v, nullptr);
        ++m_col;
        return *this;
    }
    void end_row() {
        ++m_row;
        m_col = 0;
    }

private:
    lxw_worksheet* m_ws;
    lxw_format* m_header;
    lxw_row_t m_row = 0;
    lxw_col_t m_col = 0;
};

void indicator_header(Sheet& s, const char* first) {
    s.header({first, "上报", "立案", "交办", "应办结", "办结", "办结率", "按期办结", "按期办结率", "超期未办结",
              "期限内在办", "返工率", "督办", "用时中位数(小时)", "用时P90(小时)"});
}

void indicator_row(Sheet& s, const std::string& name, const Indicators& v) {
    s.text(name)
        .number(static_cast<double>(v.reported))
        .number(static_cast<double>(v.accepted))
        .number(static_cast<double>(v.dispatched))
        .number(static_cast<double>(v.due))
        .number(static_cast<double>(v.closed))
        .number(v.completion_rate)
        .number(static_cast<double>(v.closed_on_time))
        .number(v.on_time_rate)
        .number(static_cast<double>(v.overdue_open))
        .number(static_cast<double>(v.in_time_open))
        .number(v.rework_rate)
        .number(static_cast<double>(v.supervised))
        .number(v.median_hours)
        .number(v.p90_hours)
        .end_row();
}

void indicator_sheet(lxw_workbook* wb, lxw_format* bold, const char* name, const char* first,
                     const std::vector<NamedRow>& rows) {
    Sheet s(wb, name, bold);
    indicator_header(s, first);
    for (const auto& r : rows) indicator_row(s, r.name, r.values);
}

std::filesystem::path temp_path() {
    static std::atomic<unsigned> counter{0};
    return std::filesystem::temp_directory_path() /
           ("wangge-meeting-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".xlsx");
}

}  // namespace

std::string render_meeting_xlsx(const MeetingPack& p) {
    const auto path = temp_path();
    {
        WorkbookPtr wb(workbook_new(path.c_str()));
        if (!wb) throw Error(ErrorCode::internal, "xlsx: cannot create the workbook");
        lxw_format* bold = workbook_add_format(wb.get());
        format_set_bold(bold);

        Sheet summary(wb.get(), "本月概况", bold);
        summary.header({"镇街", "月份", "统计截至"});
        summary.text(p.town_name).text(p.month).text(format_rfc3339(p.as_of)).end_row();
        summary.end_row();
        indicator_header(summary, "范围");
        indicator_row(summary, "本月", p.month_total);
        indicator_row(summary, "上月", p.previous_total);

        indicator_sheet(wb.get(), bold, "四个平台", "平台", p.by_platform);
        indicator_sheet(wb.get(), bold, "上报最多网格", "网格", p.top_grids);
        indicator_sheet(wb.get(), bold, "办结率最低网格", "网格", p.lowest_grids);

        Sheet trends(wb.get(), "时空热点", bold);
        trends.header({"网格", "网格编号", "模式", "Mann-Kendall S", "Z", "p"});
        for (const auto& e : p.emerging) {
            trends.text(e.grid_name).text(e.grid).text(emerging_label(e.category));
            trends.number(static_cast<double>(e.trend.s)).number(e.trend.z).number(e.trend.p);
            for (double c : e.counts) trends.number(c);
            trends.end_row();
        }

        Sheet overdue(wb.get(), "超期未办结", bold);
        overdue.header({"编号", "网格", "类别", "平台", "交办时间", "办理期限", "超期(天)", "督办"});
        for (const auto& o : p.overdue) {
            overdue.number(static_cast<double>(o.id)).text(o.grid_name).text(o.category).text(platform_label(o.platform));
            overdue.text(format_rfc3339(o.dispatched_at)).text(format_rfc3339(o.due_at)).number(o.overdue_days);
            overdue.text(o.supervised ? "已督办" : "").end_row();
        }

        lxw_workbook* raw = wb.release();
        if (workbook_close(raw) != LXW_NO_ERROR) {
            std::error_code ec;
            std::filesystem::remove(path, ec);
            throw Error(ErrorCode::internal, "xlsx: cannot write the workbook");
        }
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (!in) throw Error(ErrorCode::internal, "xlsx: cannot read the workbook back");
    return bytes.str();
}

}  // namespace wangge::analytics
