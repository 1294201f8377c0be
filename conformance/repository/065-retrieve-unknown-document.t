# ITI-43 of a uniqueId the repository does not hold
test = retrieve-unknown-document
title = ITI-43 of a uniqueId the repository does not hold
actor = repository
send = ITI-43
expect.status = Failure
expect.error = XDSDocumentUniqueIdError
expect.count.DocumentResponse = 0
---
@{retrieve}
@{docreq repo=$repo uid=$uid:nothere}
@{retrieve-end}
