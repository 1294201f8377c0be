# ITI-39: both documents
test = retrieve-two
title = ITI-39: both documents
actor = responding-gateway
send = ITI-39
needs = find-leafclass
expect.status = Success
expect.count.DocumentResponse = 2
expect.document = $uid:r2 r2
---
@{retrieve}
@{docreq-home home=$home repo=$repo uid=$uid:r1}
@{docreq-home home=$home repo=$repo uid=$uid:r2}
@{retrieve-end}
