#!/usr/bin/env python3
"""Replay the NIST XCA Responding and Initiating Gateway test plans against xdsd.

The sibling of replay.py and replay_repo.py, whose engine it reuses (token
filling, ebRIM 2.1 -> 3.0 translation, ITI-41 over MTOM, verdicts, known
failures, exit status) for the Responding Gateway at /xca/responding:

  loaders     12318 (the Responding Gateway test data: ITI-41 to the
              node's /xds/repository, its ITI-18 step to /xds/registry) and
              15807 (the data 15811/15813 query: one patient per section)
  ITI-38      XCQTransaction steps (12093, 12306, 12307, 12309, 12310,
              12311, 15811, negative 15815): simple SOAP 1.2,
              urn:ihe:iti:2007:CrossGatewayQuery
  ITI-39      XCRTransaction steps (12308, 12312, 12313, 15813, negative
              15831): MTOM, urn:ihe:iti:2007:CrossGatewayRetrieve
  files       the ITI-38/ITI-39 request samples of those folders listed in
              expected-outcomes.tsv

Besides the plan's <ExpectedStatus>/<ExpectedErrorCode>/<ExpectedContents>
(or the expected-outcomes.tsv row) and the plan's own <Assertions>, every
answer is checked for what a Responding Gateway owes: the response action
(CrossGatewayQueryResponse / CrossGatewayRetrieveResponse, the latter as
MTOM), `home` = node.home_community_id on every object of the
RegistryObjectList, RegistryError/@location = that id, and for ITI-39 one
DocumentResponse per requested document with the requested
HomeCommunityId, RepositoryUniqueId and DocumentUniqueId, the mimeType
and the bytes the loader submitted.

Initiating Gateway plans (12300, 12342, 15808, 15809, 15810, 15814; NIST
ig(xca)/ig(xca)_ad) run against a second set of nodes started on first use
(IgEnv): an initiating node (/xca/initiating) whose directory.file lists two
responding nodes, Community 1 and Community 2, each behind a recording
proxy; 15807 is loaded into them again (IG_LOADS), 12344 into the initiating
node's own repository.  ITI-18 and ITI-43 go to the initiating node; checked
besides the plan: the answer's action, every object's home and
repositoryUniqueId = those of the community its data was loaded into, the
ITI-38/ITI-39 the gateway sent (to whom, with what) and that what the
communities answered was passed on.  For 15814 Community 1 is stopped
first (XDSUnavailableCommunity located at it, PartialSuccess).

The On-Demand plans and RAD-75 (XCA-I) are SKIP with the reason.  Known
failures: known-failures-xca.tsv.  Output and exit status as replay.py (77
without the corpus, 99 on a harness error).
"""

import argparse
import http.client
import http.server
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert as C  # noqa: E402
import replay as R  # noqa: E402
import replay_repo as RR  # noqa: E402
import xdsmsg  # noqa: E402  (tests/lib, on sys.path by replay)

HERE = os.path.dirname(os.path.abspath(__file__))
RG_PATH = "/xca/responding"
# The node's community: the one the OpenXDS Cross Gateway Query sample
# (iti38-xcq/openxds/CrossGatewayQueryRequest.xml) addresses; the NIST plans
# take theirs from the configuration ($testdata_home$).
HOME = "urn:oid:1.3.6.1.4.1.21367.2010.1.2.2045"
REPO_ID = RR.REPO_ID
ACTION_XCQ = "urn:ihe:iti:2007:CrossGatewayQuery"
ACTION_XCQ_RSP = "urn:ihe:iti:2007:CrossGatewayQueryResponse"
ACTION_XCR = "urn:ihe:iti:2007:CrossGatewayRetrieve"
ACTION_XCR_RSP = "urn:ihe:iti:2007:CrossGatewayRetrieveResponse"
NS_XDSB = C.NS_XDSB

XCA_ROOTS = ("iti38-xcq/nist-testkit", "iti39-xcr/nist-testkit",
             "negative/iti38-xcq/nist-testkit", "negative/iti39-xcr/nist-testkit")
XCA_FOLDERS = ("iti38-xcq", "iti39-xcr", "negative/iti38-xcq", "negative/iti39-xcr")
RAD75_FOLDERS = ("rad75-xcai/", "negative/rad75-xcai/")
# 12318 loads what the rg(xca) plans query; 15807 what 15811/15813 query.
LOADERS = ("12318", "15807")
# The Patient Identity Feed of the Responding Gateway test data (12318),
# not in the corpus: the test's own patient.
PIF_XCA = ("15823",)
# 15807's readme: "Each section uses a different Patient ID".
SECTION_PATIENTS = ("15807",)

IG_REASON = ("an Initiating Gateway plan this harness does not know how to set up "
             "(only 12300, 12342, 15808, 15809, 15810 and 15814 are)")
OD_REASON = ("On-Demand Documents: the operator enters the patient of an On-Demand "
             "Document of the Responding Gateway and triggers new content between "
             "steps; this node's registry and repository hold stable documents only")
RAD75_RIG_REASON = (
    "RAD-75 to a Responding Imaging Gateway: the plans address a second community "
    "(urn:oid:1.3.6.1.4.1.21367.13.70.201) with two Imaging Document Sources "
    "(E 1.3.6.1.4.1.21367.13.71.201.1, F ...201.2) whose instances no KOS of the "
    "corpus references; the node's RAD-69 source is one repository of the XCA "
    "community: not replayed yet")
RAD75_IIG_REASON = (
    "RAD-69 to an Initiating Imaging Gateway: the plans need two Responding Imaging "
    "Gateways (NIST rig_a, rig_b) holding NIST's test images; of the studies their "
    "RAD-69 requests name (1.3.6.1.4.1.21367.201599.1.2016060109580{36,40,44,48,52}) "
    "only ...044 has a KOS in the corpus (kos/nist-testdata/IDCDEPT002), so the other "
    "instances cannot be synthesized as replay_rad69.py does, and the Validate* steps "
    "compare the RAD-75 sent and the images returned with NIST's originals, which the "
    "corpus lacks: not replayed")
# Expectations the plan leaves open that the corpus README pins.
EXTRA_CODES = {
    "nist:15831/Missing_Home#retrieve": (
        "XDSMissingHomeCommunityId",
        "iti39-xcr/README.md: Missing HomeCommunityId -> Failure "
        "XDSMissingHomeCommunityId (12312/missing_home; negative 15831)"),
}


def local(tag):
    return C.local(tag) if isinstance(tag, str) else ""


def fill(text, vals):
    """fill_tokens, then the NIST engine's plain replacement of useAs names
    that are no $name$ token (12307: useAs="$home", home="$home")."""
    text, missing = C.fill_tokens(text, vals)
    for k, v in vals.items():
        if k and not C.TOKEN_RE.fullmatch(k) and k in text:
            text = text.replace(k, C.xml_escape(v))
    return text, missing


# --- answers -----------------------------------------------------------------

