# ITI-42: a SubmissionSet with one DocumentEntry is accepted
test = register-one
title = ITI-42: a SubmissionSet with one DocumentEntry is accepted
actor = registry
send = ITI-42
expect.status = Success
expect.error = none
---
@{sor}
@{ss id=ss1 uid=$uid:ss1}
@{de id=d1 uid=$uid:d1}
@{member id=a1 from=ss1 to=d1}
@{sor-end}
