#!/usr/bin/env python3
"""Replay the NIST Document Registry test plans against xdsd.

Starts xdsd on a free 127.0.0.1 port with a temporary state directory (or
talks to --url), runs the NIST XDS Toolkit tests for ITI-42, ITI-18 and
ITI-57 from the conformance corpus (iti42-register, iti18-stored-query and
their negative/ twins, iti57-metadata-update) step by step as the NIST
engine would, and the other ITI-42/ITI-57/ITI-18 request files listed in
expected-outcomes.tsv, and checks status, error codes and result counts.

One line per case: PASS, FAIL (with expected vs got), XFAIL (listed in
known-failures.tsv), XPASS (listed but passed: the list needs updating) or
SKIP (with the reason).  Last line: "N passed, M failed, K skipped".
Exit status 0 iff there is no unexpected failure (99 on a harness error).
"""

import argparse
import datetime
import fnmatch
import http.client
import os
import posixpath
import re
import shutil
import signal
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import convert as C  # noqa: E402
import xdsmsg  # noqa: E402
import xdstest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REGISTRY_PATH = "/xds/registry"
MAX_RESPONSE = 16 * 1024 * 1024

# Corpus folders this harness owns (README "Layout").
TEST_ROOTS = ("iti42-register/nist-testkit", "negative/iti42-register/nist-testkit",
              "iti18-stored-query/nist-testkit",
              "negative/iti18-stored-query/nist-testkit",
              "iti57-metadata-update/nist-testkit")
FILE_FOLDERS = ("iti42-register", "iti18-stored-query", "negative/iti42-register",
                "negative/iti18-stored-query", "iti57-metadata-update")
# Register steps and the action each is sent with (MuTransaction: the
# Metadata Update, ITI-57).
SUBMIT_ACTIONS = {"RegisterTransaction": C.ACTION_ITI42,
                  "MuTransaction": C.ACTION_ITI57}
FILE_ACTIONS = {"ITI-42": C.ACTION_ITI42, "ITI-57": C.ACTION_ITI57}
# Tests whose data others read (column needs): run them first, in this order.
LOADERS = ("12346", "12374", "12361")

# Patient Identity Feed tests the plans refer to (not in the corpus): the
# first patient of the running test, or its second ("alternate") patient.
PIF_MAIN = ("15817", "15818", "15819")
PIF_ALT = ("15817b", "15820")

STATUS_PREFIXES = ("urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:",
                   "urn:ihe:iti:2007:ResponseStatusType:")


class Blocked(Exception):
    """A step cannot run: a value it needs was not produced."""


class HarnessError(Exception):
    pass


# --- small helpers -------------------------------------------------------

def short_status(s):
    for p in STATUS_PREFIXES:
        if s and s.startswith(p):
            return s[len(p):]
    return s or ""


def dtm(t):
    return t.strftime("%Y%m%d%H%M%S")


def xpath_values(root, expr):
    """The subset of XPath 1.0 the NIST testplans use for <Report> and
    <Assert>: //*[local-name()='X']/*[local-name()='Y'][@a='v']/@attr,
    plus "[local-name()='X' and descendant::*[local-name()='E'][@a='v']]"
    and "*[local-name()='X' and @a='v']".
    Returns the list of matching attribute values or element texts."""
    expr = " ".join(expr.split())
    attr = None
    m = re.search(r"/@([\w:]+)$", expr)
    if m:
        attr, expr = m.group(1), expr[:m.start()]
    desc = None
    m = re.search(r" and descendant::\*\[local-name\(\)='(\w+)'\]"
                  r"\[@(\w+)='([^']*)'\]", expr)
    if m:
        desc = ".//{*}%s[@%s='%s']" % m.groups()
        expr = expr[:m.start()] + expr[m.end():]
    # [local-name()='X' and @a='v'][1] (15807's $uid$): X with that
    # attribute; a [1] after it is dropped (ElementTree would count all X
    # siblings, XPath those with the attribute: the first value is taken)
    expr = re.sub(r"\*\[local-name\(\)='(\w+)' and @([\w:]+)='([^']*)'\](?:\[1\])?",
                  r"{*}\1[@\2='\3']", expr)
    path = re.sub(r"\*\[local-name\(\)='(\w+)'\]", r"{*}\1", expr)
    if path.startswith("//"):
        path = ".//" + path[2:]
    elif path.startswith("/"):
        path = "./" + path[1:]
    wrap = ET.Element("wrap")
    wrap.append(root)
    try:
        found = wrap.findall(path)
    except SyntaxError as e:
        raise HarnessError("XPath not supported: %s (%s)" % (expr, e)) from None
    finally:
        wrap.remove(root)
    if desc:
        found = [f for f in found if f.find(desc) is not None]
    if attr:
        return [f.get(attr) for f in found if f.get(attr) is not None]
    return [(f.text or "").strip() for f in found]


def split_compare(expr):
    """(left, operator, right) of an XPath comparison "A = B" or
    "A != B" (the operator outside quotes, brackets and parentheses), or
    None."""
    depth, quote = 0, None
    for i, ch in enumerate(expr):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif depth == 0 and ch == "=":
            if i > 0 and expr[i - 1] == "!":
                return expr[:i - 1].strip(), "!=", expr[i + 1:].strip()
            return expr[:i].strip(), "=", expr[i + 1:].strip()
    return None


def _operand(expr, root):
    """An operand of a comparison: ("num", n), ("str", s) or ("set",
    [values]); None for a form not known."""
    m = re.fullmatch(r"count\((.*)\)", expr)
    if m and m.group(1).startswith("/"):
        return "num", float(len(xpath_values(root, m.group(1))))
    if re.fullmatch(r"'[^']*'|\"[^\"]*\"", expr):
        return "str", expr[1:-1]
    if re.fullmatch(r"-?\d+(?:\.\d+)?", expr):
        return "num", float(expr)
    if expr.startswith("/") and "(" not in expr.replace("local-name()", ""):
        return "set", xpath_values(root, expr)
    return None


