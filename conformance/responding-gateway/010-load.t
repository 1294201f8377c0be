# Test data: one SubmissionSet with two documents, through the community's repository
test = load
title = Test data: one SubmissionSet with two documents, through the community's repository
actor = responding-gateway
send = ITI-41
target = repository
attach.r1 = text/plain Gateway document one of $patient
attach.r2 = text/plain Gateway document two
expect.status = Success
expect.error = none
---
@{pnr}
@{ss id=ss1 uid=$uid:ss1}
@{de id=r1 uid=$uid:r1 slots=pnr}
@{member id=r1-m from=ss1 to=r1}
@{de id=r2 uid=$uid:r2 slots=pnr}
@{member id=r2-m from=ss1 to=r2}
@{pnr-docs}
@{document id=r1 att=r1}
@{document id=r2 att=r2}
@{pnr-end}
