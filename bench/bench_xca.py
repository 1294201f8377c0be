#!/usr/bin/env python3
"""XCA Initiating Gateway benchmark: one ITI-18 fanned out as ITI-38 to
20 communities that answer after 200 ms, side by side with the slowest
community asked directly and with curl's own concurrent fan-out of the same
20 requests (the floor), then with two dead communities in the directory,
then 50 concurrent consumers; xdsd's peak RSS (VmHWM).

The communities: one real xdsd Responding Gateway is started first, a few
documents of one patient are submitted to it and its ITI-38 answer for that
patient is captured; the xdsd is stopped.  The 20 communities are then one
Python asyncio process (`--serve`, a process of its own, 20 listening
ports) that answers every request with that captured answer after the
delay: home= changed to the community's HCID, the objects' ids (and the
references to them) made unique per community, wsa:RelatesTo set to the
request's MessageID, Content-Type as the RG sent it.  The dead
communities: a port that refuses connections (bound, not listening) and
one of the server's ports that accepts and reads but never answers.

Run from a build directory (xdsd there):  ../bench/bench_xca.py
Needs curl for the floor.  Options: --help.
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import xdsmsg as m  # noqa: E402
import xdstest  # noqa: E402

ACT_ITI18 = "urn:ihe:iti:2007:RegistryStoredQuery"
ACT_ITI38 = "urn:ihe:iti:2007:CrossGatewayQuery"
HCID_RG = "urn:oid:1.3.6.1.4.1.21367.13.79.1"     # the captured answer's
HCID_IG = "urn:oid:1.3.6.1.4.1.21367.13.79.2"     # the node under test
HCID_PEER = "urn:oid:1.3.6.1.4.1.21367.13.80.%d"  # the live communities
HCID_REFUSE = "urn:oid:1.3.6.1.4.1.21367.13.81.1"
HCID_HANG = "urn:oid:1.3.6.1.4.1.21367.13.81.2"
FIND_DOCUMENTS = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"


def find_documents(pat, n=None):
    """FindDocuments for pat; with n, also a CreationTimeFrom of 1900 that
    differs for every n: a distinct query that asks for the same documents
    (identical concurrent queries share one fan-out at the gateway)."""
    extra = ""
    if n is not None:
        extra = ('<rim:Slot name="$XDSDocumentEntryCreationTimeFrom"><rim:ValueList>'
                 '<rim:Value>1900%02d%02d%02d%02d%02d</rim:Value></rim:ValueList></rim:Slot>'
                 % (n // 2678400 % 12 + 1, n // 86400 % 31 + 1, n // 3600 % 24,
                    n // 60 % 60, n % 60))
    return ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
            'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">'
            '<query:ResponseOption returnType="LeafClass" returnComposedObjects="true"/>'
            '<rim:AdhocQuery id="%s">'
            '<rim:Slot name="$XDSDocumentEntryPatientId"><rim:ValueList>'
            '<rim:Value>\'%s\'</rim:Value></rim:ValueList></rim:Slot>'
            '<rim:Slot name="$XDSDocumentEntryStatus"><rim:ValueList>'
            '<rim:Value>(\'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved\')</rim:Value>'
            '</rim:ValueList></rim:Slot>%s</rim:AdhocQuery></query:AdhocQueryRequest>'
            % (FIND_DOCUMENTS, m.esc(pat), extra))


def pct(v, p):
    """The p-th percentile (nearest rank) of v."""
    s = sorted(v)
    return s[min(len(s) - 1, max(0, int(round(p / 100.0 * len(s) + 0.5)) - 1))]


def ms(s):
    return s * 1000.0


def cpu(pid):
    """user + system CPU seconds of pid."""
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


# --- the communities (a process of their own: --serve) ----------------------

def community_answers(template, n):
    """For community k (0..n-1): (before, after) of its answer around the
    RelatesTo value, from the captured answer (bytes, with the marker
    @@RELATES@@ where the RG's RelatesTo value was)."""
    ids = sorted(set(re.findall(rb'\sid="(urn:uuid:[0-9a-fA-F-]{36})"', template)))
    out = []
    for k in range(n):
        a = template.replace(('home="%s"' % HCID_RG).encode(),
                             ('home="%s"' % (HCID_PEER % (k + 1))).encode())
        for i in ids:
            a = a.replace(i, ("urn:uuid:%s" % uuid.uuid4()).encode())
        before, after = a.split(b"@@RELATES@@")
        out.append((before, after))
    return out


def serve(spec_path):
    """The communities: spec {template, ctype, n, delay_ms}; prints one line
    "ports P1 ... Pn HANG" once all listen, answers until SIGTERM."""
    with open(spec_path) as f:
        spec = json.load(f)
    with open(spec["template"], "rb") as f:
        template = f.read()
    answers = community_answers(template, spec["n"])
    delay = spec["delay_ms"] / 1000.0
    ctype = spec["ctype"].encode()
    msgid = re.compile(rb"<(?:[\w.-]+:)?MessageID[^>]*>\s*([^<\s]+)\s*<")

    async def read_request(reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        n = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            k = k.strip().lower()
            if k == b"content-length":
                n = int(v)
            elif k == b"expect" and v.strip().lower() == b"100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return await reader.readexactly(n)

    def live(k):
        before, after = answers[k]

        async def handle(reader, writer):
            try:
                body = await read_request(reader, writer)
                await asyncio.sleep(delay)
                mm = msgid.search(body)
                resp = before + (mm.group(1) if mm else b"urn:uuid:unknown") + after
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n%s" % (ctype, len(resp), resp))
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
                pass
            finally:
                writer.close()
        return handle

    async def hang(reader, writer):
        """Accepts, reads, never answers: holds the connection until the
        client gives up."""
        try:
            while await reader.read(65536):
                pass
        except ConnectionError:
            pass
        writer.close()

    async def main():
        servers = []
        for k in range(spec["n"]):
            servers.append(await asyncio.start_server(live(k), "127.0.0.1", 0, backlog=1024))
        servers.append(await asyncio.start_server(hang, "127.0.0.1", 0, backlog=1024))
        print("ports " + " ".join(str(s.sockets[0].getsockname()[1]) for s in servers),
              flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


# --- the benchmark -----------------------------------------------------------

def capture(xdsd, work, ndocs, pat):
    """A real xdsd RG's ITI-38 answer for pat (ndocs documents): (template
    bytes with @@RELATES@@ for the RelatesTo value, Content-Type,
    ExtrinsicObjects)."""
    rg = xdstest.Xdsd(xdsd, work, name="rg",
                      opts=["node.log_level=warning", "gateway.allow=anonymous",
                            "node.home_community_id=" + HCID_RG,
                            "repository.unique_id=1.3.6.1.4.1.21367.13.79.1.1"])
    if not rg.start():
        rg.dump_log()
        raise RuntimeError("the RG xdsd did not start")
    try:
        st, errs, _, _, _ = m.submit(rg.port, [b"document %d of the benchmark" % i
                                               for i in range(ndocs)], pat=pat)
        if "Success" not in (st or ""):
            raise RuntimeError("ITI-41 to the RG: %s %s" % (st, errs))
        env = xdstest.soap_envelope(ACT_ITI38, find_documents(pat))
        mid = re.search(rb"<wsa:MessageID>([^<]+)<", env).group(1)
        st, hdr, body = xdstest.request(rg.port, "POST", "/xca/responding", env,
                                        {"Content-Type": xdstest.SOAP12})
        neo = body.count(b"ExtrinsicObject ")
        if st != 200 or b"ResponseStatusType:Success" not in body or neo != ndocs:
            raise RuntimeError("ITI-38 to the RG: HTTP %d, %d objects: %r"
                               % (st, neo, body[:600]))
        if body.count(mid) != 1 or body.count(('home="%s"' % HCID_RG).encode()) < ndocs:
            raise RuntimeError("the RG's answer has no RelatesTo or no home: %r" % body[:600])
        return body.replace(mid, b"@@RELATES@@"), hdr["content-type"], neo
    finally:
        rg.stop()


class Query:
    """Timed ITI-18/ITI-38 exchanges, one connection each (as the gateway's
    client makes them)."""

    def __init__(self, pat):
        self.pat = pat

    def iti18(self, port, n=None):
        env = xdstest.soap_envelope(ACT_ITI18, find_documents(self.pat, n))
        t = time.monotonic()
        st, body = xdstest.post(port, "/xca/initiating", env, timeout=120)
        return time.monotonic() - t, st, body

    def iti38(self, port):
        env = xdstest.soap_envelope(ACT_ITI38, find_documents(self.pat))
        t = time.monotonic()
        st, body = xdstest.post(port, "/", env, timeout=120)
        return time.monotonic() - t, st, body


def status(body):
    r = re.search(rb'AdhocQueryResponse[^>]*status="[^"]*:([A-Za-z]+)"', body)
    return r.group(1).decode() if r else "?"


def unavailable(body):
    return len(re.findall(rb'errorCode="XDSUnavailableCommunity"', body))


def summary(label, v, extra=""):
    print("%-44s %7.1f ms p50 %7.1f ms p95 %7.1f ms max  (n=%d)%s"
          % (label, ms(pct(v, 50)), ms(pct(v, 95)), ms(max(v)), len(v), extra))


def curl_fanout(urls, req, cfg):
    """curl --parallel of one request to each url: (wall s from start to
    exit, slowest transfer's time_total s, its time_connect s)."""
    with open(cfg, "w") as f:
        for u in urls:
            f.write('url = "%s"\noutput = "/dev/null"\n' % u)
    t = time.monotonic()
    r = subprocess.run(["curl", "-s", "--no-progress-meter", "--parallel", "--parallel-immediate",
                        "--parallel-max", str(len(urls)),
                        "-H", 'Content-Type: application/soap+xml; charset=UTF-8; action="%s"'
                        % ACT_ITI38, "-H", "Connection: close", "-H", "Expect:",
                        "-w", "%{http_code} %{time_connect} %{time_total}\n",
                        "--data-binary", "@" + req, "-K", cfg],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    wall = time.monotonic() - t
    rows = [line.split() for line in r.stdout.decode().splitlines() if line.strip()]
    if r.returncode != 0 or len(rows) != len(urls) or any(x[0] != "200" for x in rows):
        raise RuntimeError("curl fan-out: exit %d, %r" % (r.returncode, rows))
    slow = max(rows, key=lambda x: float(x[2]))
    return wall, float(slow[2]), float(slow[1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xdsd", default="./xdsd")
    ap.add_argument("--communities", type=int, default=20)
    ap.add_argument("--delay-ms", type=int, default=200, help="each community's answer delay")
    ap.add_argument("--docs", type=int, default=3, help="documents of the patient per community")
    ap.add_argument("--queries", type=int, default=30, help="sequential queries per measure")
    ap.add_argument("--dead-queries", type=int, default=10,
                    help="sequential queries with the dead communities (each ~ --timeout), "
                    "and as many with the refusing one alone")
    ap.add_argument("--direct", type=int, default=3, help="direct queries of each community")
    ap.add_argument("--timeout", type=int, default=2, help="gateway.timeout (s)")
    ap.add_argument("--consumers", type=int, default=50)
    ap.add_argument("--concurrent-queries", type=int, default=300,
                    help="queries the concurrent consumers make together")
    ap.add_argument("-C", dest="opts", action="append", default=[],
                    help="more xdsd -C settings for the initiating gateway")
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.serve:
        serve(a.serve)
        return 0
    if shutil.which("curl") is None:
        print("SKIP: curl not installed")
        return 77
    work = tempfile.mkdtemp(prefix="bench-xca-", dir=os.environ.get("BENCH_DIR", os.getcwd()))
    srv = ig = refuse = None
    rc = 1
    try:
        pat = m.patient()
        template, ctype, neo = capture(a.xdsd, work, a.docs, pat)
        tpath = os.path.join(work, "answer.xml")
        with open(tpath, "wb") as f:
            f.write(template)
        spec = os.path.join(work, "serve.json")
        with open(spec, "w") as f:
            json.dump({"template": tpath, "ctype": ctype, "n": a.communities,
                       "delay_ms": a.delay_ms}, f)
        srv = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", spec],
                               stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        line = srv.stdout.readline().decode().split()
        if not line or line[0] != "ports":
            raise RuntimeError("the communities did not start")
        ports = [int(p) for p in line[1:]]
        live, hang_port = ports[:-1], ports[-1]
        refuse = xdstest.reserve_port()     # bound, not listening: refused
        urls = ["http://127.0.0.1:%d/xca/responding" % p for p in live]
        lines = ["%s %s - Community %d" % (HCID_PEER % (k + 1), u, k + 1)
                 for k, u in enumerate(urls)]
        dir_live = os.path.join(work, "communities")
        dir_dead = os.path.join(work, "communities-dead")
        dir_refuse = os.path.join(work, "communities-refuse")
        with open(dir_live, "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(dir_refuse, "w") as f:
            f.write("\n".join(lines) + "\n")
            f.write("%s http://127.0.0.1:%d/xca/responding - Refuses connections\n"
                    % (HCID_REFUSE, refuse.port))
        with open(dir_dead, "w") as f:
            f.write("\n".join(lines) + "\n")
            f.write("%s http://127.0.0.1:%d/xca/responding - Refuses connections\n"
                    % (HCID_REFUSE, refuse.port))
            f.write("%s http://127.0.0.1:%d/xca/responding - Accepts, never answers\n"
                    % (HCID_HANG, hang_port))
        q = Query(pat)
        want = a.communities * a.docs

        def start_ig(dirf):
            n = xdstest.Xdsd(a.xdsd, work, name="ig",
                             opts=["node.log_level=warning", "directory.file=" + dirf,
                                   "node.home_community_id=" + HCID_IG,
                                   "gateway.timeout=%d" % a.timeout] + a.opts)
            if not n.start():
                n.dump_log()
                raise RuntimeError("the initiating gateway's xdsd did not start")
            return n

        def ig_query(port, n=None):
            t, st, body = q.iti18(port, n)
            got = body.count(b"ExtrinsicObject ")
            if st != 200 or got != want:
                codes = sorted(set(re.findall(rb'errorCode="([^"]+)"', body)))
                raise RuntimeError("ITI-18 at the IG: HTTP %d, %s, %d objects of %d, %s"
                                   % (st, status(body), got, want,
                                      b" ".join(codes).decode() or repr(body[:300])))
            return t, status(body), unavailable(body)

        print("# %s, %s, %d cores, load average %s; %d communities answering after %d ms, "
              "%d ExtrinsicObjects each (%d bytes), gateway.timeout %d s"
              % (time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()), os.uname().machine,
                 os.cpu_count(), loadavg(), a.communities, a.delay_ms, neo, len(template),
                 a.timeout))

        # 1. No dead communities: the IG, the floor and the IG again in
        # turn per round (same load), then each community directly.
        ig = start_ig(dir_live)
        idle = ig.vm_hwm_kb()
        req = os.path.join(work, "iti38.xml")
        with open(req, "wb") as f:
            f.write(xdstest.soap_envelope(ACT_ITI38, find_documents(pat)))
        cfg = os.path.join(work, "curl.cfg")
        ig_query(ig.port)                       # warm-up (first connections, caches)
        curl_fanout(urls, req, cfg)
        t_ig, t_floor, t_floor_tt, t_floor_conn, sts = [], [], [], [], set()
        c0, s0 = cpu(ig.proc.pid), cpu(srv.pid)
        for i in range(a.queries):
            t, st, _ = ig_query(ig.port)
            t_ig.append(t)
            sts.add(st)
            w, tt, tc = curl_fanout(urls, req, cfg)
            t_floor.append(w)
            t_floor_tt.append(tt)
            t_floor_conn.append(tc)
        c1, s1 = cpu(ig.proc.pid), cpu(srv.pid)
        t_direct, per_peer = [], []
        for k, p in enumerate(live):
            v = []
            for i in range(a.direct):
                t, st, body = q.iti38(p)
                if st != 200 or status(body) != "Success":
                    raise RuntimeError("community %d: HTTP %d %s" % (k + 1, st, status(body)))
                v.append(t)
            t_direct += v
            per_peer.append(pct(v, 50))
        slowest = max(per_peer)
        hwm_seq = ig.vm_hwm_kb()
        print("load average %s" % loadavg())
        summary("IG ITI-18, %d communities, sequential" % a.communities, t_ig,
                "  %s; xdsd CPU %.1f ms/query" % ("/".join(sorted(sts)),
                                                   ms((c1 - c0) / a.queries)))
        summary("floor: curl --parallel, the %d ITI-38s" % a.communities, t_floor,
                "  (wall, curl's start included)")
        summary("floor: its slowest transfer (time_total)", t_floor_tt,
                "  connect p50 %.2f ms" % ms(pct(t_floor_conn, 50)))
        summary("each community directly, one at a time", t_direct,
                "  communities' CPU %.1f ms/round" % ms((s1 - s0) / a.queries))
        print("%-44s %7.1f ms (median of its %d direct queries)"
              % ("slowest live community, directly", ms(slowest), a.direct))
        print("%-44s %7.2f (IG p50 / slowest community; goal <= 1.2), %.2f p95 / slowest, "
              "%.2f against the curl floor p50"
              % ("ratio without dead communities", pct(t_ig, 50) / slowest,
                 pct(t_ig, 95) / slowest, pct(t_ig, 50) / pct(t_floor, 50)))

        # 2. 50 concurrent consumers, same 20 communities: distinct
        # queries (every one a fan-out), then identical ones (shared).
        def concurrent(distinct):
            lat, errs, lock = [], [], threading.Lock()
            left = [a.concurrent_queries]

            def consumer():
                while True:
                    with lock:
                        if left[0] <= 0:
                            return
                        left[0] -= 1
                        n = left[0] if distinct else None
                    try:
                        t, st, _ = ig_query(ig.port, n)
                        with lock:
                            lat.append(t)
                    except (RuntimeError, OSError) as e:
                        with lock:
                            errs.append(re.sub(r"urn:uuid:[0-9a-f-]+", "urn:uuid:...",
                                               str(e))[:300])
            c0, s0, m0 = cpu(ig.proc.pid), cpu(srv.pid), sum(os.times()[:2])
            th = [threading.Thread(target=consumer) for _ in range(a.consumers)]
            t0 = time.monotonic()
            for x in th:
                x.start()
            for x in th:
                x.join()
            wall = time.monotonic() - t0
            c1, s1, m1 = cpu(ig.proc.pid), cpu(srv.pid), sum(os.times()[:2])
            print("load average %s" % loadavg())
            summary("IG ITI-18, %d consumers, %s queries" % (a.consumers, "distinct" if distinct
                                                              else "identical"), lat or [0],
                    "  %.1f queries/s, %d errors; CPU ms/query: xdsd %.1f, communities %.1f, "
                    "consumers %.1f" % (len(lat) / wall, len(errs),
                                        ms((c1 - c0) / max(1, len(lat))),
                                        ms((s1 - s0) / max(1, len(lat))),
                                        ms((m1 - m0) / max(1, len(lat)))))
            kinds = {}
            for e in errs:
                k = re.sub(r"\d+ objects of", "N objects of", e)
                kinds[k] = kinds.get(k, 0) + 1
            for k in sorted(kinds):
                print("  error (%d times): %s" % (kinds[k], k))
        concurrent(True)
        hwm_conc = ig.vm_hwm_kb()
        concurrent(False)
        ig.stop()
        ig = None

        # 3. With the dead communities: bounded by gateway.timeout.  First
        # the one that refuses connections alone (retried), then both.
        ig = start_ig(dir_refuse)
        ig_query(ig.port)
        t_ref, sts = [], set()
        for i in range(a.dead_queries):
            t, st, u = ig_query(ig.port)
            t_ref.append(t)
            sts.add(st)
        ig.stop()
        ig = None
        print("load average %s" % loadavg())
        summary("IG ITI-18, %d live + 1 refusing connections" % a.communities, t_ref,
                "  %s (gateway.retries as configured)" % "/".join(sorted(sts)))
        ig = start_ig(dir_dead)
        ig_query(ig.port)
        t_dead, sts, unav = [], set(), set()
        for i in range(a.dead_queries):
            t, st, u = ig_query(ig.port)
            t_dead.append(t)
            sts.add(st)
            unav.add(u)
        hwm_dead = ig.vm_hwm_kb()
        print("load average %s" % loadavg())
        summary("IG ITI-18, %d live + 2 dead communities" % a.communities, t_dead,
                "  %s, %s XDSUnavailableCommunity" % ("/".join(sorted(sts)),
                                                     "/".join(map(str, sorted(unav)))))
        print("%-44s %7.1f ms p50 over the live-only p50 (gateway.timeout %d ms); answer at "
              "most %.0f ms, %s gateway.timeout"
              % ("what the dead communities cost", ms(pct(t_dead, 50) - pct(t_ig, 50)),
                 a.timeout * 1000, ms(max(t_dead)),
                 "within" if max(t_dead) <= a.timeout else
                 "%.0f ms over" % ms(max(t_dead) - a.timeout)))
        print("%-44s %5d MiB idle, %d after the sequential queries, %d after %d concurrent "
              "consumers, %d with the dead communities"
              % ("xdsd VmHWM", idle // 1024, hwm_seq // 1024, hwm_conc // 1024, a.consumers,
                 hwm_dead // 1024))
        rc = 0
    except (RuntimeError, OSError) as e:
        print("bench_xca: %s" % e, file=sys.stderr)
        if ig is not None and not ig.running():
            print("bench_xca: the initiating gateway's xdsd exited (status %s) without being "
                  "asked by the benchmark; status 0 with nothing in its log is a SIGTERM or "
                  "SIGINT from outside: run again" % ig.returncode(), file=sys.stderr)
            ig.dump_log()
        rc = 99
    finally:
        if ig is not None:
            ig.stop()
        if srv is not None:
            xdstest.stop_process(srv)
        if refuse is not None:
            refuse.close()
        shutil.rmtree(work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