def _scalar_eq(a, b):
    """XPath 1.0 = of a value of a node-set or a literal with another."""
    try:
        if isinstance(a, float) or isinstance(b, float):
            return float(a) == float(b)
    except ValueError:
        return False
    return a == b


def xpath_compare(expr, root):
    """(ok, what) of the XPath 1.0 comparison expr over root: a node-set
    compares true when one of its values does; ok None when a side is
    not a form the harness knows."""
    parts = split_compare(expr)
    if parts is None:
        return None, "not a comparison"
    left, op, right = _operand(parts[0], root), parts[1], _operand(parts[2], root)
    if left is None or right is None:
        return None, "form not evaluated"
    lv = left[1] if left[0] == "set" else [left[1]]
    rv = right[1] if right[0] == "set" else [right[1]]
    ok = any((_scalar_eq(x, y) if op == "=" else not _scalar_eq(x, y))
             for x in lv for y in rv)
    return ok, "%s %s %s" % (lv or "nothing", op, rv or "nothing")


# --- responses -----------------------------------------------------------

class Reply:
    """What came back for one request."""

    def __init__(self):
        self.http = 0
        self.kind = "none"      # response | fault | unparseable | transport
        self.status = ""        # Success, Failure, PartialSuccess
        self.errors = []        # (errorCode, codeContext, severity)
        self.fault = ""
        self.root = None        # the Body child
        self.raw = b""
        self.parts = {}         # MTOM parts by Content-ID (RepoClient)

    def summary(self):
        if self.kind == "response":
            s = self.status
            if self.errors:
                s += " [%s]" % ", ".join(e[0] for e in self.errors)
            return s
        if self.kind == "fault":
            return "SOAP Fault %s" % self.fault
        if self.kind == "transport":
            return "no answer (%s)" % self.fault
        return "HTTP %d, unparseable answer (%s): %r" % (
            self.http, self.fault, self.raw[:200])


def soap_part(ctype, data):
    """The SOAP envelope bytes of a simple or MTOM answer."""
    for head, body in xdsmsg.mime_parts(ctype, data) or ():
        if b"xml" in head.lower():
            return body
    return data


def parse_reply(http_status, ctype, data):
    r = Reply()
    r.http, r.raw = http_status, data
    try:
        env = ET.fromstring(soap_part(ctype, data))
    except ET.ParseError as e:
        r.kind, r.fault = "unparseable", str(e)
        return r
    child = C.body_child(env)
    if child is None:
        r.kind, r.fault = "unparseable", "no soap:Body child"
        return r
    r.root = child
    if C.local(child.tag) == "Fault":
        r.kind = "fault"
        code = child.findtext(".//{%s}Value" % C.NS_SOAP) or ""
        reason = child.findtext(".//{%s}Text" % C.NS_SOAP) or ""
        r.fault = "%s: %s" % (code, reason.strip())
        return r
    r.kind = "response"
    r.status = short_status(child.get("status"))
    for e in child.iter("{%s}RegistryError" % C.NS_RS):
        r.errors.append((e.get("errorCode", ""), e.get("codeContext", ""),
                         e.get("severity", "").rsplit(":", 1)[-1]))
    return r


class Contents:
    """Objects in an AdhocQueryResponse, sorted into the NIST categories."""

    def __init__(self, root):
        self.docs, self.ss, self.fol, self.assoc, self.refs = [], [], [], [], []
        rol = None
        if root is not None:
            rol = root.find("{%s}RegistryObjectList" % C.NS_RIM)
        if rol is None:
            return
        ss_ids, fol_ids = set(), set()
        for e in rol.iter("{%s}Classification" % C.NS_RIM):
            node = e.get("classificationNode")
            if node == C.CL_SUBMISSIONSET:
                ss_ids.add(e.get("classifiedObject"))
            elif node == C.CL_FOLDER:
                fol_ids.add(e.get("classifiedObject"))
        for o in rol:
            k = C.local(o.tag)
            if k == "ExtrinsicObject":
                self.docs.append(o)
            elif k == "Association":
                self.assoc.append(o)
            elif k == "ObjectRef":
                self.refs.append(o)
            elif k == "RegistryPackage":
                schemes = {ei.get("identificationScheme") for ei in
                           o.findall("{%s}ExternalIdentifier" % C.NS_RIM)}
                if o.get("id") in ss_ids or C.EI_SS_UNIQUEID in schemes:
                    self.ss.append(o)
                elif o.get("id") in fol_ids or C.EI_FOL_UNIQUEID in schemes:
                    self.fol.append(o)
                else:
                    self.ss.append(o)

    def total(self):
        return len(self.docs) + len(self.ss) + len(self.fol) + \
            len(self.assoc) + len(self.refs)

    def counts(self):
        return ("Documents=%d SubmissionSets=%d Folders=%d Associations=%d "
                "ObjectRefs=%d" % (len(self.docs), len(self.ss), len(self.fol),
                                   len(self.assoc), len(self.refs)))


def _status_is(o, what):
    return (o.get("status") or "").endswith(":" + what)


_NUM = {"One": 1, "Two": 2, "Three": 3}


