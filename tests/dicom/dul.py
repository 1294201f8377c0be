"""A small DICOM upper layer in Python's standard library, for test doubles
that behave like other vendors' nodes (tests/dicom/test_push_report.py):
A-ASSOCIATE with SCP/SCU role selection, P-DATA, A-RELEASE, DIMSE commands
in Implicit VR Little Endian, and the few dataset elements of Storage
Commitment.  Enough to answer a sender's C-STOREs and N-ACTION and to send
an N-EVENT-REPORT; not a general toolkit."""
import struct

APP_CONTEXT = "1.2.840.10008.3.1.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
SC_CLASS = "1.2.840.10008.1.20.1"       # Storage Commitment Push Model
SC_INSTANCE = "1.2.840.10008.1.20.1.1"  # its well-known instance
NO_DATASET = 0x0101
C_STORE_RQ, C_STORE_RSP = 0x0001, 0x8001
N_EVENT_REPORT_RQ, N_EVENT_REPORT_RSP = 0x0100, 0x8100
N_ACTION_RQ, N_ACTION_RSP = 0x0130, 0x8130
MAX_PDU = 16384

# command elements (group 0000) and their kind: "ui" text, "us" 16 bits
CMD = {0x0002: "ui", 0x0003: "ui", 0x0100: "us", 0x0110: "us", 0x0120: "us",
       0x0700: "us", 0x0800: "us", 0x0900: "us", 0x1000: "ui", 0x1001: "ui",
       0x1002: "us", 0x1008: "us"}
AFFECTED_CLASS, REQUESTED_CLASS, COMMAND, MSG_ID, MSG_ID_RSP = 0x0002, 0x0003, 0x0100, 0x0110, 0x0120
PRIORITY, DATASET_TYPE, STATUS, AFFECTED_SOP, REQUESTED_SOP = 0x0700, 0x0800, 0x0900, 0x1000, 0x1001
EVENT_TYPE, ACTION_TYPE = 0x1002, 0x1008

TRANSACTION = (0x0008, 0x1195)
REFERENCED_SEQ, FAILED_SEQ = (0x0008, 0x1199), (0x0008, 0x1198)
REF_CLASS, REF_INSTANCE, FAILURE_REASON = (0x0008, 0x1150), (0x0008, 0x1155), (0x0008, 0x1197)


class Closed(Exception):
    """The peer released, aborted or closed."""


def _uid(s):
    b = s.encode("ascii")
    return b + b"\0" if len(b) % 2 else b


