#!/usr/bin/env python3
"""Replay the NIST RAD-68 (XDS-I.b Provide and Register Imaging Document
Set) test plans against xdsd's Document Repository.

RAD-68 is ITI-41 whose document is a DICOM Key Object Selection manifest
(application/dicom), so this is replay_repo.py's engine (MTOM/XOP, token
filling, ebRIM 2.1 -> 3.0, judging and reporting from replay.py) pointed at
rad68/nist-testkit: idc_init (15 KOS manifests, all Success) and the
SelftestPnR sections of ids_4801/ids_4802 (the reference KOS submitted to a
Repository: Success).  Their index.idx lists only ValidateKOS and
ValidateMetadata, which check an Imaging Document Source's own output
against a reference: those are run as the plans say, and end as SKIP with
that reason (no request to send).  ids_2018-4801a/b/c hold only such
checks.

Known failures: known-failures-rad68.tsv (same format as known-failures.tsv).
Output and exit status as replay.py.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replay as R  # noqa: E402
import replay_repo as RR  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RAD68_ROOTS = ("rad68/nist-testkit",)
RAD68_FOLDERS = ("rad68",)
# Sections index.idx leaves out that this harness runs anyway.
RAD68_EXTRA = {
    "ids_4801": (("SelftestPnR", "the reference KOS sent to a Repository"),),
    "ids_4802": (("SelftestPnR", "the reference KOS sent to a Repository"),),
}


class Rad68Engine(RR.RepoEngine):
    def run_step(self, step):
        for c in step.el:
            if isinstance(c.tag, str) and c.tag == "ImgDetailTransaction":
                self.report(step.case, "SKIP", "ImgDetailTransaction: compares an "
                            "Imaging Document Source's own KOS/metadata with the "
                            "test's reference (the bridge's KOS is checked by "
                            "tests/dicom/test_bridge.py), no request to a Repository")
                return
        return super().run_step(step)

    def nist_tests(self):
        out = []
        for t, plans in super().nist_tests():
            for sec, _why in RAD68_EXTRA.get(t, ()):
                d = os.path.join(self.args.testdata, RAD68_ROOTS[0], t, sec)
                if os.path.isdir(d) and ("%s/%s" % (t, sec), d) not in plans:
                    plans = plans + [("%s/%s" % (t, sec), d)]
            out.append((t, plans))
        return out


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not any(a == "--known" or a.startswith("--known=") for a in argv):
        argv += ["--known", os.path.join(HERE, "known-failures-rad68.tsv")]
    # replay_repo.main with the RAD-68 folders and engine; its own
    # behaviour for ITI-41/ITI-43 is unchanged (module attributes are set
    # here, in this process only).
    orig_roots, orig_folders = RR.REPO_ROOTS, RR.REPO_FOLDERS
    orig_engine = RR.RepoEngine
    RR.REPO_ROOTS, RR.REPO_FOLDERS = RAD68_ROOTS, RAD68_FOLDERS
    RR.RepoEngine = Rad68Engine
    try:
        return RR.main(argv)
    finally:
        RR.REPO_ROOTS, RR.REPO_FOLDERS = orig_roots, orig_folders
        RR.RepoEngine = orig_engine


if __name__ == "__main__":
    sys.exit(main())
