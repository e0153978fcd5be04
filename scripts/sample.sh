#!/usr/bin/env bash
# sample.sh BIN SAMPLE_DIR: run the SignalR chat sample behind tollgate
# (go tool task sample). Ctrl-C (or either program exiting) stops both.
# A real bash script: task's built-in shell has no `trap ... INT TERM`.
set -u
bin=${1:?usage: sample.sh BIN SAMPLE_DIR}
sample=${2:?usage: sample.sh BIN SAMPLE_DIR}

pids=()
stop() {
	trap - EXIT INT TERM
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait
}
trap stop EXIT
trap 'exit 0' INT # Ctrl-C is how the sample is meant to stop
trap 'exit 143' TERM

"$bin/signalr-chat" --node-modules "$sample/node_modules" &
pids+=($!)
"$bin/tollgate" serve --apis apis --listen 127.0.0.1:8080 --admin 127.0.0.1:9090 &
pids+=($!)

alive() {
	for p in "${pids[@]}"; do
		kill -0 "$p" 2>/dev/null || { echo "sample: a program exited (see above; a port in use?)" >&2; exit 1; }
	done
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Wait until the app and the gateway listen (or one of them died).
for _ in $(seq 100); do
	alive
	listening 5000 && listening 8080 && break
	sleep 0.1
done
sleep 0.2
alive
echo
echo "  Chat page:  http://127.0.0.1:5000   (open it in two browser tabs)"
echo "  Gateway:    http://127.0.0.1:8080/chat (negotiate, then ws://127.0.0.1:8080/chat?id=...)   admin: http://127.0.0.1:9090/metrics"
echo "  Console:    http://127.0.0.1:9090/console/  (the Test tab of signalr-chat connects through the gateway)"
echo "  Ctrl-C stops both."
echo
# Returns as soon as either program exits; the EXIT trap stops the other.
wait -n
