# One bad entry fails the whole submission
test = all-or-nothing
title = One bad entry fails the whole submission
actor = registry
send = ITI-42
expect.status = Failure
expect.error = XDSPatientIdDoesNotMatch
---
@{sor}
@{ss id=n8 uid=$uid:n8}
@{de id=n8d uid=$uid:n8d}
@{de id=n8e uid=$uid:n8e patient=$patient2}
@{member id=n8a from=n8 to=n8d}
@{member id=n8b from=n8 to=n8e}
@{sor-end}
