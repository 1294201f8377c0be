#!/usr/bin/env python3
"""Self-check of the NIST template converter and the replay step logic.

Runs without a node.  The corpus checks (every ITI-42 template converts to
an ebRIM 3.0 message that xmllint validates against the OASIS/IHE XSDs) are
skipped when $XDS_TESTDATA or xmllint is missing.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert as C  # noqa: E402
import replay as R  # noqa: E402
import replay_xca as X  # noqa: E402

TESTDATA = os.environ.get("XDS_TESTDATA", "")
HAVE_CORPUS = os.path.isfile(os.path.join(TESTDATA, "expected-outcomes.tsv"))
XMLLINT = shutil.which("xmllint")
RIM = "{%s}" % C.NS_RIM

V21 = """<rs:SubmitObjectsRequest xmlns:rs="urn:oasis:names:tc:ebxml-regrep:registry:xsd:2.1">
 <rim:LeafRegistryObjectList xmlns:rim="urn:oasis:names:tc:ebxml-regrep:rim:xsd:2.1">
  <rim:ObjectRef id="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b518fff"/>
  <rim:ObjectRef id="$rplc_doc_uuid$"/>
  <rim:ExtrinsicObject id="Document01" mimeType="text/plain"
      objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">
   <rim:Name><rim:LocalizedString value="Doc"/></rim:Name>
   <rim:Description/>
   <rim:Slot name="creationTime"><rim:ValueList><rim:Value>20061224</rim:Value></rim:ValueList></rim:Slot>
   <rim:Classification classifiedObject="Document01" nodeRepresentation="N"
       classificationScheme="urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f">
    <rim:Name><rim:LocalizedString value="Normal"/></rim:Name>
    <rim:Slot name="codingScheme"><rim:ValueList><rim:Value>2.16.840.1.113883.5.25</rim:Value></rim:ValueList></rim:Slot>
   </rim:Classification>
   <rim:ExternalIdentifier value="$patientid$"
       identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427">
    <rim:Name><rim:LocalizedString value="XDSDocumentEntry.patientId"/></rim:Name>
   </rim:ExternalIdentifier>
   <rim:ExternalIdentifier value="Document01"
       identificationScheme="urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"/>
  </rim:ExtrinsicObject>
  <rim:RegistryPackage id="SubmissionSet01">
   <rim:Slot name="submissionTime"><rim:ValueList><rim:Value>20041225235050</rim:Value></rim:ValueList></rim:Slot>
   <rim:ExternalIdentifier value="SubmissionSet01"
       identificationScheme="urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"/>
   <rim:ExternalIdentifier value="$patientid$"
       identificationScheme="urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"/>
  </rim:RegistryPackage>
  <rim:Classification classifiedObject="SubmissionSet01"
      classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>
  <rim:Association sourceObject="SubmissionSet01" targetObject="Document01"
      associationType="HasMember">
   <rim:Slot name="SubmissionSetStatus"><rim:ValueList><rim:Value>Original</rim:Value></rim:ValueList></rim:Slot>
  </rim:Association>
  <rim:Association sourceObject="Document01" targetObject="$rplc_doc_uuid$"
      associationType="RPLC"/>
 </rim:LeafRegistryObjectList>
