# ITI-41: one document with its metadata is stored and registered
test = provide-one
title = ITI-41: one document with its metadata is stored and registered
actor = repository
send = ITI-41
attach.d1 = text/plain Conformance document one of $patient
expect.status = Success
expect.error = none
---
@{pnr}
@{ss id=ss1 uid=$uid:ss1}
@{de id=d1 uid=$uid:d1 slots=pnr}
@{member id=d1-m from=ss1 to=d1}
@{pnr-docs}
@{document id=d1 att=d1}
@{pnr-end}
