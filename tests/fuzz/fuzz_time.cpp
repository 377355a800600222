// Instants and dates as clients send them (core/time.hpp): RFC 3339, bare dates, months.
// What is accepted must survive our own formatting: parse(format(t)) == t.

#include "core/time.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace wangge;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = fuzz::as_text(data, size);
    if (auto t = parse_rfc3339(text)) {
        fuzz::check(parse_rfc3339(format_rfc3339(*t)) == t, "rfc3339 round trip (Shanghai)", text);
        fuzz::check(parse_rfc3339(format_rfc3339_utc(*t)) == t, "rfc3339 round trip (UTC)", text);
        (void)shanghai_day(*t);
    }
    if (auto t = parse_instant(text)) fuzz::check(parse_instant(format_rfc3339(*t)) == t, "instant round trip", text);
    if (auto d = parse_date(text)) {
        fuzz::check(parse_date(format_date(*d)) == d, "date round trip", text);
        fuzz::check(shanghai_day(shanghai_midnight(*d)) == *d, "midnight of a day is on that day", text);
    }
    if (auto m = parse_year_month(text)) {
        fuzz::check(m->ok(), "an invalid month was accepted", text);
        (void)shanghai_month_start(*m);
    }
    return 0;
}
