#!/usr/bin/env python3
"""ITI-43 Retrieve Document Set throughput by document size, for one or
more xdsd builds in turn (what checking stored bytes against their
recorded SHA-256 costs): each build stores the same documents on a fresh
state directory, then answers ITI-43 for each size, the builds taking
turns (--rounds).

  small documents (< 1 MiB): sequential requests on one kept-alive
      connection for --seconds, requests per second (the client is
      Python: the numbers compare builds, they are not the node's best);
  large documents: curl to /dev/null, the best of --runs, MB/s;
  and for both xdsd's CPU time (user + system) per request, which a
  machine shared with other work disturbs less than the rates.

Run from a build directory:
  ../bench/bench_retrieve.py --xdsd ./xdsd [--xdsd /other/build/xdsd ...]
Options of the node for every build: -C key=value (repeatable).
"""
import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import xdsmsg as m  # noqa: E402
import xdstest  # noqa: E402

REPO_ID = "1.3.6.1.4.1.21367.13.71.1"
SIZES = (16 << 10, 256 << 10, 4 << 20, 32 << 20, 128 << 20, 512 << 20)


def store(port, data):
    st, errs, uids, _, _ = m.submit(port, [data])
    if st != "Success":
        raise RuntimeError("ITI-41: %s %s" % (st, errs))
    return uids[0]


def cpu(pid):
    """User + system CPU seconds of pid so far."""
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")


def small_rate(port, uid, size, seconds):
    ct, body = m.mtom(m.ACT_ITI43, m.retrieve_body([(REPO_ID, uid, None)]), [])
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    n, t0 = 0, time.monotonic()
    try:
        while time.monotonic() - t0 < seconds:
            c.request("POST", "/xds/repository", body=body, headers={"Content-Type": ct})
            r = c.getresponse()
            got = r.read()
            if r.status != 200 or len(got) < size:
                raise RuntimeError("ITI-43: HTTP %d, %d bytes" % (r.status, len(got)))
            n += 1
    finally:
        c.close()
    return n / (time.monotonic() - t0)


def large_rate(port, uid, size, runs, work):
    ct, body = m.mtom(m.ACT_ITI43, m.retrieve_body([(REPO_ID, uid, None)]), [])
    rq = os.path.join(work, "ret.mime")
    with open(rq, "wb") as f:
        f.write(body)
    best = None
    for _ in range(runs):
        r = subprocess.run(["curl", "-s", "-S", "-w", "%{time_total} %{size_download} %{http_code}",
                            "-X", "POST", "-H", "Content-Type: " + ct, "--data-binary", "@" + rq,
                            "-o", "/dev/null", "http://127.0.0.1:%d/xds/repository" % port],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        t, n, code = r.stdout.decode().split()[-3:]
        if r.returncode != 0 or int(code) != 200 or int(n) < size:
            raise RuntimeError("ITI-43: curl %d HTTP %s, %s bytes" % (r.returncode, code, n))
        best = float(t) if best is None else min(best, float(t))
    return (size / 1e6) / best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xdsd", action="append", required=True, help="a build's xdsd (repeatable)")
    ap.add_argument("-C", dest="conf", action="append", default=[], help="key=value for every node")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--max-mb", type=int, default=512, help="largest size in MiB")
    a = ap.parse_args()
    if shutil.which("curl") is None:
        print("SKIP: curl not installed")
        return 77
    sizes = [s for s in SIZES if s <= a.max_mb << 20]
    docs = {s: os.urandom(s) for s in sizes}
    work = tempfile.mkdtemp(prefix="bench-retrieve-", dir=os.environ.get("BENCH_DIR", os.getcwd()))
    res = {}
    try:
        for rnd in range(a.rounds):
            order = a.xdsd if rnd % 2 == 0 else list(reversed(a.xdsd))
            for b in order:
                d = os.path.join(work, "n%d" % a.xdsd.index(b))
                shutil.rmtree(d, ignore_errors=True)
                node = xdstest.Xdsd(b, d, ["node.log_level=warning", "repository.unique_id=" + REPO_ID,
                                           "repository.max_document_size=1g"] + a.conf)
                if not node.start():
                    node.dump_log()
                    raise RuntimeError("%s did not start" % b)
                try:
                    for s in sizes:
                        uid = store(node.port, docs[s])
                        c0, t0 = cpu(node.proc.pid), time.monotonic()
                        if s < (1 << 20):
                            v = small_rate(node.port, uid, s, a.seconds)
                            nreq = v * (time.monotonic() - t0)
                        else:
                            v = large_rate(node.port, uid, s, a.runs, work)
                            nreq = a.runs
                        c = (cpu(node.proc.pid) - c0) / nreq
                        res.setdefault((b, s), []).append((v, c))
                finally:
                    node.stop()
        print("# %s, %s, load %s" % (time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()),
                                     os.uname().machine, " ".join(open("/proc/loadavg").read().split()[:3])))
        for s in sizes:
            unit = "req/s" if s < (1 << 20) else "MB/s"
            cells = ["%s: %s, CPU %s ms" % (b, " ".join("%.0f" % v for v, _ in res[(b, s)]),
                                            " ".join("%.2f" % (c * 1000) for _, c in res[(b, s)]))
                     for b in a.xdsd]
            print("%9d bytes, %s   %s" % (s, unit, "   ".join(cells)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
