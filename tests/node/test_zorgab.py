#!/usr/bin/env python3
"""The ZORG-AB back-end of the community directory from the programs
(make check): xdsctl directory list and lookup against a fake ZORG-AB
that answers exactly the requests tests/zorgab/requests.tsv lists, xdsd -n
checking the options without asking ZORG-AB, and xdsd naming the
directory it uses at start-up."""
import http.server
import os
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_node import Node, check, command_line, summary  # noqa: E402

FIXTURES = os.path.join(HERE, "..", "zorgab")
HCID_A = "urn:oid:2.16.840.1.113883.2.4.3.1"
HCID_D = "urn:oid:2.16.840.1.113883.2.4.3.4"


def load_requests():
    """requests.tsv: request target -> the file that answers it."""
    table = {}
    with open(os.path.join(FIXTURES, "requests.tsv")) as f:
        for line in f:
            if line.startswith("#") or "\t" not in line:
                continue
            target, name = line.rstrip("\n").split("\t")
            table[target] = name
    return table


class FakeZorgab(http.server.ThreadingHTTPServer):
    """A fake ZORG-AB on 127.0.0.1, a free port; counts requests."""

    def __init__(self):
        self.table = load_requests()
        self.requests = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def url(self):
        return "http://127.0.0.1:%d/zab" % self.server_address[1]

    def count(self):
        with self.lock:
            return self.requests

    def stop(self):
        self.shutdown()
        self.server_close()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the http.server name)
        with self.server.lock:
            self.server.requests += 1
        name = self.server.table.get(self.path)
        if name is None:
            body, status = b"[]", 404
        else:
            with open(os.path.join(FIXTURES, name), "rb") as f:
                body, status = f.read(), 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def ctl(xdsctl, url, *args):
    p = subprocess.run([xdsctl, "-C", "directory.backend=zorgab", "-C",
                        "directory.zorgab_url=" + url] + list(args),
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def main():
    a = command_line(xdsctl=True)
    zab = FakeZorgab()
    try:
        rc, out, err = ctl(a.xdsctl, zab.url(), "directory", "list")
        lines = out.splitlines()
        check("directory list through ZORG-AB: the organizations with an XCA gateway, in its order",
              rc == 0 and len(lines) == 4 and lines[1].startswith(HCID_A)
              and "Ziekenhuis A" in lines[1] and lines[2].startswith(HCID_D)
              and "(zorgab: " + zab.url() in lines[3], out + err)
        check("directory list shows the XDR and DICOM endpoints ZORG-AB gives",
              rc == 0 and "xdr=https://xdr.a.example/xdr" in lines[1]
              and "dicom=PACS@pacs.a.example:104" in lines[1], out + err)
        rc, out, err = ctl(a.xdsctl, zab.url(), "directory", "lookup", "11111111")
        fields = dict(line.split(None, 1) for line in out.splitlines() if line.strip())
        check("directory lookup URA through ZORG-AB",
              rc == 0 and fields.get("hcid") == HCID_A
              and fields.get("url") == "https://gw.a.example/xca/rg", out + err)
        rc, out, err = ctl(a.xdsctl, zab.url(), "directory", "lookup", HCID_D)
        check("directory lookup HCID through ZORG-AB, the name from names[]",
              rc == 0 and "Huisartsen D" in out, out + err)
        rc, out, err = ctl(a.xdsctl, zab.url(), "directory", "lookup", "22222222")
        fields = dict(line.split(None, 1) for line in out.splitlines() if line.strip())
        check("an organization with an XDR recipient but no XCA gateway: found by URA, no community",
              rc == 0 and fields.get("hcid") == "-" and fields.get("url") == "-"
              and fields.get("xdr") == "https://xdr.b.example/xdr", out + err)
        rc, out, err = ctl(a.xdsctl, zab.url(), "directory", "lookup", "33333333")
        check("an organization with neither: not found",
              rc == 1 and "no community with URA 33333333" in err, out + err)
        rc, out, err = ctl(a.xdsctl, "http://127.0.0.1:1/zab", "directory", "list")
        check("an unreachable ZORG-AB is a clear error", rc == 1 and "ZORG-AB" in err, out + err)

        before = zab.count()
        p = subprocess.run([a.xdsd, "-n", "-C", "directory.backend=zorgab", "-C",
                            "directory.zorgab_url=" + zab.url()],
                           capture_output=True, text=True, timeout=60)
        check("xdsd -n accepts backend zorgab with a URL and does not ask ZORG-AB",
              p.returncode == 0 and zab.count() == before, p.stderr)
        p = subprocess.run([a.xdsd, "-n", "-C", "directory.backend=zorgab"],
                           capture_output=True, text=True, timeout=60)
        check("xdsd -n refuses backend zorgab without directory.zorgab_url",
              p.returncode == 1 and "directory.zorgab_url is required" in p.stderr, p.stderr)
        p = subprocess.run([a.xdsd, "-n", "-C", "directory.backend=zorgab", "-C",
                            "directory.zorgab_url=http://zorgab.example/api"],
                           capture_output=True, text=True, timeout=60)
        check("xdsd -n refuses plain HTTP to ZORG-AB off loopback",
              p.returncode == 1 and "https://" in p.stderr, p.stderr)

        with Node(a.xdsd, extra=["directory.backend=zorgab", "directory.zorgab_url=" + zab.url()],
                  what="zorgab node") as node:
            with open(node.logpath) as f:
                log = f.read()
            check("xdsd logs the directory it uses at start-up",
                  "directory: zorgab: " + zab.url() in log, log[-2000:])
    finally:
        zab.stop()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
