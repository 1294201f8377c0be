# A patient id the registry does not know
test = unknown-patient
title = A patient id the registry does not know
actor = registry
send = ITI-42
expect.status = Failure
expect.error = XDSUnknownPatientId
---
@{sor}
@{ss id=n1 uid=$uid:n1 patient=$badpatient}
@{de id=n1d uid=$uid:n1d patient=$badpatient}
@{member id=n1a from=n1 to=n1d}
@{sor-end}
