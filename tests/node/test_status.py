#!/usr/bin/env python3
"""GET /status, GET /status.json and `xdsctl status` (make check).

Checks:
  * /status.json names the version, the endpoints, the requests per
    transaction (ITI-41 after a submission), the disk space, the recent
    warnings; no patient id appears in it or in the page;
  * /status is one self-contained HTML page (no script, no external
    asset) that headless Chromium renders with the node's version, the
    transactions and the disk; Chromium is looked for as `chromium`
    (tools/install-deps --test installs it), else those checks are
    skipped and say so;
  * `xdsctl status` prints the same as a report, `--json` as it is, and
    over mutual TLS shows the node's certificate and its days left;
    a node that does not answer is exit 1 with the reason;
  * a node on plain HTTP (loopback) with DICOM over TLS (dicom.tls,
    push.listen) shows the certificate those listeners serve on the page
    and in xds_tls_cert_not_after_seconds, and the new one after a
    SIGHUP with other files.
Prints one line per check and a final "N passed, M failed".
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import xdsmsg  # noqa: E402
from xdstest import (Xdsd, check, command_line, make_pki, summary, tmpdir,  # noqa: E402
                     wait_until)

BSN = "999911120"


def ctl(xdsctl, *args):
    p = subprocess.run([xdsctl, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def metric(node, name):
    st, body = node.get("/metrics")
    m = re.search(r"^%s (\d+)" % re.escape(name), body.decode(), re.M)
    return int(m.group(1)) if st == 200 and m else -1


def certificate(node):
    st, body = node.get("/status.json")
    try:
        return json.loads(body).get("certificate") if st == 200 else None
    except ValueError:
        return None


def dicom_tls_only(a, work, pki):
    """Plain HTTP on the loopback, DICOM over TLS: the certificate of
    the DICOM listeners is the one shown and watched."""
    live = {"cert": os.path.join(work, "pki", "live.pem"),
            "key": os.path.join(work, "pki", "live.key")}
    shutil.copy(pki["server_cert"], live["cert"])
    shutil.copy(pki["server_key"], live["key"])
    node = Xdsd(a.xdsd, work, ["dicom.tls=yes", "push.listen=127.0.0.1:0",
                               "http.cert=" + live["cert"], "http.key=" + live["key"],
                               "http.ca=" + pki["ca"], "dicom.publish_after=3600",
                               "gateway.responding=no"],
                name="dicomtls", dicom=True)
    try:
        if not check("a node with plain HTTP and DICOM over TLS starts", node.start()):
            node.dump_log()
            return
        c = certificate(node)
        check("its status shows the certificate DICOM serves, though HTTP is plain",
              isinstance(c, dict) and "CN=server" in c.get("subject", "") and
              c.get("not_after") and c.get("days_left", -1) >= 0, c)
        na = metric(node, "xds_tls_cert_not_after_seconds")
        check("... and xds_tls_cert_not_after_seconds is its notAfter",
              na > 0 and c is not None and
              time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(na)) == c.get("not_after"),
              (na, c))
        st, page = node.get("/status")
        html = page.decode("utf-8", "replace")
        check("... the page's certificate section too",
              re.search(r'<table id="certificate">.*CN=server.*valid until', html, re.S) and
              "none (" not in html, html[html.find('id="certificate"'):][:300])
        # other files, then SIGHUP: the certificate the reload installed
        shutil.copy(pki["client_cert"], live["cert"])
        shutil.copy(pki["client_key"], live["key"])
        node.proc.send_signal(signal.SIGHUP)
        check("after a SIGHUP with other files the new certificate is shown",
              wait_until(lambda: "CN=client" in (certificate(node) or {}).get("subject", "")),
              certificate(node))
        check("... and the reload counted", metric(node, 'xds_tls_reloads_total{result="ok"}') == 1,
              metric(node, 'xds_tls_reloads_total{result="ok"}'))
    finally:
        node.stop()


def main():
    a = command_line(xdsctl=True)
    work = tmpdir("status")
    # one community, which refuses every connection
    dfile = os.path.join(work, "communities")
    os.makedirs(work, exist_ok=True)
    with open(dfile, "w") as f:
        f.write("urn:oid:1.3.6.1.4.1.21367.13.70.9 http://127.0.0.1:1/xca/responding - "
                "Ziekenhuis Dicht\n")
    node = Xdsd(a.xdsd, work, ["directory.file=" + dfile], name="plain")
    tnode = None
    try:
        if not check("the node starts", node.start()):
            return summary()
        st, errs = xdsmsg.submit(node.port, [b"status test"], pat=xdsmsg.patient(BSN))[:2]
        check("a document is stored", st == "Success", errs)
        st, _, _ = xdsmsg.post(node.port, "/xca/initiating", "application/soap+xml",
                               xdsmsg.envelope("urn:ihe:iti:2007:RegistryStoredQuery",
                                               xdsmsg.find_documents(xdsmsg.patient(BSN))).encode())
        check("the initiating gateway asks the community", st == 200, st)
        st, body = node.get("/status.json")
        try:
            s = json.loads(body)
        except ValueError:
            s = {}
        txns = {t["txn"]: t for t in s.get("transactions", [])}
        check("/status.json names version, endpoints, transactions and disk",
              st == 200 and s.get("node", {}).get("version") and
              "/xds/registry" in s.get("http", {}).get("endpoints", []) and
              txns.get("ITI-41", {}).get("success") == 1 and
              s.get("disk", {}).get("free_bytes", 0) > 0, body[:600])
        comm = s.get("communities", [])
        check("... each community the initiating gateway asked, with how the last request went",
              any(c["hcid"] == "urn:oid:1.3.6.1.4.1.21367.13.70.9" and c["failed"] >= 1 and
                  c["last"] == "unavailable" for c in comm), comm)
        check("... and the recent warnings (plain HTTP's among them)",
              any("plain HTTP" in p["text"] for p in s.get("recent_problems", [])),
              s.get("recent_problems"))
        st, page = node.get("/status")
        html = page.decode("utf-8", "replace")
        check("/status is an HTML page", st == 200 and html.startswith("<!DOCTYPE html>"), html[:200])
        m = re.search(r"<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(|@import", html, re.I)
        check("... self-contained: no script, no external asset", not m,
              html[max(0, m.start() - 200):m.end() + 100] if m else "")
        check("no patient id in the status", BSN not in html and BSN.encode() not in body)

        browser = chromium()
        if browser is None:
            print("SKIP: chromium not installed (tools/install-deps --test): the page was not "
                  "rendered")
        else:
            p = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                                "--disable-dev-shm-usage", "--no-first-run",
                                "--user-data-dir=" + os.path.join(work, "chromium"),
                                "--dump-dom", node.url("/status")],
                               capture_output=True, text=True, timeout=120)
            dom = p.stdout
            check("headless Chromium renders the page with the version, transactions and disk",
                  "xdsnode " + s.get("node", {}).get("version", "?") in dom and
                  re.search(r'<table id="transactions">.*ITI-41', dom, re.S) and
                  'id="disk"' in dom and "free" in dom, (p.returncode, dom[:300], p.stderr[-300:]))

        rc, out, err = ctl(a.xdsctl, "--url", node.url(""), "status")
        check("xdsctl status reports version, listener and transactions",
              rc == 0 and out.startswith("xdsnode ") and "HTTP" in out and
              re.search(r"^ITI-41\s+1\s", out, re.M) and "disk" in out and
              re.search(r"^urn:oid:1.3.6.1.4.1.21367.13.70.9\s.*unavailable", out, re.M),
              out + err)
        rc, out, err = ctl(a.xdsctl, "--json", "--url", node.url(""), "status")
        check("xdsctl --json status is the node's JSON", rc == 0 and
              json.loads(out).get("node", {}).get("pid") == node.proc.pid, out[:300] + err)
        node.stop()
        rc, out, err = ctl(a.xdsctl, "--url", node.url(""), "status")
        check("a node that does not answer: exit 1 with the reason", rc == 1 and
              "127.0.0.1" in err, out + err)

        os.makedirs(os.path.join(work, "pki"))
        pki = make_pki(os.path.join(work, "pki"))
        # (with TLS the responding gateway would need Mitz)
        tnode = Xdsd(a.xdsd, work, ["gateway.responding=no"], name="tls", tls=pki)
        if check("a mutual-TLS node starts", tnode.start()):
            rc, out, err = ctl(a.xdsctl, "--url", tnode.url(""), "--cert", pki["client_cert"],
                               "--key", pki["client_key"], "--ca", pki["ca"], "status")
            check("over mutual TLS xdsctl status shows the certificate and its days left",
                  rc == 0 and re.search(r"^certificate .*valid until .*\(\d+ days\)", out, re.M),
                  out + err)
        tnode.stop()
        dicom_tls_only(a, work, pki)
    finally:
        node.stop()
        if tnode is not None:
            tnode.stop()
        shutil.rmtree(work, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
