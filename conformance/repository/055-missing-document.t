# ITI-41: a DocumentEntry without its document
test = missing-document
title = ITI-41: a DocumentEntry without its document
actor = repository
send = ITI-41
expect.status = Failure
expect.error = XDSMissingDocument
---
@{pnr}
@{ss id=ss7 uid=$uid:ss7}
@{de id=d7 uid=$uid:d7 slots=pnr}
@{member id=d7-m from=ss7 to=d7}
@{pnr-docs}
@{pnr-end}
