# ITI-41 the registry refuses: its error is passed back
test = registry-error-passed
title = ITI-41 the registry refuses: its error is passed back
actor = repository
send = ITI-41
attach.d9 = text/plain Document nine
expect.status = Failure
expect.error = XDSUnknownPatientId
---
@{pnr}
@{ss id=ss9 uid=$uid:ss9 patient=$badpatient}
@{de id=d9 uid=$uid:d9 slots=pnr patient=$badpatient}
@{member id=d9-m from=ss9 to=d9}
@{pnr-docs}
@{document id=d9 att=d9}
@{pnr-end}
