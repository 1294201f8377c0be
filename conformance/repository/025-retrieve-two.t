# ITI-43: both documents, each with its mimeType
test = retrieve-two
title = ITI-43: both documents, each with its mimeType
actor = repository
send = ITI-43
needs = provide-two
expect.status = Success
expect.count.DocumentResponse = 2
expect.document = $uid:d2 d2
---
@{retrieve}
@{docreq repo=$repo uid=$uid:d2}
@{docreq repo=$repo uid=$uid:d3}
@{retrieve-end}