def check_contents(ec, reply, resolve):
    """Compare <ExpectedContents> with the answer; returns
    (problems, not_evaluated)."""
    got = Contents(reply.root)
    cat = {"Documents": got.docs, "DocumentEntries": got.docs,
           "ObjectRefs": got.refs, "SubmissionSets": got.ss,
           "Folders": got.fol, "Associations": got.assoc}
    bad, unchecked = [], []

    def want(name, n, have):
        if n != len(have):
            bad.append("%s count %d, got %d" % (name, n, len(have)))

    for c in ec:
        if not isinstance(c.tag, str):
            continue
        name = c.tag
        if name in cat and c.get("count") is not None:
            want(name, int(c.get("count")), cat[name])
            continue
        m = re.fullmatch(r"SSwith(?:(One|Two|Three)Doc)?(?:(One|Two)Fol)?"
                         r"((?:One|Two)DocInFol)?", name)
        if m and (m.group(1) or m.group(2)):
            want("SubmissionSets", 1, got.ss)
            want("Documents", _NUM.get(m.group(1), 0), got.docs)
            want("Folders", _NUM.get(m.group(2), 0), got.fol)
            continue
        if name == "None":
            if got.total():
                bad.append("no objects expected, got " + got.counts())
        elif name == "NoSubmissionSet":
            want("SubmissionSets", 0, got.ss)
        elif name == "NoDocument":
            want("Documents", 0, got.docs)
        elif name in ("DocApp", "DocDep"):
            st = "Approved" if name == "DocApp" else "Deprecated"
            if not got.docs or not all(_status_is(d, st) for d in got.docs):
                bad.append("%s: every DocumentEntry %s, got %s" % (
                    name, st, [d.get("status", "").rsplit(":", 1)[-1]
                               for d in got.docs]))
        elif name in ("OneDocApp", "OneDocDep"):
            st = "Approved" if name == "OneDocApp" else "Deprecated"
            n = sum(1 for d in got.docs if _status_is(d, st))
            if n != 1:
                bad.append("%s: exactly one DocumentEntry %s, got %d" % (name, st, n))
        elif name == "SSApproved":
            if not got.ss or not all(_status_is(s, "Approved") for s in got.ss):
                bad.append("SSApproved: SubmissionSet not Approved")
        elif name.startswith("Has") and name[3:] in C.ASSOC_URN:
            urn = C.ASSOC_URN[name[3:]]
            if not any(a.get("associationType") == urn for a in got.assoc):
                bad.append("%s: no %s association in the answer" % (name, name[3:]))
        elif name == "DocumentEntries":
            ids = []
            for de in c.iter("DocumentEntry"):
                for u in de.findall("UseId"):
                    ids.append(resolve(u))
                t = de.findtext("DocumentEntryType")
                if t and not all(d.get("objectType") == t.strip() for d in got.docs):
                    bad.append("DocumentEntry objectType is not %s" % t.strip())
            if c.find("MustOnlyInclude") is not None:
                have = sorted(d.get("id") for d in got.docs)
                if have != sorted(ids):
                    bad.append("DocumentEntries must be exactly %s, got %s" % (ids, have))
        else:
            unchecked.append(name)
    return bad, unchecked


# --- the node ------------------------------------------------------------

class Node(xdstest.Xdsd):
    """xdsd in the foreground on port 0 (the port read from
    state/xdsd.ports), with a temporary state dir, the DICOM bridge too
    with dicom (its port in dport); started (HarnessError if not)."""

    def __init__(self, xdsd, workdir, startup_timeout, extra_conf, dicom=False):
        os.mkdir(os.path.join(workdir, "state"), 0o700)
        super().__init__(xdsd, workdir, extra_conf, dicom=dicom)
        if not self.start(startup_timeout):
            rc = None if self.running() else self.returncode()
            self.stop()
            if rc is not None:
                raise HarnessError("xdsd exited with status %d during start-up" % rc)
            raise HarnessError("xdsd did not write its ports and answer GET /health "
                               "with 200 within %g s" % startup_timeout)
        self.url = "http://127.0.0.1:%d%s" % (self.port, REGISTRY_PATH)

    def alive(self):
        return self.running()

    def stop(self):
        """The exit status, also when it had stopped already."""
        st = super().stop()
        return self.returncode() if st is None else st

    def log_text(self, limit=20000):
        try:
            return self.log()[-limit:]
        except OSError:
            return ""


class Client:
    def __init__(self, url, timeout):
        m = re.fullmatch(r"http://([^/:]+)(?::(\d+))?(/.*)", url)
        if not m:
            raise HarnessError("bad --url %s (http://host:port/path)" % url)
        self.host, self.port = m.group(1), int(m.group(2) or 80)
        self.path, self.url, self.timeout = m.group(3), url, timeout
        self.sent = 0

    def post(self, action, body):
        """A SOAP 1.2 request with action: its Reply."""
        return self.post_raw('application/soap+xml; charset=UTF-8; action="%s"' % action,
                             body)

    def post_raw(self, ctype, body):
        """body as it is, with Content-Type ctype: its Reply (kind
        "transport" when no answer of at most MAX_RESPONSE bytes came)."""
        self.sent += 1
        try:
            c = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            c.request("POST", self.path, body, {"Content-Type": ctype})
            resp = c.getresponse()
            data = resp.read(MAX_RESPONSE + 1)
            rtype = resp.getheader("Content-Type", "")
            c.close()
        except (OSError, http.client.HTTPException) as e:
            r = Reply()
            r.kind, r.fault = "transport", "%s: %s" % (type(e).__name__, e)
            return r
        if len(data) > MAX_RESPONSE:
            r = Reply()
            r.kind, r.fault = "transport", "answer larger than %d bytes" % MAX_RESPONSE
            return r
        return self.parse(resp.status, rtype, data)

    def parse(self, status, ctype, data):
        return parse_reply(status, ctype, data)


# --- expectations --------------------------------------------------------

def load_outcomes(testdata, folders=None):
    """The rows of expected-outcomes.tsv (by id) in folders (default
    FILE_FOLDERS)."""
    rows = {}
    path = os.path.join(testdata, "expected-outcomes.tsv")
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            vals = line.rstrip("\n").split("\t")
            row = dict(zip(header, vals + [""] * (len(header) - len(vals))))
            if row["folder"].startswith(folders or FILE_FOLDERS):
                rows[row["id"]] = row
    return rows


