# ITI-43: the document comes back byte for byte
test = retrieve-one
title = ITI-43: the document comes back byte for byte
actor = repository
send = ITI-43
needs = provide-one
expect.status = Success
expect.count.DocumentResponse = 1
expect.document = $uid:d1 d1
---
@{retrieve}
@{docreq repo=$repo uid=$uid:d1}
@{retrieve-end}
