# shellcheck shell=bash
# Sourced by the scripts that start servers (pg.sh, cluster.sh): whether a TCP port is
# taken, and the one-line refusal that names the variable to change. Checked before every
# start, so a port taken by something else is said plainly instead of showing up as a
# server that "started" and then died in its log.

# port_in_use PORT: true when something listens on PORT. ss sees listeners on every
# address (one on 0.0.0.0:P keeps 127.0.0.1:P from binding too); without iproute2, a
# connect to 127.0.0.1 is the next best test.
port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# check_port PROG VAR PORT [WHAT]: prints "PROG: port N is in use; set VAR to a free port"
# (WHAT, when given, says which ports VAR covers) and fails when PORT is not a port number
# or is taken.
check_port() {
  local prog=$1 var=$2 port=$3 what=${4:-}
  if ! [[ $port =~ ^[0-9]+$ ]] || (( port < 1 || port > 65535 )); then
    echo "$prog: $var=$port is not a port number" >&2
    return 1
  fi
  if port_in_use "$port"; then
    echo "$prog: port $port is in use; set $var to a free port${what:+ ($what)}" >&2
    return 1
  fi
}
