#!/usr/bin/env bash
# system-deps.sh: install the Debian packages the tests and benchmarks need,
# only those that are missing. Run as root (CI is), or with sudo available.
#
#   scripts/system-deps.sh test    redis-server, chromium, xsltproc, xmllint (tests)
#   scripts/system-deps.sh bench   nginx, wrk-free: nginx only (side-by-side benchmark)
set -euo pipefail

want=()
need() { command -v "$1" >/dev/null 2>&1 || want+=("$2"); }

case "${1:-test}" in
test)
	need redis-server redis-server
	need chromium chromium
	need xsltproc xsltproc # the XSLT processor's differential test
	need xmllint libxml2-utils # the XML Schema validator's differential test
	;;
bench)
	need nginx nginx
	;;
*)
	echo "usage: $0 test|bench" >&2
	exit 2
	;;
esac

[ ${#want[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "system-deps: missing ${want[*]}; run as root: apt-get install -y ${want[*]}" >&2
		exit 1
	fi
fi
echo "system-deps: installing ${want[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${want[@]}" >/dev/null
for p in "${want[@]}"; do
	case "$p" in
	redis-server) command -v redis-server >/dev/null ;;
	chromium) test -x /usr/bin/chromium ;;
	nginx) command -v nginx >/dev/null ;;
	esac
done
