#!/bin/sh
# What revocation checking costs: full mutual-TLS handshakes per second
# (openssl s_time -new, one client, RSA 2048, TLS 1.3) against xdsd with
# no CRL, with a CRL of BENCH_CRL_ENTRIES (10,000) revoked serials, and
# against openssl s_server with the same files, side by side; then how
# long xdsd -n takes to read the files (what a SIGHUP reload costs).
# Run by bench/run tls from a build directory: ./xdsd, $work given.
set -eu
work=$1
seconds=${BENCH_TLS_SECONDS:-10}
entries=${BENCH_CRL_ENTRIES:-10000}
d=$work/tls
mkdir -p "$d"
cd "$d"
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bench CA" \
    -keyout ca.key -out ca.pem
for who in server client; do
	q openssl req -newkey rsa:2048 -nodes -subj "/CN=$who" -keyout $who.key \
	    -out $who.csr
	printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
	q openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile san.ext -out $who.pem
done
cd - >/dev/null
sh "$(dirname "$0")/make_crl.sh" "$d" "$entries"

# s_time against host:port: "N connections in T real seconds" -> N/T.
rate() {
	openssl s_time -connect "127.0.0.1:$1" -new -time "$seconds" \
	    -cert "$d/client.pem" -key "$d/client.key" -CAfile "$d/ca.pem" 2>/dev/null |
	    awk '/connections in [0-9.]+ real/ { printf "%.0f handshakes/s\n", $1 / $4 }'
}
xdsd_rate() {
	rm -rf "$work/tls-state"
	./xdsd -f -C http.listen=127.0.0.1:0 -C node.state_dir="$work/tls-state" \
	    -C node.log_level=warning -C dicom.enabled=no -C gateway.responding=no \
	    -C http.tls=yes -C http.cert="$d/server.pem" -C http.key="$d/server.key" \
	    -C http.ca="$d/ca.pem" "$@" 2>"$work/tls-xdsd.log" &
	tpid=$!
	for i in $(seq 1 600); do
		[ -f "$work/tls-state/xdsd.ports" ] && break
		sleep 0.1
	done
	rate "$(awk '$1 == "http" { print $3 }' "$work/tls-state/xdsd.ports")"
	kill "$tpid"; wait "$tpid" 2>/dev/null || true
}
sserver_rate() {
	openssl s_server -accept 0 -cert "$d/server.pem" -key "$d/server.key" \
	    -CAfile "$d/ca.pem" -Verify 4 -www "$@" </dev/null >"$work/tls-ss.out" 2>&1 &
	spid=$!
	for i in $(seq 1 100); do
		grep -q '^ACCEPT' "$work/tls-ss.out" && break
		sleep 0.1
	done
	rate "$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$work/tls-ss.out")"
	kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true
}
printf 'xdsd, no CRL             '; xdsd_rate
printf 'xdsd, %6d-entry CRL    ' "$entries"; xdsd_rate -C http.crl="$d/crl.pem"
printf 's_server, no CRL         '; sserver_rate
printf 's_server, %6d-entry CRL' "$entries"; printf ' '
sserver_rate -CRL "$d/crl.pem" -crl_check_all
for crl in "" "$d/crl.pem"; do
	set -- -C http.tls=yes -C http.cert="$d/server.pem" -C http.key="$d/server.key" \
	    -C http.ca="$d/ca.pem" -C node.state_dir="$work/tls-n" -C gateway.responding=no
	[ -n "$crl" ] && set -- "$@" -C http.crl="$crl"
	label="without a CRL"
	[ -n "$crl" ] && label="with the CRL"
	t0=$(date +%s%N)
	for i in 1 2 3 4 5 6 7 8 9 10; do ./xdsd -n "$@" 2>/dev/null; done
	t1=$(date +%s%N)
	printf 'xdsd -n, %s: %d ms a run (reads what a SIGHUP reads)\n' "$label" \
	    $(( (t1 - t0) / 10000000 ))
done
