# ITI-43 through the gateway: the document byte for byte
test = retrieve
title = ITI-43 through the gateway: the document byte for byte
actor = initiating-gateway
send = ITI-43
needs = find
expect.status = Success
expect.count.DocumentResponse = 1
expect.document = $uid:g1 g1
---
@{retrieve}
@{docreq-home home=$home repo=$repo uid=$uid:g1}
@{retrieve-end}
