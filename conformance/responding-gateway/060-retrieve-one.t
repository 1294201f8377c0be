# ITI-39: one document byte for byte
test = retrieve-one
title = ITI-39: one document byte for byte
actor = responding-gateway
send = ITI-39
needs = find-leafclass
expect.status = Success
expect.count.DocumentResponse = 1
expect.document = $uid:r1 r1
---
@{retrieve}
@{docreq-home home=$home repo=$repo uid=$uid:r1}
@{retrieve-end}
