# RAD-69 of an instance the source does not hold
test = retrieve-unknown-instance
title = RAD-69 of an instance the source does not hold
actor = imaging-source
send = RAD-69
expect.status = Failure
expect.error = XDSDocumentUniqueIdError
expect.count.DocumentResponse = 0
---
@{rad69}
@{docreq repo=$repo uid=$uid:nothere}
@{rad69-end}