def load_known(path):
    """[(case pattern, reason)] of a known-failures file; [] without one."""
    known = []
    if not path or not os.path.exists(path):
        return known
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            pat, _, reason = line.partition("\t")
            if not reason.strip():
                raise HarnessError("%s:%d: a known failure needs a reason" % (path, n))
            known.append((pat.strip(), reason.strip()))
    return known


def error_code_like(s):
    return re.fullmatch(r"[A-Za-z][A-Za-z0-9_.:]*", s) is not None and "=" not in s


# --- verdicts --------------------------------------------------------------

class Verdicts:
    """One line per case: PASS, FAIL, SKIP (with the reason); a PASS or
    FAIL of a case a known failure names (known: [(fnmatch pattern,
    reason)] from the file known_name) is an XPASS or XFAIL."""

    def __init__(self, known, known_name):
        self.known, self.known_name = known, known_name
        self.results = []       # (case, verdict, text)
        self.done = set()
        self.failed_cases = set()

    def report(self, case, verdict, text=""):
        kf = None
        if verdict in ("PASS", "FAIL"):
            for pat, reason in self.known:
                if fnmatch.fnmatchcase(case, pat):
                    kf = reason
                    break
        if kf is not None:
            if verdict == "FAIL":
                verdict, text = "XFAIL", "%s (known: %s)" % (text, kf)
            else:
                verdict, text = "XPASS", "listed in %s but passed: %s" % (self.known_name, kf)
        if verdict in ("FAIL", "XFAIL"):
            self.failed_cases.add(case)
        self.results.append((case, verdict, text))
        self.done.add(case)
        line = "%-5s %s" % (verdict, case)
        if text:
            line += ": " + text
        print(line, flush=True)

    def conclude(self, node, strict, sent, started, what="requests", label=""):
        """The end of a run: node (a Node, or None) stopped, where a node
        that died or a non-zero exit status after SIGTERM (a sanitizer
        report, a crash) is a failure too; the totals printed, with the
        tail of the node's log after a failure.  The exit status (0/1;
        strict: an XPASS fails too)."""
        counts = {}
        for _, v, _ in self.results:
            counts[v] = counts.get(v, 0) + 1
        if node is not None:
            if not node.alive():
                print("# xdsd died during the run (status %s)" % node.proc.returncode)
                counts["FAIL"] = counts.get("FAIL", 0) + 1
            else:
                st = node.stop()
                if st not in (0, -signal.SIGTERM):
                    self.report("xdsd:shutdown", "FAIL",
                                "exit status %s after SIGTERM" % st)
                    counts["FAIL"] = counts.get("FAIL", 0) + 1
        nfail = counts.get("FAIL", 0)
        if strict:
            nfail += counts.get("XPASS", 0)
        print("# %d %s in %.1f s; %d expected failures (XFAIL, %s), "
              "%d unexpected passes (XPASS)" % (
                  sent, what, time.monotonic() - started, counts.get("XFAIL", 0),
                  self.known_name, counts.get("XPASS", 0)))
        if nfail and node is not None:
            print("# ---- xdsd log (tail) ----")
            print(node.log_text())
            print("# ---- end of xdsd log ----")
        print("%s%d passed, %d failed, %d skipped" % (
            label, counts.get("PASS", 0) + counts.get("XPASS", 0), nfail,
            counts.get("SKIP", 0)))
        return 1 if nfail else 0


# --- the engine ----------------------------------------------------------

class Step:
    def __init__(self, test, key, sdir, el):
        self.test, self.key, self.dir, self.el = test, key, sdir, el
        self.id = el.get("id", "")
        self.case = "nist:%s#%s" % (key, self.id)


