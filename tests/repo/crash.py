#!/usr/bin/env python3
"""kill -9 crash test of the Document Repository.

Round after round: start xdsd on one state directory, let several threads
submit documents (random sizes, some with bytes shared between
documents), kill -9 xdsd at a random moment, age every file of the
store (so the start-up sweep, whose grace period protects in-flight
requests, applies to all of them), restart and check the invariant:
  * every acknowledged document is retrievable with identical bytes;
  * every DocumentEntry the registry holds has a repository row and bytes;
  * no orphan survives the sweep: every blob has a row, tmp/ is empty.
  --kills N (make check: a handful; make check-long: 200).
"""
import argparse
import hashlib
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_repository import Node, REPO_ID  # noqa: E402
import xdsmsg as m  # noqa: E402  (test_repository put tests/lib on sys.path)
from xdstest import wait_until  # noqa: E402

SHARED = [os.urandom(4096) for _ in range(3)]


def submitter(port, stop, acked, lock):
    while not stop.is_set():
        n = random.randint(1, 3)
        docs = [random.choice(SHARED) if random.random() < 0.3 else os.urandom(random.randint(0, 200000))
                for _ in range(n)]
        try:
            st, errs, uids, _, _ = m.submit(port, docs)
        except Exception:
            return          # the node is gone
        if st == "Success":
            with lock:
                for u, d in zip(uids, docs):
                    acked[u] = hashlib.sha256(d).digest()    # not the bytes: bounded memory


def age_store(state):
    old = time.time() - 3600
    for root, _, files in os.walk(os.path.join(state, "documents")):
        for f in files:
            os.utime(os.path.join(root, f), (old, old))


def db_rows(path, sql):
    c = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=30)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def check_invariant(node, state, acked, sample):
    errors = []
    uids = list(acked)
    if sample is not None and len(uids) > sample:
        uids = random.sample(uids, sample)
    for i in range(0, len(uids), 50):
        chunk = uids[i:i + 50]
        st, errs, got, _, _ = m.retrieve(node.port, [(REPO_ID, u, None) for u in chunk])
        for u in chunk:
            data = got.get(u, (0, None))[1]
            if data is None or hashlib.sha256(data).digest() != acked[u]:
                errors.append("acknowledged %s not retrievable intact (%s %s)" % (u, st, errs))
    repo = {u: h for u, h in db_rows(os.path.join(state, "repository.db"), "SELECT unique_id, sha256 FROM document")}
    files = set()
    for root, _, fs in os.walk(os.path.join(state, "documents")):
        if os.path.basename(root) == "tmp":
            if fs:
                errors.append("tmp/ not empty after the sweep: %d" % len(fs))
            continue
        files |= set(fs)
    for (u,) in db_rows(os.path.join(state, "registry.db"), "SELECT unique_id FROM document_entry"):
        if u not in repo:
            errors.append("registered %s has no repository row" % u)
        elif repo[u] not in files:
            errors.append("registered %s has no bytes" % u)
    # start-up reconciliation: with the registry in process it always
    # answers, so no row stays pending and every row is registered
    registered = {u for (u,) in db_rows(os.path.join(state, "registry.db"),
                                        "SELECT unique_id FROM document_entry")}
    for (u,) in db_rows(os.path.join(state, "repository.db"),
                        "SELECT unique_id FROM document WHERE state = 'pending'"):
        errors.append("row %s still pending after the start-up reconciliation" % u)
    for u in repo:
        if u not in registered:
            errors.append("row %s was never registered but survived the reconciliation" % u)
    for h in repo.values():
        if h not in files:
            errors.append("row without bytes: %s" % h)
    orphans = files - set(repo.values())
    if orphans:
        errors.append("%d orphan(s) survived the sweep" % len(orphans))
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xdsd", required=True)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--threads", type=int, default=4)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="xdsnode-crash-")
    state = os.path.join(tmp, "state")
    acked, lock = {}, threading.Lock()
    failures = 0
    for k in range(a.kills):
        node = Node(a.xdsd, state)
        errs = check_invariant(node, state, acked, 40) if k > 0 else []
        for e in errs[:10]:
            print("FAIL: round %d: %s" % (k, e))
        failures += bool(errs)
        stop = threading.Event()
        ts = [threading.Thread(target=submitter, args=(node.port, stop, acked, lock)) for _ in range(a.threads)]
        for t in ts:
            t.start()
        # kill at a random moment once this round has acknowledged
        # something (so that a slow machine still tests the invariant)
        before = len(acked)
        wait_until(lambda: len(acked) > before)
        time.sleep(random.uniform(0, 0.5))     # the random moment of the kill
        node.kill()
        stop.set()
        for t in ts:
            t.join()
        age_store(state)
    node = Node(a.xdsd, state)
    errs = check_invariant(node, state, acked, None)
    for e in errs[:20]:
        print("FAIL: final: %s" % e)
    failures += bool(errs)
    if not acked:
        print("FAIL: no submission was acknowledged: nothing was tested")
        failures += 1
    rc = node.stop()
    print("%s: %d kills, %d acknowledged documents, invariant %s" % (
        "PASS" if failures == 0 and rc == 0 else "FAIL", a.kills, len(acked),
        "held" if failures == 0 else "broken in %d check(s)" % failures))
    if failures == 0:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("state kept in %s" % tmp)
    return 1 if failures or rc != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
