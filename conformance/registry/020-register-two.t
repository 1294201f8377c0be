# ITI-42: a SubmissionSet with two DocumentEntries is accepted
test = register-two
title = ITI-42: a SubmissionSet with two DocumentEntries is accepted
actor = registry
send = ITI-42
expect.status = Success
expect.error = none
---
@{sor}
@{ss id=ss2 uid=$uid:ss2}
@{de id=d2 uid=$uid:d2}
@{de id=d3 uid=$uid:d3 class=LAB}
@{member id=a2 from=ss2 to=d2}
@{member id=a2b from=ss2 to=d3}
@{sor-end}