class Engine(Verdicts):
    def __init__(self, args, outcomes, known, client):
        super().__init__(known, os.path.basename(args.known))
        self.args, self.outcomes, self.client = args, outcomes, client
        self.ids = C.IdSource(args.seed)
        self.logs = {}          # (section key, step) -> dict
        self.patients = {}      # test -> CX
        self.alt = {}           # test -> CX
        self.scopes = {}
        self.last_result = {}   # section key -> Body child of its last passed step
        self.section_log = {}   # section key -> every request body and answer
        self.known_tests = set(t for t, _ in self.nist_tests())
        self.now = datetime.datetime.now(datetime.timezone.utc)

    def sent(self):
        """Requests sent so far."""
        return self.client.sent

    # patients
    def patient(self, test):
        if test not in self.patients:
            self.patients[test] = self.ids.patient()
        return self.patients[test]

    def alt_patient(self, test):
        if test not in self.alt:
            self.alt[test] = self.ids.patient()
        return self.alt[test]

    # ids between steps
    def resolve_useid(self, u, step):
        base = step.key
        td = u.get("testdir")
        key = posixpath.normpath(posixpath.join(base, td)) if td else base
        sstep, section, sym = u.get("step"), u.get("section"), u.get("id")
        log = self.logs.get((key, sstep))
        if log is None and key.split("/")[0] not in self.known_tests:
            raise Blocked("needs test %s, which is not in the corpus (NIST "
                          "XUA/SAML variants and feeds were not copied)"
                          % key.split("/")[0])
        if log is None:
            raise Blocked("needs %s from %s#%s, which did not run or failed"
                          % (section, key, sstep))
        val = log.get(section, {}).get(sym)
        if val is None:
            raise Blocked("%s#%s has no %s for %s" % (key, sstep, section, sym))
        return val

    def resolve_usereport(self, u, step):
        test = u.get("test")
        if test in PIF_MAIN:
            return self.patient(step.test)
        if test in PIF_ALT:
            return self.alt_patient(step.test)
        if test:
            raise Blocked("UseReport from test %s, not in the corpus" % test)
        sec = u.get("section")
        key = step.key if sec == "THIS" else \
            posixpath.join(step.key.split("/")[0], sec)
        if "/" not in step.key and sec != "THIS":
            key = step.key
        log = self.logs.get((key, u.get("step")))
        if log is None:
            raise Blocked("needs report %s from %s#%s, which did not run or failed"
                          % (u.get("reportName"), key, u.get("step")))
        val = log["reports"].get(u.get("reportName"))
        if val is None:
            raise Blocked("%s#%s has no report %s" % (key, u.get("step"),
                                                       u.get("reportName")))
        return val

    def tokens(self, step, trans):
        pid = self.patient(step.test)
        vals = {"$patientid$": pid, "$patient_id$": pid,
                "$patient_id1$": pid, "$patient_id2$": self.alt_patient(step.test),
                "$altpatientid$": self.alt_patient(step.test),
                "$now$": dtm(self.now + datetime.timedelta(days=1)),
                "$lastyear$": dtm(self.now - datetime.timedelta(days=365))}
        if step.el.find("AltPatientId") is not None:
            vals["$patientid$"] = vals["$patient_id$"] = self.ids.unknown_patient()
        for u in trans.findall("UseReport"):
            vals[u.get("useAs")] = self.resolve_usereport(u, step)
        for u in trans.findall("UseId"):
            vals[u.get("symbol")] = self.resolve_useid(u, step)
        return vals

    def load_template(self, step, trans, vals):
        mf = (trans.findtext("MetadataFile") or "").strip()
        if not mf:
            raise HarnessError("no MetadataFile")
        path = os.path.normpath(os.path.join(step.dir, mf))
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise HarnessError("cannot read %s: %s" % (mf, e)) from None
        text, missing = C.fill_tokens(text, vals)
        # a UseId symbol that is no $token$ is replaced where it stands
        # (15801 queries by ('Document01'))
        for sym in sorted((k for k in vals if not k.startswith("$")),
                          key=len, reverse=True):
            text = text.replace(sym, C.xml_escape(vals[sym]))
        if missing:
            raise Blocked("template %s: no value for %s" % (mf, " ".join(missing)))
        return C.parse_xml(text)

    def reports(self, trans, inp, reply):
        out = {}
        for r in trans.findall("Report"):
            src = inp if r.get("section") == "InputMetadata" else \
                (reply.root if reply is not None else None)
            if src is None:
                continue
            v = xpath_values(src, r.text or "")
            if v:
                out[r.get("name")] = v[0]
        return out

    # expectations
    def expected(self, step):
        row = self.outcomes.get(step.case, {})
        st = (row.get("expected") or step.el.findtext("ExpectedStatus") or
              "Success").strip()
        codes, msgs = [], []
        for e in step.el.findall("ExpectedErrorCode"):
            codes.append(e.text.strip())
        for e in step.el.findall("ExpectedErrorMessage"):
            msgs.append(e.text.strip())
        for e in (row.get("errors") or "").split(","):
            e = e.strip()
            if e and error_code_like(e) and e not in codes + msgs:
                codes.append(e)
        return short_status(st), codes, msgs

    def judge(self, step, reply, exp_status, codes, msgs, contents=None,
              resolve=None):
        bad, notes = [], []
        if reply.kind != "response":
            return ["expected %s, got %s" % (exp_status, reply.summary())], notes
        if reply.status != exp_status:
            bad.append("status: expected %s, got %s" % (exp_status, reply.summary()))
        got_codes = [e[0] for e in reply.errors]
        for c in codes:
            if c not in got_codes:
                bad.append("error code: expected %s, got %s" % (c, got_codes or "none"))
        for m in msgs:
            if not any(m == e[0] or m in e[1] for e in reply.errors):
                bad.append("error: expected %s, got %s" % (m, got_codes or "none"))
        if contents is not None and not bad:
            b, unchecked = check_contents(contents, reply, resolve)
            bad += b
            if unchecked:
                notes.append("not evaluated: " + " ".join(unchecked))
        return bad, notes

    def fail_text(self, bad, reply):
        text = "; ".join(bad)
        if reply is not None and reply.kind == "response":
            for code, ctx, sev in reply.errors[:3]:
                text += " | %s %s: %s" % (sev, code, ctx[:400])
        return text

    # running
    def run_step(self, step):
        el = step.el
        trans = None
        for c in el:
            if isinstance(c.tag, str) and c.tag.endswith("Transaction"):
                trans = c
                break
        if el.find("NewPatientId") is not None and trans is None:
            self.patients[step.test] = self.ids.patient()
            self.logs[(step.key, step.id)] = {"reports": {}}
            self.report(step.case, "SKIP", "engine-internal setup: new patient "
                        "id allocated for the rest of the test, nothing sent")
            return
        if trans is None:
            self.report(step.case, "SKIP", "no transaction in this step")
            return
        kind = trans.tag
        if kind == "PatientIdentityFeedTransaction":
            self.logs[(step.key, step.id)] = {"reports": {}}
            self.report(step.case, "SKIP", "Patient Identity Feed: with "
                        "registry.patient_ids=bsn every valid BSN is known, the "
                        "harness generates fresh BSNs instead")
            return
        if step.case in SKIP_CASES:
            self.report(step.case, "SKIP", SKIP_CASES[step.case])
            return
        if kind == "NullTransaction":
            self.run_assertions(step, trans)
            return
        if kind not in SUBMIT_ACTIONS and kind != "StoredQueryTransaction":
            self.report(step.case, "SKIP", "%s is not a Document Registry "
                        "transaction" % kind)
            return
        try:
            vals = self.tokens(step, trans)
            root = self.load_template(step, trans, vals)
        except Blocked as e:
            self.report(step.case, "SKIP", "blocked: %s" % e)
            return
        log = {"reports": {}}
        if kind in SUBMIT_ACTIONS:
            action = SUBMIT_ACTIONS[kind]
            body, assigned = self.submission(step, trans, vals, root)
            log.update(assigned.as_sections())
        else:
            action = C.ACTION_ITI18
            body = C.query_request(root)
        msg = C.soap_wrap(body, action, self.client.url)
        self.save(step, ".xml", msg)
        reply = self.client.post(action, msg)
        self.save(step, ".reply.xml", reply.raw)
        self.finish(step, trans, reply, log, body, trans.find("ExpectedContents"))

    def submission(self, step, trans, vals, root, distinct=False):
        """The metadata of a register or PnR step as the NIST engine sends
        it: the template root in ebRIM 3.0 with the test's patient (the
        alternate one with <AltPatientId/>; with <NoPatientId/> the
        template's own, made valid BSNs when distinct) and the ids it
        assigns; (SubmitObjectsRequest, the ids assigned)."""
        sor = C.translate(root)
        if step.el.find("AltPatientId") is not None:
            patient = vals["$patientid$"]
        elif trans.find("NoPatientId") is not None:
            patient = None
        else:
            patient = self.patient(step.test)
        if patient is None and distinct:
            self.distinct_patients(sor)
        noassign = {n.get("id") for n in trans.findall("NoAssignUids")}
        return sor, C.finish_submission(
            sor, self.ids, assign_uuids=trans.find("AssignUuids") is not None,
            no_assign_uids=noassign, patient=patient,
            keep_objectrefs=self.args.keep_objectrefs)

    def distinct_patients(self, sor):
        """<NoPatientId/>: the template's own patient ids stay as they
        are in relation to each other (11986 sends two different ones),
        but each becomes a valid BSN (registry.patient_ids=bsn)."""
        seen = {}
        for e in sor.iter("{%s}ExternalIdentifier" % C.NS_RIM):
            if e.get("identificationScheme") in C.PATIENT_SCHEMES:
                v = e.get("value", "")
                if v not in seen:
                    seen[v] = self.ids.patient()
                e.set("value", seen[v])

    def save(self, step, name, data):
        """--save: data into DIR/<case><name>."""
        if self.args.save:
            fn = step.case.replace("nist:", "").replace("/", "_").replace("#", "-")
            with open(os.path.join(self.args.save, fn + name), "wb") as f:
                f.write(data)

    def finish(self, step, trans, reply, log, inp=None, contents=None,
               extra_bad=(), extra_notes=()):
        """Judge the reply to step (and its <ExpectedContents>) and report
        it; log (with the <Report> values of the request inp and the
        answer) is kept for later steps when the step did what it
        should."""
        exp_status, codes, msgs = self.expected(step)

        def resolve(u):
            try:
                return self.resolve_useid(u, step)
            except Blocked as e:
                return "<%s>" % e
        bad, notes = self.judge(step, reply, exp_status, codes, msgs, contents, resolve)
        bad += list(extra_bad)
        notes += list(extra_notes)
        log["reports"].update(self.reports(trans, inp, reply))
        self.section_log.setdefault(step.key, []).extend(
            e for e in (inp, reply.root) if e is not None)
        if not bad:
            self.logs[(step.key, step.id)] = log
            self.last_result[step.key] = reply.root
            self.report(step.case, "PASS", "; ".join(notes))
        else:
            if exp_status != "Success" or reply.status == "Success":
                # the node did what the registry should; later steps may
                # still use the ids this one assigned
                self.logs[(step.key, step.id)] = log
            self.report(step.case, "FAIL", self.fail_text(bad, reply))

    def run_assertions(self, step, trans):
        """NIST <Assertions> over the log of the section (DataRef
        file="THIS": the NIST engine's log.xml holds every request it sent
        and every answer), with the values of the step's <UseReport>s put
        in for their useAs names as the NIST engine does.  The comparisons
        of xpath_compare are evaluated, other forms make the step SKIP;
        so does a section whose last step did not pass."""
        asserts = trans.findall("Assertions/Assert")
        prev = self.last_result.get(step.key)
        try:
            names = dict((u.get("useAs"), self.resolve_usereport(u, step))
                         for u in trans.findall("UseReport"))
        except Blocked as e:
            self.report(step.case, "SKIP", "blocked: %s" % e)
            return
        texts = []
        for a in asserts:
            t = " ".join((a.text or "").split())
            for n in sorted(names, key=len, reverse=True):
                t = t.replace(n, names[n])
            texts.append(t)
        if not asserts or not all(split_compare(t) for t in texts):
            self.report(step.case, "SKIP", "NIST <Assertions> (%s) use XPath "
                        "forms the harness does not evaluate" % " ".join(
                            a.get("id", "?") for a in asserts))
            return
        if prev is None:
            self.report(step.case, "SKIP", "blocked: the step whose result "
                        "these assertions read did not pass")
            return
        this = ET.Element("log")
        this.extend(self.section_log.get(step.key, []))
        bad, unknown = [], []
        for a, t in zip(asserts, texts):
            ok, what = xpath_compare(t, this)
            if ok is None:
                unknown.append(a.get("id", "?"))
            elif not ok:
                bad.append("%s: %s" % (a.get("id"), what))
        if unknown:
            self.report(step.case, "SKIP", "NIST <Assertions> (%s) use XPath "
                        "functions the harness does not evaluate" % " ".join(unknown))
            return
        if bad:
            self.report(step.case, "FAIL", "; ".join(bad))
        else:
            self.report(step.case, "PASS", "asserts: " + " ".join(
                a.get("id", "?") for a in asserts))

    def run_plan(self, test, key, sdir, plan):
        try:
            tp = ET.parse(plan).getroot()
        except (OSError, ET.ParseError) as e:
            self.report("nist:%s" % key, "FAIL", "harness: cannot read testplan: %s" % e)
            return
        for el in tp.findall("TestStep"):
            step = Step(test, key, sdir, el)
            try:
                self.run_step(step)
            except (C.ConvertError, HarnessError) as e:
                self.report(step.case, "FAIL", "harness: %s" % e)

    def nist_tests(self):
        tests = {}
        for tr in TEST_ROOTS:
            base = os.path.join(self.args.testdata, tr)
            if not os.path.isdir(base):
                continue
            for t in sorted(os.listdir(base)):
                tdir = os.path.join(base, t)
                if not os.path.isdir(tdir):
                    continue
                plans = []
                idx = os.path.join(tdir, "index.idx")
                if os.path.exists(idx):
                    with open(idx, encoding="utf-8") as f:
                        for sec in f.read().split():
                            plans.append(("%s/%s" % (t, sec), os.path.join(tdir, sec)))
                elif os.path.exists(os.path.join(tdir, "testplan.xml")):
                    plans.append((t, tdir))
                tests[t] = plans
        order = [t for t in LOADERS if t in tests] + \
            [t for t in sorted(tests) if t not in LOADERS]
        return [(t, tests[t]) for t in order]

    def run_nist(self, only):
        for test, plans in self.nist_tests():
            if only and not any(fnmatch.fnmatchcase(test, o) for o in only) \
                    and test not in LOADERS:
                continue
            for key, sdir in plans:
                plan = os.path.join(sdir, "testplan.xml")
                if not os.path.exists(plan):
                    self.report("nist:%s" % key, "SKIP", "section listed in "
                                "index.idx has no testplan.xml")
                    continue
                self.run_plan(test, key, sdir, plan)

    # --- files that are not NIST test plans
    def run_files(self):
        for rid in sorted(self.outcomes):
            if not rid.startswith("file:"):
                continue
            row = self.outcomes[rid]
            reason = self.file_skip_reason(row)
            if reason:
                self.report(rid, "SKIP", reason)
                continue
            try:
                self.run_file(rid, row)
            except (C.ConvertError, HarnessError, ET.ParseError) as e:
                self.report(rid, "FAIL", "harness: %s" % e)

    def file_skip_reason(self, row):
        return file_skip_reason(row)

    def file_data(self, rid):
        """The bytes of the corpus file of the row rid ("file:<path>")."""
        with open(os.path.join(self.args.testdata, rid[len("file:"):]), "rb") as f:
            return f.read()

    def run_file(self, rid, row):
        root = C.parse_xml(self.file_data(rid).decode("utf-8", "replace"))
        if row["transaction"] in FILE_ACTIONS:
            action = FILE_ACTIONS[row["transaction"]]
            sor = root if C.local(root.tag) == "SubmitObjectsRequest" else None
            if sor is None:
                for e in root.iter():
                    if C.local(e.tag) == "SubmitObjectsRequest":
                        sor = e
                        break
            if sor is None:
                raise HarnessError("no SubmitObjectsRequest")
            sor = C.translate(sor)
            refresh_submission(sor, self.ids, self.file_scope(rid),
                               self.ids.patient())
            body = sor
        else:
            action = C.ACTION_ITI18
            body = C.query_request(root)
        msg = C.soap_wrap(body, action, self.client.url)
        reply = self.client.post(action, msg)
        exp = row["expected"].strip()
        codes = [e.strip() for e in row["errors"].split(",")
                 if e.strip() and error_code_like(e.strip())]
        if exp.startswith("Success (lenient)"):
            if reply.kind in ("response", "fault"):
                self.report(rid, "PASS", "schema-invalid sample, either answer "
                            "is conformant: got %s" % reply.summary())
            else:
                self.report(rid, "FAIL", "no SOAP answer: %s" % reply.summary())
            return
        if exp == "SOAP Fault":
            if reply.kind == "fault":
                self.report(rid, "PASS")
            else:
                self.report(rid, "FAIL", "expected a SOAP Fault, got %s" % reply.summary())
            return
        bad, _ = self.judge(None, reply, short_status(exp), codes, [])
        if bad:
            self.report(rid, "FAIL", self.fail_text(bad, reply))
        else:
            self.report(rid, "PASS")

    def file_scope(self, rid):
        # dcm4chee's resubmission pair must share the DocumentEntry uniqueId
        if "dcm4chee-xds/Resubmit" in rid:
            return self.scopes.setdefault("resubmit", {})
        return {}


