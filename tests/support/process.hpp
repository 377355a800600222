#pragma once
// Real processes for tests: a `wangge serve` child, private PostgreSQL clusters through
// scripts/pg.sh, free ports.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <sys/types.h>

namespace wangge::test {

/// A TCP port on 127.0.0.1 that nobody listens on right now.
int free_port();

/// Runs a command (no shell) with extra environment; its stdout and stderr go to `log`.
/// @returns the exit status, -1 when killed by a signal or not started
int run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                const std::string& log = "/dev/null");

class ChildProcess {
public:
    ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env, const std::string& log);
    ~ChildProcess();  // SIGKILL and reap when still running
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const noexcept { return m_pid; }
    void signal(int sig);
    /// Waits up to `seconds`. @returns the exit status, 128+N for signal N, -1 on timeout
    int wait(double seconds);

private:
    pid_t m_pid = -1;
    bool m_reaped = false;
};

/// `wangge serve` on a free port against `conninfo`, waited for until /healthz answers.
class ServeProcess {
public:
    ServeProcess(const std::string& conninfo, const std::vector<std::string>& extra_args = {});
    std::string base() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    ChildProcess& process() { return *m_child; }
    /// The server's stderr so far (for failure messages).
    std::string log() const;

private:
    int m_port;
    std::string m_log;
    std::unique_ptr<ChildProcess> m_child;
};

/// A throw-away PostGIS cluster of the test's own (scripts/pg.sh with WANGGE_PG_DIR), which
/// the test may stop and start at will; destroyed with the object.
class PrivateCluster {
public:
    PrivateCluster();
    ~PrivateCluster();
    PrivateCluster(const PrivateCluster&) = delete;
    PrivateCluster& operator=(const PrivateCluster&) = delete;

    void start();
    /// pg_ctl stop -m fast: open transactions are rolled back, clients cut off.
    void stop();
    /// The `wangge` database (created by start()).
    std::string conninfo() const;

private:
    int pg(const std::string& command) const;
    std::string m_dir;
    int m_port;
};

/// The wangge binary under test and the repository's scripts directory.
std::string wangge_binary();
std::string scripts_dir();

}  // namespace wangge::test
