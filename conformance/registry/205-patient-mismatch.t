# SubmissionSet and DocumentEntry of different patients
test = patient-mismatch
title = SubmissionSet and DocumentEntry of different patients
actor = registry
send = ITI-42
expect.status = Failure
expect.error = XDSPatientIdDoesNotMatch
---
@{sor}
@{ss id=n2 uid=$uid:n2}
@{de id=n2d uid=$uid:n2d patient=$patient2}
@{member id=n2a from=n2 to=n2d}
@{sor-end}