def refresh_submission(sor, ids, uid_scope, patient):
    """Make a fixed sample submittable more than once per corpus: fresh
    urn:uuid ids (references rewritten), fresh SubmissionSet/Folder
    uniqueIds, DocumentEntry uniqueIds mapped through uid_scope, and the
    patient ids set to a known BSN (registry.patient_ids=bsn)."""
    rol = sor.find("{%s}RegistryObjectList" % C.NS_RIM)
    idmap = {}
    for e in sor.iter():
        v = e.get("id")
        if v and v.startswith("urn:uuid:") and C.local(e.tag) != "ObjectRef":
            idmap[v] = ids.uuid()
    for e in sor.iter():
        for a in ("id", "classifiedObject", "registryObject", "sourceObject",
                  "targetObject"):
            v = e.get(a)
            if v in idmap:
                e.set(a, idmap[v])
    for e in rol.iter("{%s}ExternalIdentifier" % C.NS_RIM):
        s = e.get("identificationScheme")
        if s in C.PATIENT_SCHEMES:
            e.set("value", patient)
        elif s == C.EI_DE_UNIQUEID:
            old = e.get("value", "")
            if old not in uid_scope:
                uid_scope[old] = ids.oid()
            e.set("value", uid_scope[old])
        elif s in (C.EI_SS_UNIQUEID, C.EI_FOL_UNIQUEID):
            e.set("value", ids.oid())
    C.finish_submission(sor, ids, assign_uuids=False, assign_uids=False)


