#pragma once
// A blocking HTTP client for tests that speak to a real server (libcurl).

#include <string>

namespace wangge::test {

struct HttpResult {
    long status = 0;  // 0: no answer (connection refused, reset, timed out)
    std::string body;
    std::string headers;
    double seconds = 0;  // time to the full answer or to the failure
};

HttpResult fetch(const std::string& url, const std::string& token = {}, const std::string& method = "GET",
                 const std::string& body = {}, long timeout_seconds = 30);

}  // namespace wangge::test
