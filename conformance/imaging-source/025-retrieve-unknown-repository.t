# RAD-69 naming another source
test = retrieve-unknown-repository
title = RAD-69 naming another source
actor = imaging-source
send = RAD-69
expect.status = Failure
expect.error = XDSUnknownRepositoryId
---
@{rad69}
@{docreq repo=1.2.3.4.5.6.7.999 uid=$instance}
@{rad69-end}