def file_skip_reason(row):
    kind, exp, tr = row["kind"], row["expected"], row["transaction"]
    if tr not in ("ITI-42", "ITI-57", "ITI-18"):
        return "transaction %s is not sent to a Document Registry" % tr
    if not kind.startswith("request"):
        return ("%s, not a request: a Registry does not receive it "
                "(client-side/log sample)" % kind)
    if exp == "see note":
        return "no outcome asserted by the source (see note in expected-outcomes.tsv)"
    if row["id"].endswith(".txt"):
        return "raw HTTP capture; the same request is covered as a file sample"
    return None


# Steps the harness does not run, with the reason.
SKIP_CASES = {
    "nist:12323/verify_time_updated#validation":
        "compares the folder's lastUpdateTime (whole seconds) before and "
        "after a step that the replay sends within the same second as the "
        "one before it; the NIST engine's steps are seconds apart (the "
        "update itself is checked by 12323/verify_time_updated)",
    "nist:12370/not_configured#submit":
        "12370 not_configured is for a Registry configured to refuse "
        "documentation classifications on associations; the node accepts "
        "them (ITI TF-3 4.2.2.2.8), so the 12370/submit path applies",
}


def report_unrun(engine):
    """Every in-scope expected-outcomes row that no step produced."""
    for rid in sorted(engine.outcomes):
        if rid in engine.done or not rid.startswith("nist:"):
            continue
        row = engine.outcomes[rid]
        key = rid[len("nist:"):].split("#")[0]
        if "/" not in key and os.path.exists(
                os.path.join(engine.args.testdata, row["folder"], "index.idx")):
            reason = ("top-level testplan.xml of %s is superseded by the "
                      "sections in its index.idx (the NIST engine runs those)" % key)
        else:
            reason = ("section %s is not listed in its test's index.idx, so "
                      "the NIST engine does not run it" % key)
        engine.report(rid, "SKIP", reason)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xdsd", help="xdsd binary to start")
    ap.add_argument("--url", help="use a running node instead "
                    "(http://127.0.0.1:PORT/xds/registry)")
    ap.add_argument("--testdata", default=os.environ.get("XDS_TESTDATA"),
                    help="conformance corpus (default $XDS_TESTDATA)")
    ap.add_argument("--known", default=os.path.join(HERE, "known-failures.tsv"))
    ap.add_argument("--timeout", type=float, default=20.0,
                    help="per-request timeout in seconds")
    ap.add_argument("--startup-timeout", type=float, default=float(xdstest.DEADLINE))
    ap.add_argument("--seed", type=int, help="fix the random ids")
    ap.add_argument("--save", metavar="DIR", help="write every request sent")
    ap.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                    help="extra xdsd -C setting")
    ap.add_argument("--no-files", action="store_true",
                    help="only the NIST test plans")
    ap.add_argument("--keep-objectrefs", action="store_true",
                    help="keep the template's rim:ObjectRefs to stored objects "
                    "(RPLC targets, folders) in ITI-42; the NIST engine drops "
                    "every ObjectRef when it translates to ebRIM 3.0")
    ap.add_argument("--strict", action="store_true",
                    help="an XPASS fails the run too")
    ap.add_argument("only", nargs="*", help="NIST test numbers (glob)")
    args = ap.parse_args(argv)
    if not args.testdata or not os.path.isfile(
            os.path.join(args.testdata, "expected-outcomes.tsv")):
        print("replay: no conformance corpus (--testdata / XDS_TESTDATA)",
              file=sys.stderr)
        return 77
    if bool(args.xdsd) == bool(args.url):
        print("replay: give exactly one of --xdsd and --url", file=sys.stderr)
        return 99
    return replay(args, "replay", "xds-nist-", args.conf,
                  lambda outcomes, known, url: Engine(args, outcomes, known,
                                                      Client(url, args.timeout)))