</rs:SubmitObjectsRequest>"""

OLD = "urn:uuid:11111111-2222-4333-8444-555555555555"


def convert_sample(assign_uuids=True, no_assign=(), patient="P", keep=False):
    ids = C.IdSource(seed=7)
    text, missing = C.fill_tokens(V21, {"$patientid$": "orig&x",
                                        "$rplc_doc_uuid$": OLD})
    assert not missing
    sor = C.translate(C.parse_xml(text))
    got = C.finish_submission(sor, ids, assign_uuids=assign_uuids,
                              no_assign_uids=no_assign, patient=patient,
                              keep_objectrefs=keep)
    return sor, got, ids


def xmllint_validate(paths, xsd):
    """Returns the xmllint error text ('' when every file validates)."""
    p = subprocess.run([XMLLINT, "--noout", "--schema", xsd] + paths,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=300)
    lines = [l for l in p.stdout.decode("utf-8", "replace").splitlines()
             if not l.endswith(" validates")]
    return "\n".join(lines) if (p.returncode or lines) else ""


class TestPatientIds(unittest.TestCase):
    def test_bsn_check(self):
        self.assertTrue(C.bsn_valid("111222333"))
        self.assertTrue(C.bsn_valid("123456782"))
        self.assertFalse(C.bsn_valid("123456789"))
        self.assertFalse(C.bsn_valid("12345678"))
        self.assertFalse(C.bsn_valid("12345678a"))
        self.assertFalse(C.bsn_valid("000000000"))

    def test_generated_bsns_are_valid_and_fresh(self):
        ids = C.IdSource(seed=1)
        seen = set()
        for _ in range(500):
            cx = ids.patient()
            bsn, rest = cx.split("^", 1)
            self.assertTrue(C.bsn_valid(bsn), cx)
            self.assertEqual(rest, "^^&2.16.840.1.113883.2.4.6.3&ISO")
            seen.add(bsn)
        self.assertGreater(len(seen), 490)

    def test_unknown_patient_is_not_a_bsn_id(self):
        cx = C.IdSource(seed=2).unknown_patient()
        self.assertNotIn(C.OID_BSN, cx)
        self.assertRegex(cx, r"^[0-9a-f]{12}\^\^\^&[0-9.]+&ISO$")


class TestTranslate(unittest.TestCase):
    def test_namespaces_and_root(self):
        sor, _, _ = convert_sample()
        self.assertEqual(sor.tag, "{%s}SubmitObjectsRequest" % C.NS_LCM)
        for e in sor.iter():
            self.assertIn(C.ns_of(e.tag), (C.NS_LCM, C.NS_RIM), e.tag)

    def test_child_order(self):
        sor, _, _ = convert_sample()
        eo = sor.find(".//%sExtrinsicObject" % RIM)
        order = [C.local(c.tag) for c in eo]
        self.assertEqual(order, ["Slot", "Name", "Description", "Classification",
                                 "ExternalIdentifier", "ExternalIdentifier"])
        cl = eo.find(RIM + "Classification")
        self.assertEqual([C.local(c.tag) for c in cl], ["Slot", "Name"])

    def test_assign_uuids_rewrites_references(self):
        sor, got, _ = convert_sample()
        doc = got.uuids["Document01"]
        ss = got.uuids["SubmissionSet01"]
        self.assertRegex(doc, r"^urn:uuid:[0-9a-f-]{36}$")
        self.assertNotEqual(doc, ss)
        eo = sor.find(".//%sExtrinsicObject" % RIM)
        self.assertEqual(eo.get("id"), doc)
        self.assertEqual(eo.find(RIM + "Classification").get("classifiedObject"), doc)
        for ei in eo.findall(RIM + "ExternalIdentifier"):
            self.assertEqual(ei.get("registryObject"), doc)
            self.assertTrue(ei.get("id").startswith("urn:uuid:"))
        assocs = sor.findall(".//%sAssociation" % RIM)
        self.assertEqual([(a.get("sourceObject"), a.get("targetObject"),
                           a.get("associationType")) for a in assocs],
                         [(ss, doc, C.ASSOC_URN["HasMember"]),
                          (doc, OLD, "urn:ihe:iti:2007:AssociationType:RPLC")])
        self.assertTrue(all(a.get("id") for a in assocs))
        top = sor.find(".//%sClassification[@classificationNode]" % RIM)
        self.assertEqual(top.get("classifiedObject"), ss)

    def test_without_assign_uuids_symbols_stay(self):
        sor, got, _ = convert_sample(assign_uuids=False)
        self.assertEqual(got.uuids["Document01"], "Document01")
        self.assertIsNotNone(sor.find(".//%sExtrinsicObject[@id='Document01']" % RIM))

    def test_objectrefs(self):
        sor, _, _ = convert_sample()
        self.assertEqual(list(sor.iter(RIM + "ObjectRef")), [])
        sor, _, _ = convert_sample(keep=True)
        refs = [r.get("id") for r in sor.iter(RIM + "ObjectRef")]
        self.assertEqual(refs, [OLD])

    def test_unique_ids_and_patient(self):
        sor, got, ids = convert_sample(patient="999^^^&1.2&ISO")
        self.assertTrue(got.uids["Document01"].startswith(ids.root + "."))
        self.assertTrue(got.uids["SubmissionSet01"].startswith(ids.root + "."))
        self.assertNotEqual(got.uids["Document01"], got.uids["SubmissionSet01"])
        for v in got.uids.values():
            self.assertLessEqual(len(v), 64)
            self.assertRegex(v, r"^[0-9]+(\.[0-9]+)+$")
        self.assertEqual(got.patients, {"Document01": "999^^^&1.2&ISO",
                                        "SubmissionSet01": "999^^^&1.2&ISO"})

    def test_no_patient_id_keeps_token_value(self):
        _, got, _ = convert_sample(patient=None)
        self.assertEqual(got.patients["Document01"], "orig&x")

    def test_no_assign_uids(self):
        _, got, _ = convert_sample(no_assign={"Document01"})
        self.assertEqual(got.uids["Document01"], "Document01")

    def test_tokens_are_escaped_and_missing_reported(self):
        text, missing = C.fill_tokens('<a v="$x$">$y$</a>', {"$x$": "a&b<"})
        self.assertEqual(text, '<a v="a&amp;b&lt;">$y$</a>')
        self.assertEqual(missing, ["$y$"])

    def test_soap_wrap(self):
        sor, _, _ = convert_sample()
        env = ET.fromstring(C.soap_wrap(sor, C.ACTION_ITI42, "http://h/x"))
        wsa = "{%s}" % C.NS_WSA
        hdr = env.find("{%s}Header" % C.NS_SOAP)
        act = hdr.find(wsa + "Action")
        self.assertEqual(act.text, C.ACTION_ITI42)
        self.assertEqual(act.get("{%s}mustUnderstand" % C.NS_SOAP), "true")
        self.assertRegex(hdr.findtext(wsa + "MessageID"), r"^urn:uuid:")
        self.assertEqual(hdr.findtext("%sReplyTo/%sAddress" % (wsa, wsa)), C.WSA_ANON)
        self.assertEqual(hdr.findtext(wsa + "To"), "http://h/x")
        self.assertEqual(C.body_child(env).tag, sor.tag)

    def test_bad_input(self):
        with self.assertRaises(C.ConvertError):
            C.parse_xml("<a>")
        with self.assertRaises(C.ConvertError):
            C.translate(ET.fromstring("<a/>"))


class TestReplayLogic(unittest.TestCase):
    def test_xpath_reports(self):
        sor, got, _ = convert_sample()
        ssuid = R.xpath_values(sor, "//*[local-name()='RegistryPackage']/*[local-name()="
                               "'ExternalIdentifier'][@identificationScheme='"
                               "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8']/@value")
        self.assertEqual(ssuid, [got.uids["SubmissionSet01"]])
        self.assertEqual(R.xpath_values(sor, "//*[local-name()='ExtrinsicObject']/@id"),
                         [got.uuids["Document01"]])
        pk = R.xpath_values(sor, "//*[local-name()='RegistryPackage' and descendant::*"
                            "[local-name()='ExternalIdentifier'][@identificationScheme="
                            "'urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8']]/@id")
        self.assertEqual(pk, [got.uuids["SubmissionSet01"]])
        # 15807's $uid$: the DocumentEntry's uniqueId, whatever its position
        uid = R.xpath_values(sor, "//*[local-name()='ExternalIdentifier' and "
                             "@identificationScheme='urn:uuid:2e82c1f6-a085-4c72-9da3-"
                             "8640a32e42ab'][1]/@value")
        self.assertEqual(uid, [got.uids["Document01"]])

    def _reply(self, body):
        env = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
               '<s:Body>%s</s:Body></s:Envelope>' % body).encode()
        return R.parse_reply(200, "application/soap+xml", env)

    def test_parse_failure_reply(self):
        r = self._reply(
            '<rs:RegistryResponse xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" '
            'status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure">'
            '<rs:RegistryErrorList><rs:RegistryError errorCode="XDSUnknownPatientId" '
            'codeContext="not known" severity="urn:oasis:names:tc:ebxml-regrep:'
            'ErrorSeverityType:Error"/></rs:RegistryErrorList></rs:RegistryResponse>')
        self.assertEqual((r.kind, r.status), ("response", "Failure"))
        self.assertEqual(r.errors, [("XDSUnknownPatientId", "not known", "Error")])

    def test_parse_fault_and_garbage(self):
        r = self._reply('<s:Fault xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
                        '<s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason>'
                        '<s:Text>bad</s:Text></s:Reason></s:Fault>')
        self.assertEqual(r.kind, "fault")
        self.assertIn("bad", r.fault)
        self.assertEqual(R.parse_reply(500, "text/plain", b"oops").kind, "unparseable")

    def test_contents(self):
        r = self._reply(
            '<q:AdhocQueryResponse xmlns:q="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
            'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" status="urn:oasis:'
            'names:tc:ebxml-regrep:ResponseStatusType:Success"><rim:RegistryObjectList>'
            '<rim:ExtrinsicObject id="d1" status="urn:oasis:names:tc:ebxml-regrep:'
            'StatusType:Approved"/><rim:RegistryPackage id="s1"/>'
            '<rim:Classification id="c" classifiedObject="s1" classificationNode="'
            'urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>'
            '<rim:RegistryPackage id="f1"><rim:ExternalIdentifier id="e" '
            'registryObject="f1" identificationScheme="urn:uuid:75df8f67-9973-4fbe-'
            'a900-df66cefecc5a" value="1.2"/></rim:RegistryPackage>'
            '<rim:Association id="a" associationType="urn:oasis:names:tc:ebxml-regrep:'
            'AssociationType:HasMember" sourceObject="s1" targetObject="d1"/>'
            '</rim:RegistryObjectList></q:AdhocQueryResponse>')
        ok = ET.fromstring('<E><SSwithOneDocOneFol/><DocApp/><Associations count="1"/>'
                           '</E>')
        self.assertEqual(R.check_contents(ok, r, None), ([], []))
        bad = ET.fromstring('<E><SSwithTwoDoc/><DocDep/><Frobnicate/></E>')
        problems, unchecked = R.check_contents(bad, r, None)
        self.assertEqual(len(problems), 3, problems)
        self.assertEqual(unchecked, ["Frobnicate"])


class TestXcaLogic(unittest.TestCase):
    """replay_xca.py's evaluation of the XCA plans' assertions."""

    ANSWER = ('<q:AdhocQueryResponse xmlns:q="%s" xmlns:r="%s"><r:RegistryObjectList>'
              '<r:ObjectRef id="a" home="urn:oid:1.2"/><r:ObjectRef id="b" home="urn:oid:9"/>'
              '</r:RegistryObjectList></q:AdhocQueryResponse>' % (C.NS_QUERY, C.NS_RIM))
    PATH = ("//XCQTransaction[1]/Result[1]/*[namespace-uri()='%s' and local-name()="
            "'AdhocQueryResponse'][1]/*[namespace-uri()='%s' and local-name()="
            "'RegistryObjectList'][1]/*[namespace-uri()='%s' and local-name()='ObjectRef']"
            % (C.NS_QUERY, C.NS_RIM, C.NS_RIM))

    def test_count_and_home(self):
        root = ET.fromstring(self.ANSWER)
        count = ("count(//XCQTransaction[@step=\"finddocs\"]/Result/*[local-name(.)="
                 "'AdhocQueryResponse']/*[local-name(.)='RegistryObjectList']/*"
                 "[local-name(.)='ObjectRef']) = %s")
        self.assertTrue(X.eval_assert(count % "2", root)[0])
        self.assertFalse(X.eval_assert(count % '"1"', root)[0])
        self.assertTrue(X.eval_assert(self.PATH + "[1]/@home = 'urn:oid:1.2'", root)[0])
        self.assertFalse(X.eval_assert(self.PATH + "[2]/@home = 'urn:oid:1.2'", root)[0])
        self.assertIsNone(X.eval_assert("todaysDate() = 'x'", root)[0])
        # 12342: an attribute predicate, and Result//X (anywhere below)
        home = ("count(//IGQTransaction[@step=\"pid\"]/Result/*[local-name(.)="
                "'AdhocQueryResponse']/*[local-name(.)='RegistryObjectList']/*"
                "[local-name(.)='ObjectRef'][@home='urn:oid:1.2']) = %s")
        self.assertTrue(X.eval_assert(home % "1", root)[0])
        self.assertFalse(X.eval_assert(home % "2", root)[0])
        anywhere = ("count(//IGQTransaction[@step=\"uuid\"]/Result//*[local-name(.)="
                    "'ObjectRef'][@home='urn:oid:9']) = 1")
        self.assertTrue(X.eval_assert(anywhere, root)[0])

    def test_report_comparisons(self):
        vals = {"a": "1", "b": "2", "c": "1"}
        self.assertTrue(X.compare_form("'a' = 'b' or 'a' = 'c'"))
        self.assertFalse(X.compare_form("//x/@y = 'v'"))
        self.assertTrue(X.eval_compare("'a' = 'b' or 'a' = 'c'", vals))
        self.assertFalse(X.eval_compare("'a' = 'b' and 'a' = 'c'", vals))
        self.assertTrue(X.eval_compare("'a' != 'b'", vals))
        self.assertFalse(X.eval_compare("'a' = 'missing'", vals))
        # a name that is no report value is a literal (15810 'count' = '2')
        self.assertTrue(X.eval_compare("'count' = '2'", {"count": "2"}))
        self.assertFalse(X.eval_compare("'count' = '2'", {"count": "1"}))

    def test_plain_use_as(self):
        text, missing = X.fill('<q home="$home"><v>$doc$</v><w>$x$</w></q>',
                               {"$home": "urn:oid:1&2", "$doc$": "u"})
        self.assertEqual(text, '<q home="urn:oid:1&amp;2"><v>u</v><w>$x$</w></q>')
        self.assertEqual(missing, ["$x$"])


@unittest.skipUnless(HAVE_CORPUS and XMLLINT, "needs $XDS_TESTDATA and xmllint")
class TestCorpus(unittest.TestCase):
    """Every ITI-42 template and ITI-18 query the replay sends is valid."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nist-convert-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _fill(self, text):
        vals = {t: "urn:uuid:00000000-0000-4000-8000-%012d" % i
                for i, t in enumerate(sorted(set(C.TOKEN_RE.findall(text))))}
        for t in ("$patientid$", "$patient_id$", "$altpatientid$"):
            vals[t] = C.bsn_cx("123456782")
        vals["$now$"], vals["$lastyear$"] = "20300101000000", "20200101000000"
        text, missing = C.fill_tokens(text, vals)
        self.assertEqual(missing, [])
        return text

    def _templates(self, roots, transaction):
        """The filled template (text) of every <transaction> step of the
        NIST plans in the corpus folders roots."""
        for tr in roots:
            for plan in glob.glob(os.path.join(TESTDATA, tr, "nist-testkit", "**",
                                               "testplan.xml"), recursive=True):
                tp = ET.parse(plan).getroot()
                for t in tp.iter(transaction):
                    mf = t.findtext("MetadataFile").strip()
                    with open(os.path.join(os.path.dirname(plan), mf),
                              encoding="utf-8") as f:
                        yield self._fill(f.read())

    def _write(self, elem, name, paths):
        """elem into the temporary directory as name; its path into paths."""
        p = os.path.join(self.tmp, name)
        ET.ElementTree(elem).write(p, encoding="utf-8", xml_declaration=True)
        paths.append(p)

    def test_register_templates_validate(self):
        ids = C.IdSource(seed=3)
        paths, n21 = [], 0
        for text in self._templates(("iti42-register", "negative/iti42-register"),
                                    "RegisterTransaction"):
            root = C.parse_xml(text)
            n21 += C.is_v21(root)
            sor = C.translate(root)
            C.finish_submission(sor, ids, assign_uuids=True, patient=ids.patient())
            self._write(sor, "r%03d.xml" % len(paths), paths)
        self.assertGreater(len(paths), 70)
        self.assertGreater(n21, 60)
        err = xmllint_validate(paths, os.path.join(TESTDATA, "schema", "ebRS", "lcm.xsd"))
        self.assertEqual(err, "")

    def test_update_templates_validate(self):
        """The ITI-57 (MuTransaction) templates convert to valid lcm 3.0."""
        ids = C.IdSource(seed=5)
        paths = []
        for text in self._templates(("iti57-metadata-update",), "MuTransaction"):
            sor = C.translate(C.parse_xml(text))
            C.finish_submission(sor, ids, assign_uuids=True, patient=ids.patient())
            self._write(sor, "u%03d.xml" % len(paths), paths)
        self.assertGreater(len(paths), 20)
        err = xmllint_validate(paths, os.path.join(TESTDATA, "schema", "ebRS", "lcm.xsd"))
        self.assertEqual(err, "")

    def test_query_templates_validate(self):
        paths = []
        for text in self._templates(("iti42-register", "negative/iti42-register",
                                     "iti18-stored-query",
                                     "negative/iti18-stored-query"),
                                    "StoredQueryTransaction"):
            self._write(C.query_request(C.parse_xml(text)), "q%03d.xml" % len(paths),
                        paths)
        self.assertGreater(len(paths), 120)
        err = xmllint_validate(paths, os.path.join(TESTDATA, "schema", "ebRS",
                                                   "query.xsd"))
        self.assertEqual(err, "")

    def test_xpath_compare(self):
        """NullTransaction comparisons as XPath 1.0 evaluates them."""
        root = ET.fromstring(
            '<r xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">'
            '<rim:ExtrinsicObject id="a" lid="a"><rim:VersionInfo versionName="1"/>'
            '</rim:ExtrinsicObject><rim:ExtrinsicObject id="b" lid="a">'
            '<rim:VersionInfo versionName="2"/></rim:ExtrinsicObject></r>')
        eo = "//*[local-name()='ExtrinsicObject']"
        for expr, want in (
                ("count(%s[@lid=\"a\"]) = 2" % eo, True),
                ("count(%s[@lid=\"a\"]) = 1" % eo, False),
                ("'b' != %s[@id=\"b\"]/@lid" % eo, True),
                ("'a' = %s[@id=\"a\"]/@lid" % eo, True),
                ("%s[@id=\"a\"]/*[local-name()='VersionInfo']/@versionName = '2'" % eo,
                 False),
                ("%s/@lid = %s[@id='b']/@lid" % (eo, eo), True),
                ("substring(\"x\",1,8) = \"y\"", None)):
            self.assertEqual(R.xpath_compare(expr, root)[0], want, expr)
        self.assertEqual(R.split_compare("a[@x='='] != 'b'"), ("a[@x='=']", "!=", "'b'"))
        self.assertIsNone(R.split_compare("count(a)"))

    def test_every_expected_step_is_found(self):
        rows = R.load_outcomes(TESTDATA)
        nist = [r for r in rows if r.startswith("nist:")]
        self.assertGreater(len(nist), 200)
        for r in nist:
            self.assertTrue(re.match(r"^nist:[^#]+#\S+$", r), r)


if __name__ == "__main__":
    unittest.main(verbosity=1)
