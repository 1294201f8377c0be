#!/usr/bin/env python3
"""Consent for imaging across communities (XCA-I), end to end (make
check): community B holds studies behind its DICOM bridge and asks Mitz
(the double) before anything leaves; community A's initiating gateway
asks B for a local consumer.

A RAD-75 retrieve names studies, series and instances only, so B's
policy point finds the patient through the manifests its ITI-38 answers
released (gateway.imaging_release_ttl).  Cases:
  * before any query, a RAD-69 at A for a study of B is refused by B
    ("not shown by an ITI-38"), Mitz not asked, nothing released;
  * after ITI-18 at A finds B's manifest (Permit), the RAD-69 at A
    returns the instance byte for byte, and B asked Mitz again, about the
    study's patient, before releasing it;
  * a patient whose consent is Deny: ITI-18 finds nothing of B, and the
    RAD-69 of that patient's study is refused;
  * after Mitz turns to Deny for the permitted patient (no cache), the
    same RAD-69 is refused with B's consent error.
Prints one line per check and a final "N passed, M failed".
"""
import os
import shutil
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "dicom"))
sys.path.insert(0, HERE)
import mitz_double  # noqa: E402
import test_xca  # noqa: E402
import xdsmsg  # noqa: E402
import xdstest  # noqa: E402
from dicomtest import bsn_instance, meta_split, publish, storescu, wait_published  # noqa: E402
from test_xca import IG, find_docs  # noqa: E402
from xdstest import check  # noqa: E402

HA, HB = test_xca.HA, test_xca.HB
RA, RB = test_xca.RA, test_xca.RB
ACT_RAD69 = "urn:ihe:rad:2009:RetrieveImagingDocumentSet"
JLS_ANY = "1.2.840.10008.1.2.1"     # Explicit VR Little Endian
XDSB, XOP = "{urn:ihe:iti:xds-b:2007}", "{http://www.w3.org/2004/08/xop/include}"


def rad69_body(home, study, series, sop):
    return ('<xdsiB:RetrieveImagingDocumentSetRequest xmlns:xdsiB="urn:ihe:rad:xdsi-b:2009" '
            'xmlns:xdsb="urn:ihe:iti:xds-b:2007"><xdsiB:StudyRequest studyInstanceUID="%s">'
            '<xdsiB:SeriesRequest seriesInstanceUID="%s"><xdsb:DocumentRequest>'
            '<xdsb:HomeCommunityId>%s</xdsb:HomeCommunityId>'
            '<xdsb:RepositoryUniqueId>%s</xdsb:RepositoryUniqueId>'
            '<xdsb:DocumentUniqueId>%s</xdsb:DocumentUniqueId></xdsb:DocumentRequest>'
            '</xdsiB:SeriesRequest></xdsiB:StudyRequest><xdsiB:TransferSyntaxUIDList>'
            '<xdsiB:TransferSyntaxUID>%s</xdsiB:TransferSyntaxUID></xdsiB:TransferSyntaxUIDList>'
            '</xdsiB:RetrieveImagingDocumentSetRequest>' % (study, series, home, RB, sop, JLS_ANY))


def rad69_at(a, home, study, series, sop):
    """(status, errors [(code, location, context)], {sop: bytes}) of a
    RAD-69 at A's initiating gateway."""
    ct, body = xdsmsg.mtom(ACT_RAD69, rad69_body(home, study, series, sop), [])
    st, rct, rb = xdsmsg.post(a.port, IG, ct, body, timeout=60)
    xml, att = xdsmsg.split_mtom(rct, rb)
    ans = test_xca.Answer(st, xml, att)
    docs = {}
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        root = None
    for dr in root.iter(XDSB + "DocumentResponse") if root is not None else ():
        uid = dr.findtext(XDSB + "DocumentUniqueId")
        inc = dr.find(XDSB + "Document/" + XOP + "Include")
        if uid and inc is not None:
            docs[uid] = att.get(inc.get("href", "")[4:])
    return xdsmsg.status_of(xml), ans.errors, docs


