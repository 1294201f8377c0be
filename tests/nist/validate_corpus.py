#!/usr/bin/env python3
"""xdsctl validate over the conformance corpus ($XDS_TESTDATA).

Every message of expected-outcomes.tsv that is a whole message (a file:
row: a body, an envelope, an MTOM or HTTP capture; the NIST test steps'
ebRIM 3.0 submissions and the KOS manifests they carry) is checked:

  - a valid one (expected Success or PartialSuccess, not marked INVALID
    against the schemas) must have no error;
  - one marked INVALID against the schemas must have an XSD finding;
  - a negative one (Failure, SOAP Fault, "invalid response") must have
    an error, and one of the expected error codes when the row names
    some (column errors).

Known exceptions are in known-failures-validate.tsv (id glob, reason): a
listed case that fails is XFAIL, one that passes XPASS (then remove its
line).  Exit 0 when every case passed or is a known failure, 1 otherwise,
77 without the corpus.
"""
import argparse
import csv
import fnmatch
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NEGATIVE = ("Failure", "SOAP Fault", "invalid response")
POSITIVE = ("Success", "PartialSuccess", "Success (lenient)")
SKIP_KINDS = ("payload", "log", "HTTP headers", "check", "setup")


def known_failures(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            case, _, reason = line.rstrip("\n").partition("\t")
            out.append((case, reason))
    return out


def expected_codes(errors):
    """The codes a row names: "A / B", "A or env:Sender", "wsa:X (env:Y)"."""
    codes = set()
    for part in re.split(r"\s*(?:/|\bor\b|,)\s*", errors):
        part = re.sub(r"\(.*", "", part).strip()
        part = part.split(" ")[0] if part else part
        if part and part not in ("n/a",):
            codes.add(part)
    return codes


def cases(testdata):
    with open(os.path.join(testdata, "expected-outcomes.tsv"),
              encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for row in rows:
        kind, expected = row["kind"], row["expected"]
        if any(kind.startswith(k) for k in SKIP_KINDS):
            continue
        files = row["files"].split()
        if row["id"].startswith("file:"):
            if "template" in kind:
                continue
            for name in files:
                yield row, os.path.join(row["folder"], name)
        elif row["ebrim"] == "3.0" and row["xsd"] == "valid":
            # a NIST step's submission and the KOS manifests it carries
            for name in files:
                if name.endswith((".xml", ".dcm")):
                    yield row, os.path.join(row["folder"], name)


def judge(row, path, report):
    """None when the report is what the row expects, else why not."""
    expected, errors = row["expected"], row["errors"]
    codes = {f["code"] for f in report["findings"]
             if f["severity"] == "error" and f["code"]}
    rules = {f["rule"] for f in report["findings"]
             if f["severity"] == "error"}
    n = report["errors"]
    first = [f"{f['rule']} {f['code']} {f['text']}"[:160]
             for f in report["findings"] if f["severity"] == "error"][:3]
    if row["xsd"] == "INVALID":
        return None if "XSD" in rules else "no XSD finding"
    if row["id"].startswith("nist:") and not path.endswith(".dcm"):
        # a NIST step's template ($tokens$, symbolic ids): the schemas
        xsd = [f["text"] for f in report["findings"] if f["rule"] == "XSD"]
        return f"XSD: {xsd[:2]}" if xsd else None
    if "response" in row["kind"] and (expected in POSITIVE or
                                      expected.startswith("Failure")):
        # an answer that reports a failure is a valid message
        return None if n == 0 else f"{n} error(s): {first}"
    if any(expected.startswith(e) for e in NEGATIVE) or \
            expected == "Failure as-is":
        if n == 0:
            return "no error found"
        want = expected_codes(errors) if errors else set()
        if want and not want & codes:
            return f"none of {sorted(want)} among {sorted(codes)}"
        return None
    if expected in POSITIVE or expected.startswith("Success"):
        return None if n == 0 else f"{n} error(s): {first}"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xdsctl", required=True)
    ap.add_argument("--testdata", required=True)
    ap.add_argument("--known", default=os.path.join(
        HERE, "known-failures-validate.tsv"))
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    if not os.path.isfile(os.path.join(a.testdata, "expected-outcomes.tsv")):
        print("SKIP: no corpus")
        return 77
    known = known_failures(a.known)
    seen, npass, nfail, nxfail, nxpass = set(), 0, 0, 0, 0
    for row, rel in cases(a.testdata):
        case = f"{row['id']}:{os.path.basename(rel)}"
        if case in seen:
            continue
        seen.add(case)
        path = os.path.join(a.testdata, rel)
        p = subprocess.run([a.xdsctl, "-C", "registry.patient_ids=feed",
                            "validate", "--json", path],
                           capture_output=True, timeout=120)
        if p.returncode not in (0, 1):
            why = f"exit {p.returncode}: {p.stderr.decode()[:200]}"
        else:
            report = json.loads(p.stdout)[0]
            why = judge(row, rel, report)
            if why is None and (p.returncode == 1) != (report["errors"] > 0):
                why = f"exit {p.returncode} with {report['errors']} errors"
        k = [r for c, r in known if fnmatch.fnmatchcase(case, c)]
        if why is None and k:
            print(f"XPASS {case} (listed: {k[0]})")
            nxpass += 1
        elif why is None:
            npass += 1
            if a.v:
                print(f"PASS  {case}")
        elif k:
            nxfail += 1
            if a.v:
                print(f"XFAIL {case}: {why}")
        else:
            nfail += 1
            print(f"FAIL  {case} ({row['expected']} {row['errors']}): {why}")
    print(f"validate corpus: {npass} pass, {nfail} fail, {nxfail} known "
          f"failures, {nxpass} unexpected passes")
    return 1 if nfail or nxpass else 0


if __name__ == "__main__":
    sys.exit(main())
