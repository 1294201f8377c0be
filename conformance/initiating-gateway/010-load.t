# Test data: two documents in a community behind the gateway, through its repository
test = load
title = Test data: two documents in a community behind the gateway, through its repository
actor = initiating-gateway
send = ITI-41
target = repository
attach.g1 = text/plain Initiating gateway document one of $patient
attach.g2 = text/plain Initiating gateway document two
expect.status = Success
expect.error = none
---
@{pnr}
@{ss id=ss1 uid=$uid:ss1}
@{de id=g1 uid=$uid:g1 slots=pnr}
@{member id=g1-m from=ss1 to=g1}
@{de id=g2 uid=$uid:g2 slots=pnr}
@{member id=g2-m from=ss1 to=g2}
@{pnr-docs}
@{document id=g1 att=g1}
@{document id=g2 att=g2}
@{pnr-end}