def store_study(r, b, bsn, n):
    """One instance of a new study for patient bsn at B, published; its
    (study, series, sop, bytes)."""
    study = "1.2.3.88.%d" % n
    series, sop = study + ".1", study + ".1.1"
    path = bsn_instance(os.path.join(r.work, "s%d.dcm" % n), sop, study, series, "LOC%d" % n,
                        bsn=bsn)
    rc = storescu(b.dport, [path])
    if rc.returncode != 0:
        raise RuntimeError("storescu to B: %s" % rc.stderr[-300:])
    publish(r.xdsctl, b.state, study)
    if wait_published(r.xdsctl, b.state, study) is None:
        raise RuntimeError("B did not publish %s" % study)
    with open(path, "rb") as f:
        return study, series, sop, f.read()


def cases(r, mitz):
    b = xdstest.Xdsd(r.xdsd, r.work, name="b", dicom=True, opts=[
        "node.home_community_id=" + HB, "repository.unique_id=" + RB,
        "dicom.publish_after=3600", "gateway.allow=anonymous", "consent.mode=mitz",
        "consent.mitz_url=" + mitz.url, "consent.ura=12345678", "consent.org_type=V6",
        "consent.timeout=2", "consent.cache_ttl=0",
        "consent.requesters=anonymous|87654321|V4|01.015|900012345"])
    r.nodes.append(b)
    if not b.start():
        raise RuntimeError("B did not start")
    d = r.directory("communities", [(HB, b.port, "", "Ziekenhuis B")])
    a = r.node("a", HA, RA, ["directory.file=" + d, "gateway.allow=anonymous"])

    permit, deny = xdsmsg.bsn(), xdsmsg.bsn()
    while deny == permit:
        deny = xdsmsg.bsn()
    mitz.decide(permit, "Permit")
    mitz.decide(deny, "Deny")
    s1 = store_study(r, b, permit, 1)
    s2 = store_study(r, b, deny, 2)

    st, errs, docs = rad69_at(a, HB, *s1[:3])
    check("before a query, RAD-69 at A for B's study: refused by B, nothing released",
          st == "Failure" and not docs and any(loc == HB and "not shown" in ctx
                                               for _, loc, ctx in errs), (st, errs))
    check("... and Mitz was not asked", mitz.asked(permit) == [], mitz.asked(permit))

    ans = r.ig_query(a, find_docs(xdsmsg.patient(permit)))
    check("Permit: ITI-18 at A finds B's manifest of the study",
          ans.status == "Success" and len(ans.objects) == 1 and
          all(o["home"] == HB for o in ans.objects.values()), ans)
    n = len(mitz.asked(permit))
    st, errs, docs = rad69_at(a, HB, *s1[:3])
    got = docs.get(s1[2])
    check("Permit: RAD-69 at A returns B's instance, its dataset byte for byte",
          st == "Success" and got is not None and
          meta_split(got)[1] == meta_split(s1[3])[1], (st, errs, list(docs)))
    check("... and B asked Mitz about the study's patient before releasing it",
          len(mitz.asked(permit)) > n, mitz.asked(permit)[n:])

    ans = r.ig_query(a, find_docs(xdsmsg.patient(deny)))
    check("Deny: ITI-18 at A finds nothing of B", not ans.objects, ans)
    st, errs, docs = rad69_at(a, HB, *s2[:3])
    check("Deny: RAD-69 of that patient's study is refused, nothing released",
          st == "Failure" and not docs and any(loc == HB for _, loc, _ in errs), (st, errs))

    mitz.decide(permit, "Deny")
    st, errs, docs = rad69_at(a, HB, *s1[:3])
    check("consent withdrawn: the same RAD-69 is refused with B's consent error",
          st == "Failure" and not docs and any(loc == HB and "consent" in ctx
                                               for _, loc, ctx in errs), (st, errs))


if __name__ == "__main__":
    if shutil.which("storescu") is None:
        print("SKIP: dcmtk not installed")
        sys.exit(77)
    sys.exit(test_xca.run_main(cases, xdsctl=True,
                               doubles=(mitz_double.MitzDouble(holder_ura="12345678"),)))
