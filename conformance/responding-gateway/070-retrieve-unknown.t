# ITI-39 of a document the community does not hold
test = retrieve-unknown
title = ITI-39 of a document the community does not hold
actor = responding-gateway
send = ITI-39
needs = find-leafclass
expect.status = Failure
expect.error = XDSDocumentUniqueIdError
---
@{retrieve}
@{docreq-home home=$home repo=$repo uid=$uid:nothere}
@{retrieve-end}
