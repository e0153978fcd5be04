#!/usr/bin/env bash
# redis-test-server.sh: the redis-server the store tests need.
#
#   scripts/redis-test-server.sh install      install redis-server if missing (Debian/Ubuntu, as root)
#   scripts/redis-test-server.sh run [PORT]   run a throw-away server in the foreground (default 6390)
#
# The Go tests (store/redis_test.go) start and kill their own servers; they
# only need the binary on PATH and fail, rather than skip, without it.
set -euo pipefail

case "${1:-install}" in
install)
	if command -v redis-server >/dev/null 2>&1; then
		exit 0
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq redis-server >/dev/null
	# Debian may start a system service on 6379; the tests do not use it.
	command -v redis-server >/dev/null
	;;
run)
	port="${2:-6390}"
	exec redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no
	;;
*)
	echo "usage: $0 install | run [PORT]" >&2
	exit 2
	;;
esac