class XcaClient(RR.RepoClient):
    """Simple SOAP and MTOM to one path; keeps the answer's wsa:Action and
    Content-Type, and (for ITI-41) the mimeType of every document sent."""

    def __init__(self, url, timeout):
        super().__init__(url, timeout)
        self.mimes = {}         # DocumentEntry uniqueId -> mimeType sent

    def post_mtom(self, action, envelope, parts):
        if action == RR.ACTION_ITI41:
            try:
                env = ET.fromstring(envelope)
            except ET.ParseError:
                env = None
            for eo in (env.iter("{%s}ExtrinsicObject" % C.NS_RIM) if env is not None else ()):
                for ei in eo.findall("{%s}ExternalIdentifier" % C.NS_RIM):
                    if ei.get("identificationScheme") == C.EI_DE_UNIQUEID:
                        self.mimes[ei.get("value")] = eo.get("mimeType")
        return super().post_mtom(action, envelope, parts)

    def parse(self, status, ctype, data):
        r = super().parse(status, ctype, data)
        r.ctype, r.action = ctype, None
        try:
            env = ET.fromstring(R.soap_part(ctype, data))
            r.action = (env.findtext(".//{%s}Action" % C.NS_WSA) or "").strip()
        except ET.ParseError:
            pass
        return r


def doc_responses(reply):
    """[dict(home, repo, uid, mime, data)] of a RetrieveDocumentSetResponse."""
    if reply.root is None:
        return []
    data = RR.retrieved(reply)
    out = []
    for dr in reply.root.findall("{%s}DocumentResponse" % NS_XDSB):
        def t(n):
            v = dr.findtext("{%s}%s" % (NS_XDSB, n))
            return v.strip() if v is not None else None
        uid = t("DocumentUniqueId") or ""
        out.append(dict(home=t("HomeCommunityId"), repo=t("RepositoryUniqueId"), uid=uid,
                        mime=t("mimeType"), data=data.get(uid, (None, None))[1]))
    return out


def doc_requests(req):
    """[(home or None, repository, document)] of a RetrieveDocumentSetRequest."""
    out = []
    for dr in req.iter("{%s}DocumentRequest" % NS_XDSB):
        def t(n):
            v = dr.findtext("{%s}%s" % (NS_XDSB, n))
            return v.strip() if v is not None else None
        out.append((t("HomeCommunityId"), t("RepositoryUniqueId"), t("DocumentUniqueId")))
    return out


# --- the Initiating Gateway environment ---------------------------------------
#
# NIST's ig(xca)_ad plans (15808, 15809, 15810, 15814, and 12300 of ig(xca))
# send ITI-18/ITI-43 to the Initiating Gateway under test, configured with
# two Responding Gateways ("Community 1", "Community 2") that 15807 loaded.
# Here every one of them is an xdsd on loopback: the initiating node, whose
# directory.file lists the two responding nodes, each behind a recording
# proxy (what the gateway sent each community, and what it answered).

IG_PATH = "/xca/initiating"
ACTION_ITI18_RSP = "urn:ihe:iti:2007:RegistryStoredQueryResponse"
ACTION_ITI43_RSP = "urn:ihe:iti:2007:RetrieveDocumentSetResponse"
# name, home community id, repository.unique_id
IG_NODE = ("initiating", "urn:oid:1.3.6.1.4.1.21367.2024.9.100", "1.3.6.1.4.1.21367.2024.9.100.1")
RG_NODES = (("community1", "urn:oid:1.3.6.1.4.1.21367.2024.9.101", "1.3.6.1.4.1.21367.2024.9.101.1"),
            ("community2", "urn:oid:1.3.6.1.4.1.21367.2024.9.102", "1.3.6.1.4.1.21367.2024.9.102.1"))
IG_TESTS = ("12300", "12342", "15808", "15809", "15810", "15814")
# 15807's sections: the community each is loaded into, and the section
# whose patient it uses.  The readmes: 15808 "Single document in
# Community 1" (onedoc1), "Two documents" both from Community 1 (twodoc);
# 15810 queries onedoc2's patient and expects one DocumentEntry from each
# community, onedoc2's and onedoc3's; 15814 expects registryError's
# DocumentEntry from Community 2 (its $testdata_home$).
IG_LOADS = (("onedoc1", "community1", "onedoc1"),
            ("twodoc", "community1", "twodoc"),
            ("onedoc2", "community1", "onedoc2"),
            ("onedoc3", "community2", "onedoc2"),
            ("registryError", "community2", "registryError"))
# 12342 reads 12344's data ($configHome$: the community the Initiating
# Gateway belongs to); it goes to the initiating node's own registry.
IG_LOCAL_LOADER = ("12344", "iti41-provide-register/nist-testkit/12344")
# Patient Identity Feeds of the ig(xca) environment (not in the corpus):
# 12300's comments, 15824 "Single documents in Community 1", 15825 "Two
# documents in Community 1".
PIF_IG = {"15824": "onedoc1", "15825": "twodoc"}
# 15814's readme: "Community 1 returns XDSRegistryError, Community 2 a
# single DocumentEntry".  Community 1 is stopped before it runs (a real
# xdsd that is down: XDSUnavailableCommunity located at it).
DOWN_FOR = {"15814": "community1"}

_ACTION_RE = re.compile(rb"<(?:[\w.-]+:)?Action\b[^>]*>\s*([^<\s]+)\s*<")


class Exchange:
    def __init__(self, community, req_ctype, req, status, ctype, data):
        self.community, self.req_ctype, self.req = community, req_ctype, req
        self.status, self.ctype, self.data = status, ctype, data
        m = _ACTION_RE.search(req)
        self.action = m.group(1).decode("utf-8", "replace") if m else None

    def body(self):
        """The request's soap:Body child, or None."""
        try:
            return C.body_child(ET.fromstring(R.soap_part(self.req_ctype, self.req)))
        except ET.ParseError:
            return None


class Recorder:
    """A plain HTTP proxy on 127.0.0.1 (port 0) in front of one community's
    node: forwards every POST and keeps the exchange.  One request per
    connection (HTTP/1.0), so that down() leaves no connection behind."""

    def __init__(self, name, upstream, sink):
        self.name, self.upstream, self.sink = name, upstream, sink
        self.hold = None
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_POST(self):
                body = self.read_body()
                ctype = self.headers.get("Content-Type", "")
                try:
                    c = http.client.HTTPConnection("127.0.0.1", rec.upstream, timeout=60)
                    c.request("POST", self.path, body, {"Content-Type": ctype})
                    r = c.getresponse()
                    st, rct, data = r.status, r.getheader("Content-Type", ""), r.read()
                    c.close()
                except (OSError, http.client.HTTPException) as e:
                    st, rct, data = 502, "text/plain", str(e).encode()
                rec.sink(Exchange(rec.name, ctype, body, st, rct, data))
                self.send_response(st)
                self.send_header("Content-Type", rct)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)

            def read_body(self):
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    out = b""
                    while True:
                        n = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if n == 0:
                            while self.rfile.readline().strip():
                                pass
                            return out
                        out += self.rfile.read(n)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        """Stop listening; the port stays bound (SO_REUSEADDR, no listen),
        so a connection to it is refused and no other socket gets it."""
        if self.server is None:
            return
        self.server.shutdown()
        self.server.server_close()
        self.server = None
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", self.port))
            self.hold = s
        except OSError:
            s.close()

    def release(self):
        self.close()
        if self.hold is not None:
            self.hold.close()
            self.hold = None


