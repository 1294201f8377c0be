# ITI-43: the second document of the pair, byte for byte
test = retrieve-two-second
title = ITI-43: the second document of the pair, byte for byte
actor = repository
send = ITI-43
needs = provide-two
expect.status = Success
expect.count.DocumentResponse = 1
expect.document = $uid:d3 d3
---
@{retrieve}
@{docreq repo=$repo uid=$uid:d3}
@{retrieve-end}
