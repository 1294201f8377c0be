# ITI-43 of a known document and one of an unknown community: PartialSuccess
test = retrieve-partial
title = ITI-43 of a known document and one of an unknown community: PartialSuccess
actor = initiating-gateway
send = ITI-43
needs = find
expect.status = PartialSuccess
expect.error = XDSUnknownCommunity
expect.count.DocumentResponse = 1
expect.document = $uid:g1 g1
---
@{retrieve}
@{docreq-home home=$home repo=$repo uid=$uid:g1}
@{docreq-home home=urn:oid:1.2.3.4.5.6.999 repo=$repo uid=$uid:g2}
@{retrieve-end}
