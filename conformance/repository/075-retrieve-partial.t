# ITI-43 of one known and one unknown document: PartialSuccess
test = retrieve-partial
title = ITI-43 of one known and one unknown document: PartialSuccess
actor = repository
send = ITI-43
needs = provide-one
expect.status = PartialSuccess
expect.error = XDSDocumentUniqueIdError
expect.count.DocumentResponse = 1
expect.document = $uid:d1 d1
---
@{retrieve}
@{docreq repo=$repo uid=$uid:d1}
@{docreq repo=$repo uid=$uid:nothere}
@{retrieve-end}
