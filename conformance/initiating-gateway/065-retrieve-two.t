# ITI-43 of both documents
test = retrieve-two
title = ITI-43 of both documents
actor = initiating-gateway
send = ITI-43
needs = find
expect.status = Success
expect.count.DocumentResponse = 2
expect.document = $uid:g2 g2
---
@{retrieve}
@{docreq-home home=$home repo=$repo uid=$uid:g1}
@{docreq-home home=$home repo=$repo uid=$uid:g2}
@{retrieve-end}