def _recv(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise Closed("connection closed")
        out += chunk
    return out


def read_pdu(sock):
    """(type, payload) of the next PDU."""
    hdr = _recv(sock, 6)
    kind, length = hdr[0], struct.unpack(">I", hdr[2:6])[0]
    return kind, _recv(sock, length)


def write_pdu(sock, kind, payload):
    sock.sendall(struct.pack(">BBI", kind, 0, len(payload)) + payload)


def _item(kind, data):
    return struct.pack(">BBH", kind, 0, len(data)) + data


def _items(data):
    """(type, data) of each item in data."""
    i = 0
    while i + 4 <= len(data):
        kind, length = data[i], struct.unpack(">H", data[i + 2:i + 4])[0]
        yield kind, data[i + 4:i + 4 + length]
        i += 4 + length


def _user_info(roles=()):
    sub = _item(0x51, struct.pack(">I", MAX_PDU)) + _item(0x52, b"1.2.826.0.1.3680043.9.7433.1")
    for uid, scu, scp in roles:
        u = uid.encode("ascii")
        sub += _item(0x54, struct.pack(">H", len(u)) + u + bytes([scu, scp]))
    return _item(0x50, sub)


def _header(called, calling):
    return struct.pack(">HH", 1, 0) + called.ljust(16).encode() + \
        calling.ljust(16).encode() + bytes(32)


def parse_rq(payload):
    """An A-ASSOCIATE-RQ: (called, calling, [(id, abstract, [ts])], roles)."""
    called, calling = payload[4:20].decode().strip(), payload[20:36].decode().strip()
    contexts, roles = [], {}
    for kind, data in _items(payload[68:]):
        if kind == 0x20:
            abstract, ts = None, []
            for k, d in _items(data[4:]):
                if k == 0x30:
                    abstract = d.decode().rstrip("\0")
                elif k == 0x40:
                    ts.append(d.decode().rstrip("\0"))
            contexts.append((data[0], abstract, ts))
        elif kind == 0x50:
            for k, d in _items(data):
                if k == 0x54:
                    n = struct.unpack(">H", d[:2])[0]
                    roles[d[2:2 + n].decode()] = (d[2 + n], d[3 + n])
    return called, calling, contexts, roles


def accept(sock, payload, pick=lambda abstract, ts: ts[0]):
    """Answer an A-ASSOCIATE-RQ (payload) with an A-ASSOCIATE-AC accepting
    each context in the syntax pick gives (None: refused), the proposed
    roles granted; {context id: abstract syntax} of the accepted ones."""
    called, calling, contexts, roles = parse_rq(payload)
    out, ok = _item(0x10, APP_CONTEXT.encode()), {}
    for cid, abstract, ts in contexts:
        chosen = pick(abstract, ts)
        if chosen is None:
            out += _item(0x21, bytes([cid, 0, 3, 0]) + _item(0x40, IMPLICIT_LE.encode()))
        else:
            out += _item(0x21, bytes([cid, 0, 0, 0]) + _item(0x40, chosen.encode()))
            ok[cid] = abstract
    out += _user_info([(u, scu, scp) for u, (scu, scp) in roles.items()])
    write_pdu(sock, 0x02, _header(called, calling) + out)
    return ok


def request(sock, called, calling, abstract, ts=IMPLICIT_LE, role=None):
    """Open an association with one context (id 1); role (scu, scp) adds a
    role selection item.  (accepted, {abstract: (scu, scp)} of the role
    selection items of the A-ASSOCIATE-AC); (False, {}) when rejected."""
    pc = _item(0x20, bytes([1, 0, 0, 0]) + _item(0x30, abstract.encode()) +
               _item(0x40, ts.encode()))
    body = _header(called, calling) + _item(0x10, APP_CONTEXT.encode()) + pc + \
        _user_info([(abstract, role[0], role[1])] if role else [])
    write_pdu(sock, 0x01, body)
    kind, payload = read_pdu(sock)
    if kind != 0x02:
        return False, {}
    _, _, _, roles = parse_rq(payload)
    return any(k == 0x21 and d[2] == 0 for k, d in _items(payload[68:])), roles


def release(sock):
    """A-RELEASE-RQ, and its answer awaited."""
    write_pdu(sock, 0x05, bytes(4))
    try:
        while read_pdu(sock)[0] != 0x06:
            pass
    except Closed:
        pass


def encode_command(fields):
    body = b""
    for elem in sorted(fields):
        v = fields[elem]
        val = _uid(v) if CMD[elem] == "ui" else struct.pack("<H", v)
        body += struct.pack("<HHI", 0, elem, len(val)) + val
    return struct.pack("<HHII", 0, 0, 4, len(body)) + body


def decode_command(data):
    out, i = {}, 0
    while i + 8 <= len(data):
        _, elem, length = struct.unpack("<HHI", data[i:i + 8])
        v = data[i + 8:i + 8 + length]
        if CMD.get(elem) == "ui":
            out[elem] = v.decode().rstrip("\0 ")
        elif CMD.get(elem) == "us":
            out[elem] = struct.unpack("<H", v[:2])[0]
        i += 8 + length
    return out


def send_message(sock, cid, command, dataset=None):
    """A DIMSE message: the command, then the dataset, each one PDV."""
    cmd = encode_command(command)
    write_pdu(sock, 0x04, struct.pack(">IBB", len(cmd) + 2, cid, 0x03) + cmd)
    if dataset is not None:
        for i in range(0, max(len(dataset), 1), MAX_PDU - 12):
            part = dataset[i:i + MAX_PDU - 12]
            last = 0x02 if i + MAX_PDU - 12 >= len(dataset) else 0
            write_pdu(sock, 0x04, struct.pack(">IBB", len(part) + 2, cid, last) + part)


def receive_message(sock):
    """(context id, command dict, dataset bytes or None) of the next DIMSE
    message; Closed when the peer released (answered), aborted or
    closed."""
    cmd, ds, cid, want_ds = b"", b"", 0, None
    while True:
        kind, payload = read_pdu(sock)
        if kind == 0x05:
            write_pdu(sock, 0x06, bytes(4))
            raise Closed("released")
        if kind != 0x04:
            raise Closed("PDU type %d" % kind)
        i = 0
        while i + 6 <= len(payload):
            length = struct.unpack(">I", payload[i:i + 4])[0]
            cid, mch = payload[i + 4], payload[i + 5]
            frag = payload[i + 6:i + 4 + length]
            i += 4 + length
            if mch & 1:
                cmd += frag
                if mch & 2:
                    fields = decode_command(cmd)
                    want_ds = fields.get(DATASET_TYPE, NO_DATASET) != NO_DATASET
                    if not want_ds:
                        return cid, fields, None
            else:
                ds += frag
                if mch & 2:
                    return cid, decode_command(cmd), ds


def _element(tag, value):
    return struct.pack("<HHI", tag[0], tag[1], len(value)) + value


def _sequence(tag, items):
    body = b"".join(_element((0xfffe, 0xe000), it) for it in items)
    return _element(tag, body)


def commitment_dataset(txn, committed, failed=(), sop_class="1.2.840.10008.5.1.4.1.1.7"):
    """A report's dataset (Implicit VR LE): Transaction UID, Referenced
    SOP Sequence of committed, Failed SOP Sequence (reason 0112)."""
    out = _element(TRANSACTION, _uid(txn))
    if failed:
        out += _sequence(FAILED_SEQ, [
            _element(REF_CLASS, _uid(sop_class)) + _element(REF_INSTANCE, _uid(u)) +
            _element(FAILURE_REASON, struct.pack("<H", 0x0112)) for u in failed])
    if committed:
        out += _sequence(REFERENCED_SEQ, [
            _element(REF_CLASS, _uid(sop_class)) + _element(REF_INSTANCE, _uid(u))
            for u in committed])
    return out


def parse_dataset(data):
    """{tag: bytes or [item dict]} of Implicit VR LE data; sequences (the
    two of Storage Commitment) as lists of items, defined or undefined
    length."""
    out, i = {}, 0
    seqs = (REFERENCED_SEQ, FAILED_SEQ)
    while i + 8 <= len(data):
        g, e, length = struct.unpack("<HHI", data[i:i + 8])
        i += 8
        if (g, e) == (0xfffe, 0xe00d) or (g, e) == (0xfffe, 0xe0dd):
            break
        if (g, e) in seqs:
            items, end = [], (len(data) if length == 0xffffffff else i + length)
            while i + 8 <= end:
                ig, ie, il = struct.unpack("<HHI", data[i:i + 8])
                i += 8
                if (ig, ie) == (0xfffe, 0xe0dd):
                    break
                if il == 0xffffffff:
                    j = data.index(struct.pack("<HHI", 0xfffe, 0xe00d, 0), i)
                    items.append(parse_dataset(data[i:j]))
                    i = j + 8
                else:
                    items.append(parse_dataset(data[i:i + il]))
                    i += il
            out[(g, e)] = items
            if length != 0xffffffff:
                i = end
        else:
            out[(g, e)] = data[i:i + length]
            i += length
    return out


def text(v):
    return v.decode("ascii").rstrip("\0 ") if v is not None else None