class Community:
    def __init__(self, name, home, repo, node, client, recorder=None):
        self.name, self.home, self.repo = name, home, repo
        self.node, self.client, self.recorder = node, client, recorder
        self.down = False
        self.down_status = None


class IgEnv:
    """The initiating node and the two responding nodes, started."""

    def __init__(self, args, mimes):
        self.work = tempfile.mkdtemp(prefix="xds-nist-xca-ig-")
        self.lock = threading.Lock()
        self.seen = []
        self.comm = {}
        try:
            self._start(args, mimes)
        except BaseException:
            self.close()
            raise

    def _node(self, args, name, home, repo, extra):
        d = os.path.join(self.work, name)
        os.mkdir(d)
        return R.Node(args.xdsd, d, args.startup_timeout,
                      ["node.home_community_id=" + home, "repository.unique_id=" + repo] + extra)

    def _client(self, node, path, mimes, timeout):
        c = XcaClient("http://127.0.0.1:%d%s" % (node.port, path), timeout)
        c.mimes = mimes
        return c

    def _start(self, args, mimes):
        lines = ["# NIST ig(xca)_ad: the two Responding Gateways of the Initiating Gateway"]
        for name, home, repo in RG_NODES:
            node = self._node(args, name, home, repo, ["gateway.allow=anonymous"])
            rec = Recorder(name, node.port, self.record)
            self.comm[name] = Community(name, home, repo, node, self._client(
                node, RR.REPOSITORY_PATH, mimes, args.timeout), rec)
            lines.append("%s http://127.0.0.1:%d%s - %s" % (
                home, rec.port, RG_PATH, name.replace("community", "Community ")))
        dfile = os.path.join(self.work, "communities")
        with open(dfile, "w") as f:
            f.write("\n".join(lines) + "\n")
        name, home, repo = IG_NODE
        node = self._node(args, name, home, repo, ["directory.file=" + dfile])
        self.comm[name] = Community(name, home, repo, node, self._client(
            node, RR.REPOSITORY_PATH, mimes, args.timeout))
        self.ig = self._client(node, IG_PATH, mimes, args.timeout)
        self.started = sorted(self.comm)

    def record(self, ex):
        with self.lock:
            self.seen.append(ex)

    def take(self):
        """The exchanges since the last take()."""
        with self.lock:
            out, self.seen = self.seen, []
        return out

    def by_home(self, home):
        for c in self.comm.values():
            if c.home == home:
                return c
        return None

    def homes(self):
        return set(c.home for c in self.comm.values())

    def remote(self):
        return [self.comm[n] for n, _, _ in RG_NODES]

    def take_down(self, name):
        """Stop a community's node and its proxy: connections refused."""
        c = self.comm[name]
        if c.down:
            return
        c.down = True
        c.recorder.close()
        c.down_status = c.node.stop()

    def sent(self):
        return self.ig.sent + sum(c.client.sent for c in self.comm.values())

    def stop(self):
        """[(name, problem)] of the nodes: one that died, or did not exit
        0 after SIGTERM."""
        bad = []
        for name in sorted(self.comm):
            c = self.comm[name]
            if c.down:
                st = c.down_status
            elif not c.node.alive():
                bad.append((name, "xdsd died during the run (status %s)" % c.node.returncode()))
                continue
            else:
                st = c.node.stop()
            if st not in (0, -signal.SIGTERM):
                bad.append((name, "exit status %s after SIGTERM" % st))
        return bad

    def log_tails(self, limit=4000):
        out = []
        for name in sorted(self.comm):
            out.append("# ---- xdsd %s log (tail) ----\n%s" % (
                name, self.comm[name].node.log_text(limit)))
        return "\n".join(out)

    def close(self):
        for c in self.comm.values():
            if c.recorder is not None:
                c.recorder.release()
            if c.node.alive():
                c.node.stop()
        self.comm = {}
        shutil.rmtree(self.work, ignore_errors=True)


def gateway_checks(reply, want_action, mtom, home=HOME):
    """What every Responding Gateway answer owes: its action (and MTOM),
    home on every object, RegistryError/@location = its home."""
    bad = []
    if reply.kind != "response":
        return bad
    if reply.action != want_action:
        bad.append("wsa:Action %s, want %s" % (reply.action or "none", want_action))
    if mtom and not (reply.ctype or "").lower().startswith("multipart/related"):
        bad.append("answer not MTOM (%s)" % reply.ctype)
    rol = reply.root.find("{%s}RegistryObjectList" % C.NS_RIM)
    homeless = []
    for o in (rol if rol is not None else ()):
        if isinstance(o.tag, str) and o.get("home") != home:
            homeless.append("%s %s home=%s" % (local(o.tag), o.get("id"), o.get("home")))
    if homeless:
        bad.append("%d object(s) without home %s: %s" % (
            len(homeless), home, "; ".join(homeless[:3])))
    for e in reply.root.iter("{%s}RegistryError" % C.NS_RS):
        if e.get("location") != home:
            bad.append("RegistryError %s location %s, want %s" % (
                e.get("errorCode"), e.get("location"), home))
    return bad


# The NIST <Assert>s of the XCQ/XCR steps: a path of local names (with
# positions) below the step's Result, ending in an element, its text or
# an attribute; count(path) = N, or path = 'value'.
_STEP_RE = re.compile(r"\*\[(?:namespace-uri\(\)\s*=\s*'[^']*'\s+and\s+)?"
                      r"local-name\(\.?\)\s*=\s*'(\w+)'\](?:\[(\d+)\])?"
                      r"(?:\[@([\w:]+)\s*=\s*'([^']*)'\])?")


def eval_assert(text, root):
    """(ok, what) for one NIST assertion over the answer's Body child root;
    ok None when the form is not one the harness knows."""
    s = " ".join(text.split())
    m = re.fullmatch(r"count\((.*)\)\s*=\s*[\"']?(\d+)[\"']?", s)
    if m:
        path, want, counting = m.group(1), m.group(2), True
    else:
        m = re.fullmatch(r"(.*?)\s*=\s*'([^']*)'", s)
        if not m:
            return None, "form not evaluated"
        path, want, counting = m.group(1), m.group(2), False
    rest = path.split("Result", 1)[-1]
    steps = _STEP_RE.findall(rest)
    attr = re.search(r"/@([\w:]+)$", rest)
    if not steps or root is None:
        return None, "form not evaluated"

    def keep(nodes, idx, pa, pv):
        if idx:
            nodes = nodes[int(idx) - 1:int(idx)]
        return [n for n in nodes if not pa or n.get(pa) == pv]
    name, idx, pa, pv = steps[0]
    if rest.startswith("//"):
        # Result//X: X anywhere in the answer
        nodes = keep([e for e in root.iter() if local(e.tag) == name], idx, pa, pv)
    else:
        nodes = keep([root] if local(root.tag) == name else [], idx, pa, pv)
    for name, idx, pa, pv in steps[1:]:
        nxt = []
        for n in nodes:
            nxt += keep([c for c in n if local(c.tag) == name], idx, pa, pv)
        nodes = nxt
    if counting:
        return len(nodes) == int(want), "count %d, want %s" % (len(nodes), want)
    vals = [n.get(attr.group(1)) if attr else (n.text or "").strip() for n in nodes]
    return want in vals, "%s, want %s" % (vals or "nothing", want)


