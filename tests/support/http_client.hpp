#pragma once
// A blocking HTTP client for tests that speak to a real server (libcurl).

#include <string>
#include <vector>

namespace wangge::test {

struct HttpResult {
    long status = 0;  // 0: no answer (connection refused, reset, timed out)
    std::string body;
    std::string headers;  // the raw header block, "Name: value\r\n" lines
    double seconds = 0;   // time to the full answer or to the failure

    bool has_header(const std::string& line) const { return headers.find(line) != std::string::npos; }
};

HttpResult fetch(const std::string& url, const std::string& token, const std::string& method, const std::string& body,
                 const std::vector<std::string>& extra_headers, long timeout_seconds = 30);

inline HttpResult fetch(const std::string& url, const std::string& token = {}, const std::string& method = "GET",
                        const std::string& body = {}, long timeout_seconds = 30) {
    return fetch(url, token, method, body, {}, timeout_seconds);
}

}  // namespace wangge::test