def replay(args, name, prefix, conf, engine):
    """A replay: xdsd started (args.xdsd, in a temporary directory named
    after prefix, with the -C settings conf) or the node at args.url;
    engine(outcomes, known failures, url) run over the NIST plans, the
    corpus files and the rows no step produced, then concluded.  The exit
    status: 0, 1 on a failure, 99 on a harness error (named after name)."""
    if args.save:
        os.makedirs(args.save, exist_ok=True)
    outcomes = load_outcomes(args.testdata)
    known = load_known(args.known)
    work = tempfile.mkdtemp(prefix=prefix)
    node = None
    rc = 99
    started = time.monotonic()
    try:
        if args.xdsd:
            node = Node(args.xdsd, work, args.startup_timeout, conf)
            url = node.url
            print("# xdsd pid %d on %s, state %s" % (node.proc.pid, url, node.state))
        else:
            url = args.url
        eng = engine(outcomes, known, url)
        eng.run_nist(args.only)
        if not args.no_files and not args.only:
            eng.run_files()
        if not args.only:
            report_unrun(eng)
        rc = eng.conclude(node, args.strict, eng.sent(), started)
    except HarnessError as e:
        print("%s: %s" % (name, e), file=sys.stderr)
        if node is not None:
            print(node.log_text(), file=sys.stderr)
        elif os.path.exists(os.path.join(work, "xdsd.log")):
            with open(os.path.join(work, "xdsd.log"), errors="replace") as f:
                print(f.read()[-20000:], file=sys.stderr)
        rc = 99
    finally:
        if node is not None:
            st = node.stop()
            # 0 or killed by our SIGTERM is fine; anything else (a sanitizer
            # report at exit, a crash) is a node failure.
            if st not in (0, -signal.SIGTERM) and rc == 0:
                print("%s: xdsd exit status %s after SIGTERM" % (name, st))
                print(node.log_text())
                rc = 1
        shutil.rmtree(work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