# NullTransaction <Assert>s over report variables: 'a' = 'b', 'a' != 'b',
# joined by "and" / "or" (the NIST engine substitutes the values and
# evaluates the XPath; "and" binds tighter than "or").
_CMP_RE = re.compile(r"\s*'(\w+)'\s*(!?=)\s*'(\w+)'\s*")


def compare_form(text):
    return all(_CMP_RE.fullmatch(c) for d in re.split(r"\bor\b", text or "")
               for c in re.split(r"\band\b", d))


def eval_compare(text, vals):
    def one(c):
        # as the NIST engine substitutes the variables into the XPath: a
        # name that is no variable stays a literal ('count' = '2')
        m = _CMP_RE.fullmatch(c)
        a, b = vals.get(m.group(1), m.group(1)), vals.get(m.group(3), m.group(3))
        return a is not None and b is not None and (a == b) == (m.group(2) == "=")
    return any(all(one(c) for c in re.split(r"\band\b", d))
               for d in re.split(r"\bor\b", text))


# --- the engine ----------------------------------------------------------------

class XcaEngine(RR.RepoEngine):
    def __init__(self, args, outcomes, known, client, repo_client, rg_client, rad75):
        super().__init__(args, outcomes, known, client, repo_client)
        self.rg = rg_client
        self.rad75 = rad75
        self.section_patients = {}
        # the Initiating Gateway environment, started by the first IG plan;
        # its loads and plans keep their own logs (15807 is loaded there
        # again, into other communities, under the same section names)
        self.ig_env = None
        self.main_logs, self.ig_logs = self.logs, {}
        self.ig_patients = {}   # 15807 section -> its patient there
        self.loaded_in = {}     # uniqueId -> community it was loaded into
        self.load_to = None     # the Community of the load in progress
        self.in_ig = False
        self.known_tests.add(IG_LOCAL_LOADER[0])

    def sent(self):
        return super().sent() + self.rg.sent + (self.ig_env.sent() if self.ig_env else 0)

    # values between steps and tests
    def resolve_usereport(self, u, step):
        test = u.get("test")
        if self.in_ig and test in PIF_IG:
            return self.ig_patients[PIF_IG[test]]
        if test in PIF_XCA:
            return self.patient(step.test)
        if test and test not in R.PIF_MAIN + R.PIF_ALT and test in self.known_tests:
            # another test's step (12318/init, 15807/onedoc1, 15811/...)
            key = "%s/%s" % (test, u.get("section"))
            log = self.logs.get((key, u.get("step")))
            if log is None:
                raise R.Blocked("needs report %s from %s#%s, which did not run or failed"
                                % (u.get("reportName"), key, u.get("step")))
            val = log["reports"].get(u.get("reportName"))
            if val is None:
                raise R.Blocked("%s#%s has no report %s" % (key, u.get("step"),
                                                           u.get("reportName")))
            return val
        return super().resolve_usereport(u, step)

    def resolve_useid(self, u, step):
        # 12342: testdir="../../testdata/12344" step="submit_doc": the NIST
        # testkit's copy of 12344, whose sections are named after their steps
        m = re.fullmatch(r"(?:\.\./)+testdata/(\w+)", u.get("testdir") or "")
        if m:
            key = "%s/%s" % (m.group(1), u.get("step"))
            val = self.logs.get((key, u.get("step")), {}).get(u.get("section"), {}).get(u.get("id"))
            if val is None:
                raise R.Blocked("needs %s from %s#%s, which did not run or failed"
                                % (u.get("section"), key, u.get("step")))
            return val
        return super().resolve_useid(u, step)

    def tokens(self, step, trans):
        vals = R.Engine.tokens(self, step, trans)
        vals.setdefault("$repuid$", REPO_ID)
        vals.setdefault("$repositoryuid$", REPO_ID)
        if self.in_ig:
            # 12342's readme: the home of the community the queries go to,
            # here the one 12344 was loaded into (the gateway's own)
            vals.setdefault("$configHome$", IG_NODE[1])
        return vals

    def reports(self, trans, inp, reply):
        """As replay.py, without the reports whose XPath uses functions
        (15811: translate(...)); nothing reads those."""
        out = {}
        for r in trans.findall("Report"):
            # count(path) (15810 $count$): the number of nodes path selects
            m = re.fullmatch(r"count\((.*)\)", " ".join((r.text or "").split()))
            if m:
                src = inp if r.get("section") == "InputMetadata" else \
                    (reply.root if reply is not None else None)
                try:
                    if src is not None:
                        out[r.get("name")] = str(len(R.xpath_values(src, m.group(1))))
                except (R.HarnessError, SyntaxError, KeyError):
                    pass
                continue
            one = ET.Element("Transaction")
            one.append(r)
            try:
                out.update(super().reports(one, inp, reply))
            except (R.HarnessError, SyntaxError, KeyError):
                pass
        return out

    # plans
    def run_plan(self, test, key, sdir, plan):
        try:
            tp = ET.parse(plan).getroot()
        except (OSError, ET.ParseError) as e:
            self.report("nist:%s" % key, "FAIL", "harness: cannot read testplan: %s" % e)
            return
        steps = [R.Step(test, key, sdir, el) for el in tp.findall("TestStep")]
        if test in IG_TESTS:
            return self.run_ig_plan(test, steps)
        reason = None
        if test in ("15829", "15830"):
            reason = OD_REASON
        elif tp.find("SUTInitiates") is not None or \
                tp.find(".//IGQTransaction") is not None or \
                tp.find(".//IGRTransaction") is not None:
            reason = IG_REASON
        if reason:
            for s in steps:
                self.report(s.case, "SKIP", reason)
            return
        if test in SECTION_PATIENTS:
            self.patients[test] = self.section_patients.setdefault(key, self.ids.patient())
        for step in steps:
            try:
                self.run_step(step)
            except (C.ConvertError, R.HarnessError) as e:
                self.report(step.case, "FAIL", "harness: %s" % e)

    def run_nist(self, only):
        super().run_nist(only)
        if not only:
            self.rad75_skips()

    def run_step(self, step):
        trans = None
        for c in step.el:
            if isinstance(c.tag, str) and c.tag.endswith("Transaction"):
                trans = c
                break
        kind = trans.tag if trans is not None else ""
        try:
            if kind == "XCQTransaction" and self.in_ig:
                return self.run_sut_xcq(step, trans)
            if kind == "XCQTransaction":
                return self.run_xcq(step, trans)
            if kind == "XCRTransaction":
                return self.run_xcr(step, trans)
            if kind == "IGQTransaction" and self.in_ig:
                return self.run_igq(step, trans)
            if kind == "IGRTransaction" and self.in_ig:
                return self.run_igr(step, trans)
            if kind in ("IGQTransaction", "IGRTransaction"):
                return self.report(step.case, "SKIP", IG_REASON)
            if kind == "ProvideAndRegisterTransaction":
                self.run_pnr(step, trans)
                log = self.logs.get((step.key, step.id))
                if log is not None:
                    # the NIST engine's reports of the community and the
                    # repository the data was loaded into
                    at = self.load_to
                    log["reports"]["$testdata_home$"] = at.home if at else HOME
                    log["reports"]["$testdata_repid$"] = at.repo if at else REPO_ID
                    if at is not None:
                        for uid in log.get("AssignedUids", {}).values():
                            self.loaded_in[uid] = at.name
                return None
        except R.Blocked as e:
            self.report(step.case, "SKIP", "blocked: %s" % e)
            return None
        return super().run_step(step)

    def template(self, step, trans, vals):
        # 12342/uuid names its query <Metadata>, kept in the test's folder
        mf = (trans.findtext("MetadataFile") or trans.findtext("Metadata") or "").strip()
        if not mf:
            raise R.HarnessError("no MetadataFile")
        path = os.path.normpath(os.path.join(step.dir, mf))
        if not os.path.isfile(path):
            path = os.path.normpath(os.path.join(step.dir, "..", mf))
        try:
            with open(path, encoding="utf-8") as f:
                text, missing = fill(f.read(), vals)
        except OSError as e:
            raise R.HarnessError("cannot read %s: %s" % (mf, e)) from None
        if missing:
            raise R.Blocked("template %s: no value for %s" % (mf, " ".join(missing)))
        return C.parse_xml(text)

    def expected(self, step):
        st, codes, msgs = super().expected(step)
        extra = EXTRA_CODES.get(step.case)
        if extra and extra[0] not in codes:
            codes = codes + [extra[0]]
        return st, codes, msgs

    def assertions(self, trans, vals, reply):
        """The step's own <Assert>s: (problems, notes)."""
        bad, unchecked = [], []
        for a in trans.findall("Assertions/Assert"):
            text, _ = fill(a.text or "", vals)
            ok, what = eval_assert(text, reply.root if reply.kind == "response" else None)
            name = a.get("id") or "Assert"
            if ok is None:
                unchecked.append(name)
            elif not ok:
                bad.append("%s: %s" % (name, what))
        return bad, (["asserts not evaluated: " + " ".join(unchecked)] if unchecked else [])

    # ITI-38
    def run_xcq(self, step, trans):
        vals = self.tokens(step, trans)
        body = C.query_request(self.template(step, trans, vals))
        msg = C.soap_wrap(body, ACTION_XCQ, self.rg.url)
        self.save(step, ".xml", msg)
        reply = self.rg.post(ACTION_XCQ, msg)
        self.save(step, ".reply.xml", reply.raw)
        bad = gateway_checks(reply, ACTION_XCQ_RSP, False)
        b, notes = self.assertions(trans, vals, reply)
        self.finish(step, trans, reply, {"reports": {"$testdata_home$": HOME}}, body,
                    trans.find("ExpectedContents"), extra_bad=bad + b, extra_notes=notes)

    # ITI-39
    def run_xcr(self, step, trans):
        vals = self.tokens(step, trans)
        req = self.template(step, trans, vals)
        asked = doc_requests(req)
        msg = C.soap_wrap(req, ACTION_XCR, self.rg.url)
        self.save(step, ".xml", msg)
        reply = self.rg.post_mtom(ACTION_XCR, msg, [])
        self.save(step, ".reply.xml", reply.raw)
        bad = gateway_checks(reply, ACTION_XCR_RSP, True)
        notes = []
        if reply.kind == "response":
            b, notes = self.check_documents(step, trans, vals, asked, reply)
            bad += b
        b, n = self.assertions(trans, vals, reply)
        self.finish(step, trans, reply, {"reports": {"$testdata_home$": HOME}}, req,
                    extra_bad=bad + b, extra_notes=notes + n)

    def check_documents(self, step, trans, vals, asked, reply):
        bad, notes = [], []
        got = doc_responses(reply)
        by_uid = {}
        for d in got:
            if d["uid"] in by_uid:
                bad.append("%s answered twice" % d["uid"])
            by_uid[d["uid"]] = d
        want = dict((uid, (home, repo)) for home, repo, uid in asked)
        for uid in sorted(set(by_uid) - set(want)):
            bad.append("%s returned, not requested" % uid)
        if reply.status == "Success":
            for uid in sorted(set(want) - set(by_uid)):
                bad.append("%s requested, not returned" % uid)
        for uid, d in sorted(by_uid.items()):
            if uid not in want:
                continue
            home, repo = want[uid]
            if d["home"] != home:
                bad.append("%s: HomeCommunityId %s, the request had %s" % (uid, d["home"], home))
            if d["repo"] != repo:
                bad.append("%s: RepositoryUniqueId %s, the request had %s" % (uid, d["repo"], repo))
            sent = self.submitted.get(uid)
            if d["data"] is None:
                bad.append("%s: no document" % uid)
            elif sent is None:
                bad.append("%s: returned, but no loader submitted it" % uid)
            elif d["data"] != sent:
                bad.append("%s: %d bytes, not the %d bytes submitted" % (uid, len(d["data"]), len(sent)))
            mime = self.repo.mimes.get(uid)
            if mime and d["mime"] != mime:
                bad.append("%s: mimeType %s, submitted as %s" % (uid, d["mime"], mime))
        # the plan's <ReferenceDocument>/<ExpectedMimeType>, where they name
        # what was submitted
        want_mime = (trans.findtext("ExpectedMimeType") or "").strip()
        for rd in trans.findall("ReferenceDocument"):
            uid, missing = fill(rd.get("uid", ""), vals)
            name = (rd.text or "").strip()
            if missing:
                notes.append("ReferenceDocument %s names %s, which the plan does not "
                             "define: documents compared with what was submitted"
                             % (name, " ".join(missing)))
                continue
            ref = None
            p = self.reference_path(step, name)
            if p is not None:
                with open(p, "rb") as f:
                    ref = f.read()
            sent = self.submitted.get(uid)
            if ref is None or (sent is not None and ref != sent):
                notes.append("ReferenceDocument %s is not the file the loader submitted "
                             "under %s (%s): compared with what was submitted%s" % (
                                 name, uid, "not in the corpus" if ref is None else "other bytes",
                                 "" if not want_mime else ", ExpectedMimeType %s not applied" % want_mime))
                continue
            d = by_uid.get(uid)
            if want_mime and d is not None and d["mime"] != want_mime:
                bad.append("%s: mimeType %s, ExpectedMimeType %s" % (uid, d["mime"], want_mime))
        if got:
            notes.append("%d document(s) as submitted, HomeCommunityId echoed" % len(got))
        return bad, notes

    def reference_path(self, step, name):
        """A <ReferenceDocument>'s file: relative to the section or the test
        as the NIST testkit lays them out (all tests in one folder, test data
        also under testdata/), here spread over the corpus folders; None
        when it is in none of them."""
        rel = re.sub(r"^(\.\./)+(testdata/)?", "", name)
        cands = [os.path.join(step.dir, "..", name), os.path.join(step.dir, name)]
        cands += [os.path.join(self.args.testdata, root, rel) for root in XCA_ROOTS]
        for c in cands:
            if os.path.isfile(c):
                return os.path.normpath(c)
        return None

    # NullTransaction: comparisons of UseReport values (15811, 15813)
    def run_assertions(self, step, trans):
        asserts = trans.findall("Assertions/Assert")
        if not asserts or not all(compare_form(a.text) for a in asserts):
            return super().run_assertions(step, trans)
        try:
            vals = dict((u.get("useAs"), self.resolve_usereport(u, step))
                        for u in trans.findall("UseReport"))
        except R.Blocked as e:
            self.report(step.case, "SKIP", "blocked: %s" % e)
            return
        bad = []
        for a in asserts:
            if not eval_compare(a.text, vals):
                bad.append("%s with %s" % (" ".join(a.text.split()), ", ".join(
                    "%s=%s" % kv for kv in sorted(vals.items()))))
        if bad:
            self.report(step.case, "FAIL", "; ".join(bad))
        else:
            self.report(step.case, "PASS", "; ".join(" ".join(a.text.split()) for a in asserts)
                        + " (" + ", ".join("%s=%s" % kv for kv in sorted(vals.items())) + ")")

    # --- the Initiating Gateway plans
    def run_ig_plan(self, test, steps):
        env = self.ig_setup()
        down = DOWN_FOR.get(test)
        if down and not env.comm[down].down:
            env.take_down(down)
            print("# %s: %s stopped (%s), connections to it refused" % (
                test, down, env.comm[down].home), flush=True)
        saved, self.logs, self.in_ig = self.logs, self.ig_logs, True
        try:
            for step in steps:
                try:
                    self.run_step(step)
                except (C.ConvertError, R.HarnessError) as e:
                    self.report(step.case, "FAIL", "harness: %s" % e)
        finally:
            self.logs, self.in_ig = saved, False

    def ig_setup(self):
        """The environment, started and loaded on first use: 15807's
        sections into the communities of IG_LOADS (reported as
        <case>@<community>), 12344 into the initiating node's own
        repository."""
        if self.ig_env is not None:
            return self.ig_env
        env = self.ig_env = IgEnv(self.args, self.repo.mimes)
        print("# initiating gateway %s (%s) on port %d; %s" % (
            IG_NODE[0], IG_NODE[1], env.comm[IG_NODE[0]].node.port, ", ".join(
                "%s (%s) on port %d behind proxy %d" % (c.name, c.home, c.node.port, c.recorder.port)
                for c in env.remote())), flush=True)
        saved, self.logs = self.logs, self.ig_logs
        try:
            base = os.path.join(self.args.testdata, "iti38-xcq/nist-testkit/15807")
            for sec, where, pat in IG_LOADS:
                self.patients["15807"] = self.ig_patients.setdefault(pat, self.ids.patient())
                self.ig_patients.setdefault(sec, self.patients["15807"])
                self.ig_load(env.comm[where], "15807", sec, os.path.join(base, sec))
            test, rel = IG_LOCAL_LOADER
            tdir = os.path.join(self.args.testdata, rel)
            with open(os.path.join(tdir, "index.idx"), encoding="utf-8") as f:
                secs = list(dict.fromkeys(f.read().split()))
            for sec in secs:
                self.ig_load(env.comm[IG_NODE[0]], test, sec, os.path.join(tdir, sec))
        finally:
            self.logs = saved
        return env

    def ig_load(self, comm, test, sec, sdir):
        try:
            tp = ET.parse(os.path.join(sdir, "testplan.xml")).getroot()
        except (OSError, ET.ParseError) as e:
            raise R.HarnessError("cannot read %s/%s: %s" % (test, sec, e)) from None
        saved_repo, self.repo, self.load_to = self.repo, comm.client, comm
        try:
            for el in tp.findall("TestStep"):
                step = R.Step(test, "%s/%s" % (test, sec), sdir, el)
                step.case += "@" + comm.name
                try:
                    self.run_step(step)
                except (C.ConvertError, R.HarnessError) as e:
                    self.report(step.case, "FAIL", "harness: %s" % e)
        finally:
            self.repo, self.load_to = saved_repo, None

    def ig_object_checks(self, reply):
        """Every object of an Initiating Gateway's answer: a home of the
        environment, and a DocumentEntry the loaders submitted: the home and
        repositoryUniqueId of the community it was loaded into.  Every
        RegistryError located at a community."""
        env, bad = self.ig_env, []
        homes = env.homes()
        rol = reply.root.find("{%s}RegistryObjectList" % C.NS_RIM)
        for o in (rol if rol is not None else ()):
            if not isinstance(o.tag, str) or local(o.tag) == "Association":
                continue
            home = o.get("home")
            if home not in homes:
                bad.append("%s %s: home %s, no community of the gateway" % (local(o.tag), o.get("id"), home))
                continue
            if local(o.tag) != "ExtrinsicObject":
                continue
            uid = None
            for ei in o.findall("{%s}ExternalIdentifier" % C.NS_RIM):
                if ei.get("identificationScheme") == C.EI_DE_UNIQUEID:
                    uid = ei.get("value")
            where = env.comm.get(self.loaded_in.get(uid))
            if where is None:
                continue
            if home != where.home:
                bad.append("DocumentEntry %s: home %s, loaded into %s (%s)" % (uid, home, where.name, where.home))
            repo = [v.text for sl in o.findall("{%s}Slot" % C.NS_RIM)
                    if sl.get("name") == "repositoryUniqueId"
                    for v in sl.iter("{%s}Value" % C.NS_RIM)]
            if repo != [where.repo]:
                bad.append("DocumentEntry %s: repositoryUniqueId %s, loaded into %s" % (uid, repo, where.repo))
        for e in reply.root.iter("{%s}RegistryError" % C.NS_RS):
            if e.get("location") not in homes:
                bad.append("RegistryError %s located at %s, no community of the gateway" % (
                    e.get("errorCode"), e.get("location")))
        for c in env.remote():
            if c.down and not any(e.get("errorCode") == "XDSUnavailableCommunity" and
                                  e.get("location") == c.home
                                  for e in reply.root.iter("{%s}RegistryError" % C.NS_RS)):
                bad.append("%s is down: no XDSUnavailableCommunity located at %s" % (c.name, c.home))
        return bad

    def ig_fanout_checks(self, body, seen, reply):
        """The ITI-38s the gateway sent for the consumer's query body: one
        to each community that is up for a patient query, only to the one
        AdhocQuery/@home names for a query by ids (none for its own), each
        with the consumer's query; and what they answered passed on."""
        env, bad = self.ig_env, []
        aq = body.find("{%s}AdhocQuery" % C.NS_RIM)
        home = aq.get("home") if aq is not None else None
        if home:
            c = env.by_home(home)
            want = [c.name] if c is not None and c.recorder is not None else []
        else:
            want = [c.name for c in env.remote() if not c.down]
        got = [x.community for x in seen]
        if sorted(got) != sorted(want):
            bad.append("ITI-38 sent to %s, want %s" % (sorted(got) or "no community", want))
        ids = set()
        rol = reply.root.find("{%s}RegistryObjectList" % C.NS_RIM) if reply.kind == "response" else None
        for o in (rol if rol is not None else ()):
            ids.add((o.get("id"), o.get("home")))
        for x in seen:
            if x.action != ACTION_XCQ:
                bad.append("%s got wsa:Action %s, want %s" % (x.community, x.action, ACTION_XCQ))
            q = x.body()
            qa = q.find("{%s}AdhocQuery" % C.NS_RIM) if q is not None else None
            if qa is None or aq is None or qa.get("id") != aq.get("id") or \
                    R.xpath_values(q, "//*[local-name()='Slot']/@name") != \
                    R.xpath_values(body, "//*[local-name()='Slot']/@name"):
                bad.append("%s got another query than the consumer's" % x.community)
            ans = env.ig.parse(x.status, x.ctype, x.data)
            if ans.kind != "response":
                continue
            arol = ans.root.find("{%s}RegistryObjectList" % C.NS_RIM)
            for o in (arol if arol is not None else ()):
                if isinstance(o.tag, str) and local(o.tag) != "Association" and \
                        (o.get("id"), env.comm[x.community].home) not in ids:
                    bad.append("%s %s answered by %s not passed on" % (local(o.tag), o.get("id"), x.community))
        return bad

    # ITI-18 to the Initiating Gateway
    def run_igq(self, step, trans):
        vals = self.tokens(step, trans)
        body = C.query_request(self.template(step, trans, vals))
        env = self.ig_env
        msg = C.soap_wrap(body, C.ACTION_ITI18, env.ig.url)
        self.save(step, ".xml", msg)
        env.take()
        reply = env.ig.post(C.ACTION_ITI18, msg)
        seen = env.take()
        self.save(step, ".reply.xml", reply.raw)
        bad = []
        if reply.kind == "response":
            if reply.action != ACTION_ITI18_RSP:
                bad.append("wsa:Action %s, want %s" % (reply.action or "none", ACTION_ITI18_RSP))
            bad += self.ig_object_checks(reply)
        bad += self.ig_fanout_checks(body, seen, reply)
        b, notes = self.assertions(trans, vals, reply)
        notes.append("%s; ITI-38 to %s" % (reply.summary(), ", ".join(
            sorted(x.community for x in seen)) or "none"))
        self.finish(step, trans, reply, {"reports": {}}, body, trans.find("ExpectedContents"),
                    extra_bad=bad + b, extra_notes=notes)

    # ITI-43 to the Initiating Gateway
    def run_igr(self, step, trans):
        vals = self.tokens(step, trans)
        req = self.template(step, trans, vals)
        asked = doc_requests(req)
        env = self.ig_env
        msg = C.soap_wrap(req, RR.ACTION_ITI43, env.ig.url)
        self.save(step, ".xml", msg)
        env.take()
        reply = env.ig.post_mtom(RR.ACTION_ITI43, msg, [])
        seen = env.take()
        self.save(step, ".reply.xml", reply.raw)
        bad, notes = [], []
        if reply.kind == "response":
            if reply.action != ACTION_ITI43_RSP:
                bad.append("wsa:Action %s, want %s" % (reply.action or "none", ACTION_ITI43_RSP))
            if not (reply.ctype or "").lower().startswith("multipart/related"):
                bad.append("answer not MTOM (%s)" % reply.ctype)
            for e in reply.root.iter("{%s}RegistryError" % C.NS_RS):
                if e.get("location") not in env.homes():
                    bad.append("RegistryError %s located at %s" % (e.get("errorCode"), e.get("location")))
            b, notes = self.check_documents(step, trans, vals, asked, reply)
            bad += b
        # routing: one ITI-39 to each community a DocumentRequest names,
        # with exactly its DocumentRequests
        want = {}
        for home, repo, uid in asked:
            c = env.by_home(home)
            if c is not None and c.recorder is not None:
                want.setdefault(c.name, set()).add(uid)
        got = {}
        for x in seen:
            if x.action != ACTION_XCR:
                bad.append("%s got wsa:Action %s, want %s" % (x.community, x.action, ACTION_XCR))
            q = x.body()
            got.setdefault(x.community, set()).update(
                uid for _, _, uid in doc_requests(q) if q is not None)
        if got != want or len(seen) != len(want):
            bad.append("ITI-39 sent: %s; want one to each of %s" % (
                dict((k, sorted(v)) for k, v in got.items()) or "none",
                dict((k, sorted(v)) for k, v in want.items())))
        b, n = self.assertions(trans, vals, reply)
        notes.append("%s; ITI-39 to %s" % (reply.summary(), ", ".join(sorted(got)) or "none"))
        self.finish(step, trans, reply, {"reports": {}}, req,
                    extra_bad=bad + b, extra_notes=notes + n)

    # 12300 (<SUTInitiates/>): the Initiating Gateway sends the plan's ITI-38
    # to Community 1; here the harness makes it do so (the plan's query as
    # ITI-18 to the gateway) and judges what Community 1 got and answered
    def run_sut_xcq(self, step, trans):
        vals = self.tokens(step, trans)
        body = C.query_request(self.template(step, trans, vals))
        env = self.ig_env
        msg = C.soap_wrap(body, C.ACTION_ITI18, env.ig.url)
        self.save(step, ".xml", msg)
        env.take()
        ig_reply = env.ig.post(C.ACTION_ITI18, msg)
        seen = env.take()
        self.save(step, ".reply.xml", ig_reply.raw)
        c1 = env.comm[RG_NODES[0][0]]
        to1 = [x for x in seen if x.community == c1.name]
        if len(to1) != 1:
            self.report(step.case, "FAIL", "the gateway sent %d request(s) to %s for the ITI-18 "
                        "(answer: %s), want one ITI-38" % (len(to1), c1.name, ig_reply.summary()))
            return
        x = to1[0]
        bad = []
        if x.action != ACTION_XCQ:
            bad.append("wsa:Action of the request %s, want %s" % (x.action, ACTION_XCQ))
        q = x.body()
        if q is None or R.xpath_values(q, "//*[local-name()='ResponseOption']/@returnType") != \
                R.xpath_values(body, "//*[local-name()='ResponseOption']/@returnType") or \
                R.xpath_values(q, "//*[local-name()='Value']") != \
                R.xpath_values(body, "//*[local-name()='Value']"):
            bad.append("the ITI-38 is not the plan's query (returnType, patient, status)")
        reply = env.ig.parse(x.status, x.ctype, x.data)
        bad += gateway_checks(reply, ACTION_XCQ_RSP, False, c1.home)
        if ig_reply.kind != "response" or ig_reply.status != "Success":
            bad.append("the gateway answered the ITI-18 with %s" % ig_reply.summary())
        else:
            bad += self.ig_object_checks(ig_reply) + self.ig_fanout_checks(body, seen, ig_reply)
        b, notes = self.assertions(trans, vals, reply)
        notes.append("the ITI-38 the gateway sent %s for the plan's query, and its answer" % c1.name)
        self.finish(step, trans, reply, {"reports": {}}, q, trans.find("ExpectedContents"),
                    extra_bad=bad + b, extra_notes=notes)

    # openxds/InitiatingGatewayRequest.xml: FindDocuments to an Initiating
    # Gateway, one of whose communities does not answer (the sample's
    # response): sent with Community 1 down, as 15814 left it
    def run_ig_file(self, rid, row):
        env = self.ig_setup()
        env.take_down(RG_NODES[0][0])
        body = C.query_request(C.parse_xml(self.file_data(rid).decode("utf-8", "replace")))
        msg = C.soap_wrap(body, C.ACTION_ITI18, env.ig.url)
        env.take()
        reply = env.ig.post(C.ACTION_ITI18, msg)
        seen = env.take()
        codes = [e.strip() for e in row["errors"].split(",")
                 if e.strip() and R.error_code_like(e.strip())]
        bad, _ = self.judge(None, reply, R.short_status(row["expected"].strip()), codes, [])
        if reply.kind == "response":
            if reply.action != ACTION_ITI18_RSP:
                bad.append("wsa:Action %s, want %s" % (reply.action or "none", ACTION_ITI18_RSP))
            bad += self.ig_object_checks(reply)
        bad += self.ig_fanout_checks(body, seen, reply)
        if bad:
            self.report(rid, "FAIL", self.fail_text(bad, reply))
        else:
            self.report(rid, "PASS", "%s down: %s; %s" % (
                RG_NODES[0][0], reply.summary(), R.Contents(reply.root).counts()))

    def conclude(self, node, strict, sent, started):
        if self.ig_env is not None:
            for name, problem in self.ig_env.stop():
                self.report("xdsd:%s" % name, "FAIL", problem)
            if self.failed_cases:
                print(self.ig_env.log_tails())
        return super().conclude(node, strict, sent, started)

    def close_env(self):
        if self.ig_env is not None:
            self.ig_env.close()

    # RAD-75 (XCA-I)
    def rad75_skips(self):
        for rid in sorted(self.rad75):
            key = rid[len("nist:"):].split("/")[0]
            self.report(rid, "SKIP", RAD75_RIG_REASON if key.startswith("rig_")
                        else RAD75_IIG_REASON)

    # request samples
    def file_skip_reason(self, row):
        kind, exp, tr = row["kind"], row["expected"], row["transaction"]
        if "Initiating Gateway" in tr:
            if tr == "ITI-18 (to Initiating Gateway)" and kind.startswith("request"):
                return None
            return "%s, not a request: an Initiating Gateway does not receive it" % kind
        if tr not in ("ITI-38", "ITI-39"):
            return "transaction %s is not sent to a Responding Gateway" % tr
        if not kind.startswith(("request body", "request (SOAP)")):
            return "%s, not a request: a Responding Gateway does not receive it" % kind
        if exp in ("see note", "n/a", ""):
            return "no outcome asserted by the source (see note in expected-outcomes.tsv)"
        if tr == "ITI-39":
            return ("names documents of the source's own community and repositories, "
                    "which this node never received")
        return None

    def run_file(self, rid, row):
        if "Initiating Gateway" in row["transaction"]:
            return self.run_ig_file(rid, row)
        data = self.file_data(rid)
        root = C.parse_xml(data.decode("utf-8", "replace"))
        if row["kind"].startswith("request (SOAP)"):
            # the envelope as the source wrote it (the header is part of the sample)
            msg = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")
        else:
            msg = C.soap_wrap(C.query_request(root), ACTION_XCQ, self.rg.url)
        reply = self.rg.post(ACTION_XCQ, msg)
        codes = [e.strip() for e in row["errors"].split(",")
                 if e.strip() and R.error_code_like(e.strip())]
        bad, _ = self.judge(None, reply, R.short_status(row["expected"].strip()), codes, [])
        bad += gateway_checks(reply, ACTION_XCQ_RSP, False)
        if bad:
            self.report(rid, "FAIL", self.fail_text(bad, reply))
        else:
            self.report(rid, "PASS", reply.summary() + "; " + R.Contents(reply.root).counts())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xdsd", required=True, help="xdsd binary to start")
    ap.add_argument("--testdata", default=os.environ.get("XDS_TESTDATA"))
    ap.add_argument("--known", default=os.path.join(HERE, "known-failures-xca.tsv"))
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--startup-timeout", type=float, default=20.0)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--save", metavar="DIR", help="write every request and answer")
    ap.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--no-files", action="store_true")
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("only", nargs="*", help="NIST test numbers (glob); the loaders always run")
    args = ap.parse_args(argv)
    args.keep_objectrefs = False
    args.url = None
    if not args.testdata or not os.path.isfile(
            os.path.join(args.testdata, "expected-outcomes.tsv")):
        print("replay_xca: no conformance corpus (--testdata / XDS_TESTDATA)",
              file=sys.stderr)
        return 77
    R.TEST_ROOTS = XCA_ROOTS
    R.FILE_FOLDERS = XCA_FOLDERS
    R.LOADERS = LOADERS
    try:
        rad75 = [rid for rid in R.load_outcomes(args.testdata, RAD75_FOLDERS)
                 if rid.startswith("nist:")]
    except OSError as e:
        print("replay_xca: %s" % e, file=sys.stderr)
        return 99

    engines = []

    def engine(outcomes, known, url):
        base = url[:-len(R.REGISTRY_PATH)]
        engines.append(XcaEngine(args, outcomes, known, R.Client(url, args.timeout),
                                 XcaClient(base + RR.REPOSITORY_PATH, args.timeout),
                                 XcaClient(base + RG_PATH, args.timeout), rad75))
        return engines[-1]
    try:
        return R.replay(args, "replay_xca", "xds-nist-xca-",
                        ["repository.unique_id=" + REPO_ID, "node.home_community_id=" + HOME,
                         "gateway.allow=anonymous"] + args.conf, engine)
    finally:
        for e in engines:
            e.close_env()


if __name__ == "__main__":
    sys.exit(main())
