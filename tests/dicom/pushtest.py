"""What the push tests share (tests/dicom/test_push*.py): the
organisations of their directory, studies of small images, the instances
a node's bridge holds, and `xdsctl push` run against a node.  Standard library only, beside
dicomtest.py; none of it decides a verdict.

    uid()                     a new 2.25 UID
    make_study(work, n, size) a study of n images with the BSN:
                              (study UID, series UID, {sop: path})
    dataset(path)             (transfer syntax, dataset bytes) of a file
    held(node, study)         {sop: path} in node's bridge store
    staged(node, study)       the paths of its pushed instances not yet committed
    pacs_files(d)             the datasets of the files storescp wrote to d
    storescp(d, port, aet)    storescp writing into d on a reserved port
    ctl(a, node, *args)       xdsctl against node's state_dir: (rc, out, err)
    job(a, node, opts, id)    `xdsctl --json push show id` as a dict
    push(a, node, opts, study, to)  `xdsctl push`: (job id or None, output)
"""
import json
import os
import subprocess

import dicomtest

HCID_A = "urn:oid:2.16.528.1.1007.3.3.7001.1"
HCID_B = "urn:oid:2.16.528.1.1007.3.3.7002.1"
URA_A, URA_B = "00007001", "00007002"


def uid():
    return "2.25.%d" % int.from_bytes(os.urandom(15), "big")


def make_study(work, n, size=16):
    """A study of n images with the BSN: (study UID, series UID, {sop: path})."""
    study, series = uid(), uid()
    files = {}
    for _ in range(n):
        sop = uid()
        files[sop] = dicomtest.make_image(work, study, series, sop, size=size)
    return study, series, files


def dataset(path):
    with open(path, "rb") as f:
        return dicomtest.meta_split(f.read())


def held(node, study):
    """{sop: path} of the study's instances in node's bridge store."""
    out = {}
    root = os.path.join(node.state, "dicom", study)
    for d, _, names in os.walk(root):
        for n in names:
            if n.endswith(".dcm"):
                out[n[:-4]] = os.path.join(d, n)
    return out


def staged(node, study):
    """The study's staged files in node's store: pushed, answered, not yet
    committed (<sop>.<ura>.pending, made <sop>.dcm at the commitment)."""
    out = []
    for d, _, names in os.walk(os.path.join(node.state, "dicom", study)):
        out += [os.path.join(d, n) for n in names if n.endswith(".pending")]
    return out


def pacs_files(d):
    """The datasets storescp wrote into d."""
    out = []
    for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        out.append(dataset(os.path.join(d, n))[1])
    return out


def storescp(d, port, aet="PACS"):
    """storescp as a PACS writing into d (made) on port (reserved)."""
    os.makedirs(d, exist_ok=True)
    return subprocess.Popen(["storescp", "-aet", aet, "-od", d, str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ctl(a, node, *args):
    cmd = [a.xdsctl, "-C", "node.state_dir=" + node.state] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def job(a, node, opts, jid):
    rc, out, _ = ctl(a, node, *opts, "--json", "push", "show", str(jid))
    return json.loads(out) if rc == 0 and out.startswith("{") else {}


def push(a, node, opts, study, to=URA_B):
    rc, out, err = ctl(a, node, *opts, "--json", "push", "--to", to, "--study", study)
    try:
        return json.loads(out)["id"], out + err
    except (ValueError, KeyError):
        return None, out + err
