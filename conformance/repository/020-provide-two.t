# ITI-41: two documents of two types in one submission
test = provide-two
title = ITI-41: two documents of two types in one submission
actor = repository
send = ITI-41
attach.d2 = text/xml <doc>Conformance document two of $patient</doc>
attach.d3 = application/octet-stream Binary-ish three $uid:d3
expect.status = Success
expect.error = none
---
@{pnr}
@{ss id=ss2 uid=$uid:ss2}
@{de id=d2 uid=$uid:d2 slots=pnr mime=text/xml}
@{member id=d2-m from=ss2 to=d2}
@{de id=d3 uid=$uid:d3 slots=pnr mime=application/octet-stream}
@{member id=d3-m from=ss2 to=d3}
@{pnr-docs}
@{document id=d2 att=d2}
@{document id=d3 att=d3}
@{pnr-end}
