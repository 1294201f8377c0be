# ITI-41 with the right hash and size given is accepted
test = provide-correct-hash
title = ITI-41 with the right hash and size given is accepted
actor = repository
send = ITI-41
attach.d4 = text/plain Document four with its hash
expect.status = Success
expect.error = none
---
@{pnr}
@{ss id=ss4 uid=$uid:ss4}
@{de id=d4 uid=$uid:d4 slots=hash hash=$sha1:d4 size=$size:d4}
@{member id=d4-m from=ss4 to=d4}
@{pnr-docs}
@{document id=d4 att=d4}
@{pnr-end}
