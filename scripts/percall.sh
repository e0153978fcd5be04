#!/usr/bin/env bash
# percall.sh TEST_BINARY BENCH N OUT: instructions and system calls per
# operation of one in-process benchmark (docs/websocket-data-path.md, "A
# round on system calls per handshake"). It runs BENCH (a -test.bench
# pattern, e.g. '^BenchmarkHandshake$') at N and 2N iterations under
# callgrind and under strace -f -c, and prints (2N - N) / N: the
# instructions by class (scripts/percall.py) and the system calls. Run it
# from the benchmark's package directory; build the binary with
#   CGO_ENABLED=0 go test -c -o BIN ./gateway
# (valgrind 3.19 needs a binary without cgo; see docs/http-server.md,
# "Instruction counts (callgrind)"). OUT is a directory for the raw files.
set -eu
bin=${1:?usage: percall.sh TEST_BINARY BENCH N OUT}
bench=${2:?usage: percall.sh TEST_BINARY BENCH N OUT}
n=${3:?usage: percall.sh TEST_BINARY BENCH N OUT}
out=${4:?usage: percall.sh TEST_BINARY BENCH N OUT}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
for k in "$n" $((2 * n)); do
	GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off valgrind --tool=callgrind \
		--callgrind-out-file="$out/cg.$k.out" "$bin" -test.run '^$' \
		-test.bench "$bench" -test.benchtime "${k}x" -test.cpu 1 >"$out/cg.$k.log" 2>&1 &
done
wait
for k in "$n" $((2 * n)); do
	strace -f -c -o "$out/st.$k.txt" "$bin" -test.run '^$' \
		-test.bench "$bench" -test.benchtime "${k}x" -test.cpu 1 >/dev/null 2>&1
done
python3 "$here/percall.py" "$out" "$n"
