# ITI-43 naming another repository
test = retrieve-unknown-repository
title = ITI-43 naming another repository
actor = repository
send = ITI-43
needs = provide-one
expect.status = Failure
expect.error = XDSUnknownRepositoryId
---
@{retrieve}
@{docreq repo=1.2.3.4.5.6.7.999 uid=$uid:d1}
@{retrieve-end}
